package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/badgebot/badgebot/bot"
)

var (
	_ bot.RouterStore       = (*DB)(nil)
	_ bot.OutboxWorkerStore = (*DB)(nil)
)

// SetAnnounce sets a person's announcement preference: bot.AnnouncePublic,
// bot.AnnounceDM or bot.AnnounceOff. It returns ENOTFOUND for an unknown
// person.
func (db *DB) SetAnnounce(ctx context.Context, personID int64, choice string) error {
	switch choice {
	case bot.AnnouncePublic, bot.AnnounceDM, bot.AnnounceOff:
	default:
		return bot.Errorf(bot.EINVALID, "announce %q: choose public, dm or off", choice)
	}
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		res, err := tx.ExecContext(ctx, `UPDATE people SET announce = ? WHERE id = ?`, choice, personID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		return bot.Errorf(bot.ENOTFOUND, "person %d: no such person", personID)
	})
	return dbError(err, fmt.Sprintf("set the announce setting of person %d", personID))
}

// Leaderboard returns up to limit people (10 when limit <= 0) with the
// most unrevoked awards, most first, ties by handle. People who chose
// `settings announce off` are not listed.
func (db *DB) Leaderboard(ctx context.Context, limit int) ([]bot.LeaderboardEntry, error) {
	if limit <= 0 {
		limit = 10
	}
	rows, err := db.r.QueryContext(ctx, `SELECT p.id, p.handle, p.name, count(*) AS n
		FROM awards a JOIN people p ON p.id = a.person_id
		WHERE NOT a.revoked AND p.announce <> 'off'
		GROUP BY p.id ORDER BY n DESC, p.handle LIMIT ?`, limit)
	if err != nil {
		return nil, dbError(err, "leaderboard")
	}
	defer rows.Close()
	var out []bot.LeaderboardEntry
	for rows.Next() {
		var e bot.LeaderboardEntry
		if err := rows.Scan(&e.PersonID, &e.Handle, &e.Name, &e.Awards); err != nil {
			return nil, dbError(err, "leaderboard")
		}
		out = append(out, e)
	}
	return out, dbError(rows.Err(), "leaderboard")
}

// ProgramLeaderboard is Leaderboard over the awards of one program's
// badges.
func (db *DB) ProgramLeaderboard(ctx context.Context, program string, limit int) ([]bot.LeaderboardEntry, error) {
	if limit <= 0 {
		limit = 10
	}
	rows, err := db.r.QueryContext(ctx, `SELECT p.id, p.handle, p.name, count(*) AS n
		FROM awards a JOIN people p ON p.id = a.person_id JOIN badges b ON b.slug = a.badge
		WHERE NOT a.revoked AND p.announce <> 'off' AND b.program = ?
		GROUP BY p.id ORDER BY n DESC, p.handle LIMIT ?`, program, limit)
	if err != nil {
		return nil, dbError(err, "program leaderboard")
	}
	defer rows.Close()
	var out []bot.LeaderboardEntry
	for rows.Next() {
		var e bot.LeaderboardEntry
		if err := rows.Scan(&e.PersonID, &e.Handle, &e.Name, &e.Awards); err != nil {
			return nil, dbError(err, "program leaderboard")
		}
		out = append(out, e)
	}
	return out, dbError(rows.Err(), "program leaderboard")
}

// ReplacedMessage returns the platform's id of the delivered message that
// announcement a replaces, or "" when a is posted as a new message: a
// revocation replaces the announcement of its award in the same platform
// and channel; a nomination update replaces its nomination's review
// message in the same platform and channel.
func (db *DB) ReplacedMessage(ctx context.Context, a bot.Announcement) (string, error) {
	var q string
	var args []any
	switch a.Kind {
	case bot.KindRevoke:
		if a.AwardID == "" {
			return "", nil
		}
		q = `SELECT message_id FROM outbox
			WHERE award_id = ? AND kind = ? AND platform = ? AND channel = ?
				AND delivered_at IS NOT NULL AND message_id != ''
			ORDER BY id DESC LIMIT 1`
		args = []any{a.AwardID, bot.KindAward, a.Platform, a.Channel}
	case bot.KindNominationUpdate:
		q = `SELECT r.message_id FROM outbox u JOIN outbox r ON r.nomination_id = u.nomination_id
			WHERE u.id = ? AND r.kind = ? AND r.platform = u.platform AND r.channel = u.channel
				AND r.delivered_at IS NOT NULL AND r.message_id != ''
			ORDER BY r.id DESC LIMIT 1`
		args = []any{a.ID, bot.KindNomination}
	default:
		return "", nil
	}
	var id string
	err := db.r.QueryRowContext(ctx, q, args...).Scan(&id)
	if err == sql.ErrNoRows {
		return "", nil
	} else if err != nil {
		return "", dbError(err, fmt.Sprintf("find the message announcement %d replaces", a.ID))
	}
	return id, nil
}
