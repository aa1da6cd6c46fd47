package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/jackc/pgx/v5"
)

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
	ns, err := db.loadNominations(ctx, nominationSelect+` WHERE n.id = $1`, id)
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
	ns, err := db.loadNominations(ctx, nominationSelect+` WHERE n.badge = $1 AND n.status = 'pending'
		AND ni.person_id = (SELECT person_id FROM identities WHERE platform = $2 AND id = $3)
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
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Status != "" {
		where = append(where, "n.status = "+arg(f.Status))
	}
	if f.Badge != "" {
		where = append(where, "n.badge = "+arg(f.Badge))
	}
	if !f.CreatedBefore.IsZero() {
		where = append(where, "n.created_at < "+arg(millis(f.CreatedBefore)))
	}
	q := nominationSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY n.created_at, n.id"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	ns, err := db.loadNominations(ctx, q, args...)
	if err != nil {
		return nil, dbError(err, "list nominations")
	}
	return ns, nil
}

// NominationCount counts the nominations and supports made by the person
// owning who after the given time, and returns the oldest one's time.
func (db *DB) NominationCount(ctx context.Context, who bot.Recipient, since time.Time) (int, time.Time, error) {
	pid, err := personOf(ctx, db.pool, who)
	if err == pgx.ErrNoRows {
		return 0, time.Time{}, nil
	} else if err != nil {
		return 0, time.Time{}, dbError(err, "count nominations of "+who.String())
	}
	n, oldest, err := countBacking(ctx, db.pool, pid, since)
	if err != nil {
		return 0, time.Time{}, dbError(err, "count nominations of "+who.String())
	}
	return n, oldest, nil
}

// loadNominations runs a nominationSelect query and adds each
// nomination's supporters and approvals, in one REPEATABLE READ
// transaction so the answer is one snapshot.
func (db *DB) loadNominations(ctx context.Context, query string, args ...any) ([]*bot.Nomination, error) {
	var ns []*bot.Nomination
	err := db.tx(ctx, pgx.RepeatableRead, func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		ns, err = collect(rows, func(r pgx.CollectableRow) (*bot.Nomination, error) { return scanNomination(r) })
		if err != nil {
			return err
		}
		for _, n := range ns {
			if n.Supporters, err = loadEndorsements(ctx, tx, `SELECT s.platform, s.id, i.person_id,
					coalesce(nullif(i.name, ''), p.name), s.reason, s.created_at
				FROM nomination_supporters s
				JOIN identities i ON i.platform = s.platform AND i.id = s.id
				JOIN people p ON p.id = i.person_id
				WHERE s.nomination_id = $1 ORDER BY s.created_at, s.platform, s.id`, n.ID); err != nil {
				return err
			}
			if n.Approvals, err = loadEndorsements(ctx, tx, `SELECT a.platform, a.id, i.person_id,
					coalesce(nullif(i.name, ''), p.name), '', a.created_at
				FROM nomination_approvals a
				JOIN identities i ON i.platform = a.platform AND i.id = a.id
				JOIN people p ON p.id = i.person_id
				WHERE a.nomination_id = $1 ORDER BY a.created_at, a.platform, a.id`, n.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return ns, err
}

func scanNomination(s pgx.Row) (*bot.Nomination, error) {
	var n bot.Nomination
	var created int64
	var decided *int64
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

func loadEndorsements(ctx context.Context, tx pgx.Tx, query string, id int64) ([]bot.Endorsement, error) {
	rows, err := tx.Query(ctx, query, id)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r pgx.CollectableRow) (bot.Endorsement, error) {
		var e bot.Endorsement
		var at int64
		err := r.Scan(&e.Who.Platform, &e.Who.ID, &e.PersonID, &e.Name, &e.Reason, &at)
		e.At = fromMillis(at)
		return e, err
	})
}
