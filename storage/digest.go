package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/badgebot/badgebot/bot"
)

var _ bot.DigestStore = (*DB)(nil)

// DigestAwards returns the unrevoked awards issued in [since, until), by
// badge and time. First is set on a person's first unrevoked award ever.
func (db *DB) DigestAwards(ctx context.Context, since, until time.Time) ([]bot.DigestAward, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT a.id, a.badge, a.person_id, a.recipient_platform, a.recipient_id, a.issued_at,
			NOT EXISTS (SELECT 1 FROM awards b INDEXED BY awards_person
				WHERE b.person_id = a.person_id AND NOT b.revoked
					AND (b.issued_at < a.issued_at OR (b.issued_at = a.issued_at AND b.rowid < a.rowid)))
		FROM awards a
		WHERE NOT a.revoked AND a.issued_at >= ? AND a.issued_at < ?
		ORDER BY a.badge, a.issued_at, a.rowid`, millis(since), millis(until))
	if err != nil {
		return nil, dbError(err, "list the digest's awards")
	}
	defer rows.Close()
	var out []bot.DigestAward
	for rows.Next() {
		var a bot.DigestAward
		var issued int64
		if err := rows.Scan(&a.ID, &a.Badge, &a.PersonID, &a.Recipient.Platform, &a.Recipient.ID, &issued, &a.First); err != nil {
			return nil, dbError(err, "list the digest's awards")
		}
		a.IssuedAt = fromMillis(issued)
		out = append(out, a)
	}
	return out, dbError(rows.Err(), "list the digest's awards")
}

// DigestPosted reports whether a digest was recorded for the week.
func (db *DB) DigestPosted(ctx context.Context, week string) (bool, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM digest_runs WHERE week = ?`, week).Scan(&n)
	return n > 0, dbError(err, "look up the digest of "+week)
}

// RecordDigest records a digest and queues its announcements in one
// transaction. The period key is the week; unless run.Forced, a week
// recorded before is ECONFLICT and nothing changes, so concurrent runs and
// restarts post a week's digest once. A forced run adds WEEK+forceN.
func (db *DB) RecordDigest(ctx context.Context, run *bot.DigestRun, out []bot.Announcement) error {
	if run.Week == "" {
		return bot.Errorf(bot.EINVALID, "record digest: no week")
	}
	saved := slices.Clone(out)
	for i := range saved {
		saved[i].Kind = bot.KindDigest
	}
	var period string
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM digest_runs WHERE week = ?`, run.Week).Scan(&n); err != nil {
			return err
		}
		period = run.Week
		switch {
		case n > 0 && !run.Forced:
			return bot.Errorf(bot.ECONFLICT, "the digest of %s was posted already", run.Week)
		case n > 0:
			period = fmt.Sprintf("%s+force%d", run.Week, n)
		}
		now := db.now()
		_, err := tx.ExecContext(ctx, `INSERT INTO digest_runs (period, week, since, until, posted, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, period, run.Week, millis(run.Since), millis(run.Until), len(out), millis(now))
		if err != nil {
			return err
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

// PersonByID returns the person with the id, or ENOTFOUND.
func (db *DB) PersonByID(ctx context.Context, id int64) (*bot.Person, error) {
	p, err := loadPerson(ctx, db.r, personSelect+"?"+personOrder, id)
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("person #%d", id))
	}
	return p, nil
}
