package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// nominationSelect reads a nomination with the people behind its nominee
// and nominator; the name shown is the identity's, else the person's.
const nominationSelect = `SELECT n.id, n.badge,
		n.nominee_platform, n.nominee_id, ni.person_id, coalesce(nullif(ni.name, ''), np.name),
		n.nominator_platform, n.nominator_id, ri.person_id, coalesce(nullif(ri.name, ''), rp.name),
		n.reason, n.platform, n.channel, n.status, n.created_at, n.decided_at, n.decided_by,
		n.decision_reason, coalesce(n.award_id, '')
	FROM nominations n
	JOIN identities ni ON ni.platform = n.nominee_platform AND ni.id = n.nominee_id
	JOIN people np ON np.id = ni.person_id
	JOIN identities ri ON ri.platform = n.nominator_platform AND ri.id = n.nominator_id
	JOIN people rp ON rp.id = ri.person_id`

// Nomination returns the nomination with the id, with its supporters and
// approvals, or ENOTFOUND.
func (db *DB) Nomination(ctx context.Context, id int64) (*bot.Nomination, error) {
	ns, err := loadNominations(ctx, db.r, nominationSelect+` WHERE n.id = ?`, id)
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("nomination #%d", id))
	}
	if len(ns) == 0 {
		return nil, bot.Errorf(bot.ENOTFOUND, "nomination #%d: no such nomination", id)
	}
	return ns[0], nil
}

// PendingNomination returns the pending nomination of the person owning
// nominee for the badge, or ENOTFOUND.
func (db *DB) PendingNomination(ctx context.Context, badge string, nominee bot.Recipient) (*bot.Nomination, error) {
	ns, err := loadNominations(ctx, db.r, nominationSelect+` WHERE n.badge = ? AND n.status = 'pending'
		AND ni.person_id = (SELECT person_id FROM identities WHERE platform = ? AND id = ?)
		ORDER BY n.id LIMIT 1`, badge, nominee.Platform, nominee.ID)
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("pending nomination of %s for %s", nominee, badge))
	}
	if len(ns) == 0 {
		return nil, bot.Errorf(bot.ENOTFOUND, "%s has no pending nomination for %s", nominee, badge)
	}
	return ns[0], nil
}

// Nominations returns the nominations matching f, oldest first.
func (db *DB) Nominations(ctx context.Context, f bot.NominationFilter) ([]*bot.Nomination, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where = append(where, "n.status = ?")
		args = append(args, f.Status)
	}
	if f.Badge != "" {
		where = append(where, "n.badge = ?")
		args = append(args, f.Badge)
	}
	if !f.CreatedBefore.IsZero() {
		where = append(where, "n.created_at < ?")
		args = append(args, millis(f.CreatedBefore))
	}
	q := nominationSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY n.created_at, n.id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	ns, err := loadNominations(ctx, db.r, q, args...)
	if err != nil {
		return nil, dbError(err, "list nominations")
	}
	return ns, nil
}

// NominationCount counts the nominations and supports made by the person
// owning who after the given time (0 for an unknown identity), and
// returns the time of the oldest of them.
func (db *DB) NominationCount(ctx context.Context, who bot.Recipient, since time.Time) (int, time.Time, error) {
	var pid int64
	err := db.r.QueryRowContext(ctx, `SELECT person_id FROM identities WHERE platform = ? AND id = ?`, who.Platform, who.ID).Scan(&pid)
	if err == sql.ErrNoRows {
		return 0, time.Time{}, nil
	} else if err != nil {
		return 0, time.Time{}, dbError(err, "count nominations of "+who.String())
	}
	n, oldest, err := countBacking(ctx, db.r, pid, since)
	if err != nil {
		return 0, time.Time{}, dbError(err, "count nominations of "+who.String())
	}
	return n, oldest, nil
}

// loadNominations runs a nominationSelect query and adds each
// nomination's supporters and approvals. One read transaction keeps the
// whole answer one snapshot.
func loadNominations(ctx context.Context, db *sql.DB, query string, args ...any) ([]*bot.Nomination, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var ns []*bot.Nomination
	for rows.Next() {
		n, err := scanNomination(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		ns = append(ns, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, n := range ns {
		if n.Supporters, err = loadEndorsements(ctx, tx, `SELECT s.platform, s.id, i.person_id,
				coalesce(nullif(i.name, ''), p.name), s.reason, s.created_at
			FROM nomination_supporters s
			JOIN identities i ON i.platform = s.platform AND i.id = s.id
			JOIN people p ON p.id = i.person_id
			WHERE s.nomination_id = ? ORDER BY s.created_at, s.platform, s.id`, n.ID); err != nil {
			return nil, err
		}
		if n.Approvals, err = loadEndorsements(ctx, tx, `SELECT a.platform, a.id, i.person_id,
				coalesce(nullif(i.name, ''), p.name), '', a.created_at
			FROM nomination_approvals a
			JOIN identities i ON i.platform = a.platform AND i.id = a.id
			JOIN people p ON p.id = i.person_id
			WHERE a.nomination_id = ? ORDER BY a.created_at, a.platform, a.id`, n.ID); err != nil {
			return nil, err
		}
	}
	return ns, nil
}

func scanNomination(s scanner) (*bot.Nomination, error) {
	var n bot.Nomination
	var created int64
	var decided sql.NullInt64
	err := s.Scan(&n.ID, &n.Badge,
		&n.Nominee.Platform, &n.Nominee.ID, &n.NomineePersonID, &n.NomineeName,
		&n.Nominator.Platform, &n.Nominator.ID, &n.NominatorPersonID, &n.NominatorName,
		&n.Reason, &n.Platform, &n.Channel, &n.Status, &created, &decided, &n.DecidedBy,
		&n.DecisionReason, &n.AwardID)
	if err != nil {
		return nil, err
	}
	n.CreatedAt, n.DecidedAt = fromMillis(created), fromNullMillis(decided)
	return &n, nil
}

func loadEndorsements(ctx context.Context, tx queryer, query string, id int64) ([]bot.Endorsement, error) {
	rows, err := tx.QueryContext(ctx, query, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var es []bot.Endorsement
	for rows.Next() {
		var e bot.Endorsement
		var at int64
		if err := rows.Scan(&e.Who.Platform, &e.Who.ID, &e.PersonID, &e.Name, &e.Reason, &at); err != nil {
			return nil, err
		}
		e.At = fromMillis(at)
		es = append(es, e)
	}
	return es, rows.Err()
}
