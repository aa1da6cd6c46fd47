package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/jackc/pgx/v5"
)

// claimFor is how long DueAnnouncements hides the announcements it hands
// out from other workers, as in the SQLite store. The claim also names the
// replica (claimed_by): when that replica stops beating (replicas.go),
// another takes its claims over at once.
const claimFor = 2 * time.Minute

const outboxCols = `id, platform, channel, kind, award_id, message, attempts,
	next_attempt, created_at, delivered_at, message_id, last_error`

// Enqueue stores announcements that belong to no award or revocation (a
// digest, a backfill summary), setting their IDs.
func (db *DB) Enqueue(ctx context.Context, out []bot.Announcement) error {
	saved := slices.Clone(out)
	err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		copy(saved, out)
		return insertAnnouncements(ctx, tx, saved, "", db.now())
	})
	if err != nil {
		return dbError(err, "enqueue announcements")
	}
	copy(out, saved)
	return nil
}

// insertAnnouncements writes out to the outbox, setting each one's ID and
// CreatedAt, its NextAttempt when zero (now), and its AwardID when empty.
func insertAnnouncements(ctx context.Context, tx pgx.Tx, out []bot.Announcement, awardID string, now time.Time) error {
	for i := range out {
		a := &out[i]
		if a.Platform == "" || a.Channel == "" || a.Kind == "" {
			return bot.Errorf(bot.EINVALID, "announcement: platform, channel and kind are required")
		}
		if a.AwardID == "" {
			a.AwardID = awardID
		}
		msg, err := json.Marshal(a.Message)
		if err != nil {
			return fmt.Errorf("announcement: %w", err)
		}
		next := a.NextAttempt
		if next.IsZero() {
			next = now
		}
		var award *string
		if a.AwardID != "" {
			award = &a.AwardID
		}
		err = tx.QueryRow(ctx, `INSERT INTO outbox (platform, channel, kind, award_id, message, next_attempt, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			a.Platform, a.Channel, a.Kind, award, string(msg), millis(next), millis(now)).Scan(&a.ID)
		if err != nil {
			return err
		}
		a.NextAttempt, a.CreatedAt = fromMillis(millis(next)), fromMillis(millis(now))
		a.Attempts, a.DeliveredAt, a.MessageID, a.LastError = 0, time.Time{}, "", ""
	}
	return nil
}

// DueAnnouncements returns up to limit (all, when limit <= 0) undelivered
// announcements due at or before now, oldest first, and claims them until
// now+claimFor. Rows another replica is claiming at the same moment are
// skipped (FOR UPDATE SKIP LOCKED), so each announcement goes to one
// worker.
func (db *DB) DueAnnouncements(ctx context.Context, now time.Time, limit int) ([]bot.Announcement, error) {
	var lim any
	if limit > 0 {
		lim = limit
	}
	var out []bot.Announcement
	err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE outbox SET next_attempt = $1, claimed_by = $4
			WHERE id IN (SELECT id FROM outbox o WHERE delivered_at IS NULL
					AND (next_attempt <= $2 OR (claimed_by != '' AND NOT EXISTS (SELECT 1 FROM replicas r
						WHERE r.id = o.claimed_by AND r.seen_at > clock_timestamp() - $5::interval)))
				ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
			RETURNING `+outboxCols, millis(now.Add(claimFor)), millis(now), lim, db.replica, replicaGone)
		if err != nil {
			return err
		}
		out, err = collect(rows, func(r pgx.CollectableRow) (bot.Announcement, error) { return scanAnnouncement(r) })
		return err
	})
	if err != nil {
		return nil, dbError(err, "read due announcements")
	}
	slices.SortFunc(out, func(a, b bot.Announcement) int { return int(a.ID - b.ID) })
	return out, nil
}

// MarkDelivered records that the announcement was posted as messageID.
// ENOTFOUND: unknown id; ECONFLICT: delivered already.
func (db *DB) MarkDelivered(ctx context.Context, id int64, messageID string, at time.Time) error {
	err := db.settle(ctx, id, `UPDATE outbox SET delivered_at = $1, message_id = $2, claimed_by = '' WHERE id = $3 AND delivered_at IS NULL`,
		millis(db.orNow(at)), messageID, id)
	return dbError(err, fmt.Sprintf("mark announcement %d delivered", id))
}

// MarkFailed records a failed attempt and the time of the next try.
func (db *DB) MarkFailed(ctx context.Context, id int64, errText string, next time.Time) error {
	err := db.settle(ctx, id, `UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt = $2, claimed_by = ''
		WHERE id = $3 AND delivered_at IS NULL`, errText, millis(db.orNow(next)), id)
	return dbError(err, fmt.Sprintf("mark announcement %d failed", id))
}

func (db *DB) settle(ctx context.Context, id int64, q string, args ...any) error {
	tag, err := db.pool.Exec(ctx, q, args...)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	var delivered *int64
	err = db.pool.QueryRow(ctx, `SELECT delivered_at FROM outbox WHERE id = $1`, id).Scan(&delivered)
	if err == pgx.ErrNoRows {
		return bot.Errorf(bot.ENOTFOUND, "announcement %d: no such announcement", id)
	} else if err != nil {
		return err
	}
	return bot.Errorf(bot.ECONFLICT, "announcement %d was delivered already", id)
}

func scanAnnouncement(s pgx.Row) (bot.Announcement, error) {
	var a bot.Announcement
	var award *string
	var msg string
	var next, created int64
	var delivered *int64
	err := s.Scan(&a.ID, &a.Platform, &a.Channel, &a.Kind, &award, &msg, &a.Attempts,
		&next, &created, &delivered, &a.MessageID, &a.LastError)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(msg), &a.Message); err != nil {
		return a, fmt.Errorf("announcement %d: message: %w", a.ID, err)
	}
	if award != nil {
		a.AwardID = *award
	}
	a.NextAttempt, a.CreatedAt, a.DeliveredAt = fromMillis(next), fromMillis(created), fromNullMillis(delivered)
	return a, nil
}

// ReplacedMessage returns the platform's id of the delivered message that
// announcement a replaces, or "" (see the SQLite store).
func (db *DB) ReplacedMessage(ctx context.Context, a bot.Announcement) (string, error) {
	var q string
	var args []any
	switch a.Kind {
	case bot.KindRevoke:
		if a.AwardID == "" {
			return "", nil
		}
		q = `SELECT message_id FROM outbox
			WHERE award_id = $1 AND kind = $2 AND platform = $3 AND channel = $4
				AND delivered_at IS NOT NULL AND message_id != ''
			ORDER BY id DESC LIMIT 1`
		args = []any{a.AwardID, bot.KindAward, a.Platform, a.Channel}
	case bot.KindNominationUpdate:
		q = `SELECT r.message_id FROM outbox u JOIN outbox r ON r.nomination_id = u.nomination_id
			WHERE u.id = $1 AND r.kind = $2 AND r.platform = u.platform AND r.channel = u.channel
				AND r.delivered_at IS NOT NULL AND r.message_id != ''
			ORDER BY r.id DESC LIMIT 1`
		args = []any{a.ID, bot.KindNomination}
	default:
		return "", nil
	}
	var id string
	err := db.pool.QueryRow(ctx, q, args...).Scan(&id)
	if err == pgx.ErrNoRows {
		return "", nil
	} else if err != nil {
		return "", dbError(err, fmt.Sprintf("find the message announcement %d replaces", a.ID))
	}
	return id, nil
}
