package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/jackc/pgx/v5"
)

var (
	_ bot.RouterStore       = (*DB)(nil)
	_ bot.OutboxWorkerStore = (*DB)(nil)
	_ bot.DigestStore       = (*DB)(nil)
)

// SetAnnounce sets a person's announcement preference; ENOTFOUND for an
// unknown person.
func (db *DB) SetAnnounce(ctx context.Context, personID int64, choice string) error {
	switch choice {
	case bot.AnnouncePublic, bot.AnnounceDM, bot.AnnounceOff:
	default:
		return bot.Errorf(bot.EINVALID, "announce %q: choose public, dm or off", choice)
	}
	tag, err := db.pool.Exec(ctx, `UPDATE people SET announce = $1 WHERE id = $2`, choice, personID)
	if err == nil && tag.RowsAffected() == 0 {
		err = bot.Errorf(bot.ENOTFOUND, "person %d: no such person", personID)
	}
	return dbError(err, fmt.Sprintf("set the announce setting of person %d", personID))
}

// Leaderboard returns up to limit people (10 when limit <= 0) with the
// most unrevoked awards, most first, ties by handle.
func (db *DB) Leaderboard(ctx context.Context, limit int) ([]bot.LeaderboardEntry, error) {
	if limit <= 0 {
		limit = 10
	}
	rows, err := db.pool.Query(ctx, `SELECT p.id, p.handle, p.name, count(*) AS n
		FROM awards a JOIN people p ON p.id = a.person_id
		WHERE NOT a.revoked AND p.announce <> 'off'
		GROUP BY p.id ORDER BY n DESC, p.handle LIMIT $1`, limit)
	if err != nil {
		return nil, dbError(err, "leaderboard")
	}
	out, err := collect(rows, func(r pgx.CollectableRow) (bot.LeaderboardEntry, error) {
		var e bot.LeaderboardEntry
		err := r.Scan(&e.PersonID, &e.Handle, &e.Name, &e.Awards)
		return e, err
	})
	return out, dbError(err, "leaderboard")
}

// ProgramLeaderboard is Leaderboard over the awards of one program's
// badges.
func (db *DB) ProgramLeaderboard(ctx context.Context, program string, limit int) ([]bot.LeaderboardEntry, error) {
	if limit <= 0 {
		limit = 10
	}
	rows, err := db.pool.Query(ctx, `SELECT p.id, p.handle, p.name, count(*) AS n
		FROM awards a JOIN people p ON p.id = a.person_id JOIN badges b ON b.slug = a.badge
		WHERE NOT a.revoked AND p.announce <> 'off' AND b.program = $1
		GROUP BY p.id ORDER BY n DESC, p.handle LIMIT $2`, program, limit)
	if err != nil {
		return nil, dbError(err, "program leaderboard")
	}
	out, err := collect(rows, func(r pgx.CollectableRow) (bot.LeaderboardEntry, error) {
		var e bot.LeaderboardEntry
		err := r.Scan(&e.PersonID, &e.Handle, &e.Name, &e.Awards)
		return e, err
	})
	return out, dbError(err, "program leaderboard")
}

// DigestAwards returns the unrevoked awards issued in [since, until), by
// badge and time. First is set on a person's first unrevoked award ever.
func (db *DB) DigestAwards(ctx context.Context, since, until time.Time) ([]bot.DigestAward, error) {
	rows, err := db.pool.Query(ctx, `SELECT a.id, a.badge, a.person_id, a.recipient_platform, a.recipient_id, a.issued_at,
			NOT EXISTS (SELECT 1 FROM awards b
				WHERE b.person_id = a.person_id AND NOT b.revoked
					AND (b.issued_at < a.issued_at OR (b.issued_at = a.issued_at AND b.seq < a.seq)))
		FROM awards a
		WHERE NOT a.revoked AND a.issued_at >= $1 AND a.issued_at < $2
		ORDER BY a.badge, a.issued_at, a.seq`, millis(since), millis(until))
	if err != nil {
		return nil, dbError(err, "list the digest's awards")
	}
	out, err := collect(rows, func(r pgx.CollectableRow) (bot.DigestAward, error) {
		var a bot.DigestAward
		var issued int64
		err := r.Scan(&a.ID, &a.Badge, &a.PersonID, &a.Recipient.Platform, &a.Recipient.ID, &issued, &a.First)
		a.IssuedAt = fromMillis(issued)
		return a, err
	})
	return out, dbError(err, "list the digest's awards")
}

// DigestPosted reports whether a digest was recorded for the week.
func (db *DB) DigestPosted(ctx context.Context, week string) (bool, error) {
	var posted bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM digest_runs WHERE week = $1)`, week).Scan(&posted)
	return posted, dbError(err, "look up the digest of "+week)
}

// RecordDigest records a digest and queues its announcements in one
// transaction. The period is the table's key: of two replicas recording
// one week, the second waits for the first and gets ECONFLICT. A forced
// run adds WEEK+forceN.
func (db *DB) RecordDigest(ctx context.Context, run *bot.DigestRun, out []bot.Announcement) error {
	if run.Week == "" {
		return bot.Errorf(bot.EINVALID, "record digest: no week")
	}
	saved := slices.Clone(out)
	var period string
	err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		copy(saved, out)
		for i := range saved {
			saved[i].Kind = bot.KindDigest
		}
		now := db.now()
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM digest_runs WHERE week = $1`, run.Week).Scan(&n); err != nil {
			return err
		}
		for ; ; n++ {
			period = run.Week
			if n > 0 {
				if !run.Forced {
					return bot.Errorf(bot.ECONFLICT, "the digest of %s was posted already", run.Week)
				}
				period = fmt.Sprintf("%s+force%d", run.Week, n)
			}
			tag, err := tx.Exec(ctx, `INSERT INTO digest_runs (period, week, since, until, posted, created_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (period) DO NOTHING`,
				period, run.Week, millis(run.Since), millis(run.Until), len(out), millis(now))
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				break
			}
		}
		return insertAnnouncements(ctx, tx, saved, "", now)
	})
	if err != nil {
		return dbError(err, "record the digest of "+run.Week)
	}
	copy(out, saved)
	run.Period, run.Posted = period, len(out)
	return nil
}
