package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// claimFor is how long DueAnnouncements hides the announcements it hands
// out from other workers (`badgebot award` delivering its own while the
// server runs). A worker that dies meanwhile leaves them to be retried
// when the claim runs out.
const claimFor = 2 * time.Minute

const outboxCols = `id, platform, channel, kind, award_id, message, attempts,
	next_attempt, created_at, delivered_at, message_id, last_error`

// Enqueue stores announcements that belong to no award or revocation (a
// digest, a backfill summary), setting their IDs. It is not part of
// bot.Store; CreateAward and RevokeAward enqueue their own.
func (db *DB) Enqueue(ctx context.Context, out []bot.Announcement) error {
	saved := slices.Clone(out)
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		return insertAnnouncements(ctx, tx, saved, "", db.now())
	})
	if err != nil {
		return dbError(err, "enqueue announcements")
	}
	copy(out, saved)
	return nil
}

// insertAnnouncements writes out to the outbox, setting each one's ID and
// CreatedAt, its NextAttempt when zero (now), and its AwardID when empty
// (awardID).
func insertAnnouncements(ctx context.Context, tx queryer, out []bot.Announcement, awardID string, now time.Time) error {
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
		var award sql.NullString
		if a.AwardID != "" {
			award = sql.NullString{String: a.AwardID, Valid: true}
		}
		// Exec and LastInsertId, not RETURNING (see newPerson): an
		// award's announcements are written by the one writer.
		res, err := tx.ExecContext(ctx, `INSERT INTO outbox (platform, channel, kind, award_id, message, next_attempt, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.Platform, a.Channel, a.Kind, award, string(msg), millis(next), millis(now))
		if err != nil {
			return err
		}
		if a.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		a.NextAttempt, a.CreatedAt = fromMillis(millis(next)), fromMillis(millis(now))
		a.Attempts, a.DeliveredAt, a.MessageID, a.LastError = 0, time.Time{}, "", ""
	}
	return nil
}

// DueAnnouncements returns up to limit (all, when limit <= 0) undelivered
// announcements due at or before now, oldest first, and claims them: their
// next attempt moves to now+claimFor, so a second worker asking meanwhile
// does not get them too and nothing is posted twice. The returned
// NextAttempt is that claim; MarkDelivered or MarkFailed settles each one.
func (db *DB) DueAnnouncements(ctx context.Context, now time.Time, limit int) ([]bot.Announcement, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	var out []bot.Announcement
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		out = nil // a replayed write claims afresh
		rows, err := tx.QueryContext(ctx, `UPDATE outbox SET next_attempt = ?
			WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt <= ? ORDER BY id LIMIT ?)
			RETURNING `+outboxCols,
			millis(now.Add(claimFor)), millis(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAnnouncement(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, dbError(err, "read due announcements")
	}
	// RETURNING has no order of its own.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// MarkDelivered records that the announcement was posted as messageID. It
// returns ENOTFOUND for an unknown id and ECONFLICT when it was delivered
// already.
func (db *DB) MarkDelivered(ctx context.Context, id int64, messageID string, at time.Time) error {
	err := db.settle(ctx, id, `UPDATE outbox SET delivered_at = ?, message_id = ? WHERE id = ? AND delivered_at IS NULL`,
		millis(db.orNow(at)), messageID, id)
	return dbError(err, fmt.Sprintf("mark announcement %d delivered", id))
}

// MarkFailed records a failed attempt: one more attempt, the error and the
// time of the next try. It returns ENOTFOUND for an unknown id and
// ECONFLICT when the announcement was delivered already.
func (db *DB) MarkFailed(ctx context.Context, id int64, errText string, next time.Time) error {
	err := db.settle(ctx, id, `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt = ?
		WHERE id = ? AND delivered_at IS NULL`,
		errText, millis(db.orNow(next)), id)
	return dbError(err, fmt.Sprintf("mark announcement %d failed", id))
}

// settle runs an UPDATE of one undelivered announcement and tells a missing
// one from a delivered one when it changed nothing.
func (db *DB) settle(ctx context.Context, id int64, q string, args ...any) error {
	return db.write(ctx, func(ctx context.Context, tx queryer) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var delivered sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT delivered_at FROM outbox WHERE id = ?`, id).Scan(&delivered)
		if err == sql.ErrNoRows {
			return bot.Errorf(bot.ENOTFOUND, "announcement %d: no such announcement", id)
		} else if err != nil {
			return err
		}
		return bot.Errorf(bot.ECONFLICT, "announcement %d was delivered already", id)
	})
}

func scanAnnouncement(s scanner) (bot.Announcement, error) {
	var a bot.Announcement
	var award sql.NullString
	var msg string
	var next, created int64
	var delivered sql.NullInt64
	err := s.Scan(&a.ID, &a.Platform, &a.Channel, &a.Kind, &award, &msg, &a.Attempts,
		&next, &created, &delivered, &a.MessageID, &a.LastError)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(msg), &a.Message); err != nil {
		return a, fmt.Errorf("announcement %d: message: %w", a.ID, err)
	}
	a.AwardID = award.String
	a.NextAttempt, a.CreatedAt, a.DeliveredAt = fromMillis(next), fromMillis(created), fromNullMillis(delivered)
	return a, nil
}
