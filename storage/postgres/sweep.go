package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/storage"
	"github.com/jackc/pgx/v5"
)

var (
	_ bot.SweepStore  = (*DB)(nil)
	_ bot.HealthStore = (*DB)(nil)
)

// Readers is how many statements run at once: the pool's connections,
// which writes share.
func (db *DB) Readers() int { return int(db.pool.Config().MaxConns) }

// SweepBounds returns the highest event id and the highest person id.
func (db *DB) SweepBounds(ctx context.Context) (maxEventID, maxPersonID int64, err error) {
	err = db.pool.QueryRow(ctx, `SELECT (SELECT coalesce(max(id), 0) FROM events),
		(SELECT coalesce(max(id), 0) FROM people)`).Scan(&maxEventID, &maxPersonID)
	return maxEventID, maxPersonID, dbError(err, "read sweep bounds")
}

// PeopleWithEventsAfter returns, ascending, the people with an event whose
// id is in (after, through].
func (db *DB) PeopleWithEventsAfter(ctx context.Context, after, through int64) ([]int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT person_id FROM events WHERE id > $1 AND id <= $2 ORDER BY person_id`, after, through)
	if err != nil {
		return nil, dbError(err, "list people with new events")
	}
	ids, err := collect(rows, pgx.RowTo[int64])
	return ids, dbError(err, "list people with new events")
}

// selection turns a bot.PersonSelection into a condition on person_id,
// its arguments numbered from n.
func selection(sel bot.PersonSelection, n int) (string, []any) {
	if sel.IDs != nil {
		return fmt.Sprintf(`person_id = ANY($%d)`, n), []any{sel.IDs}
	}
	return fmt.Sprintf(`person_id > $%d AND person_id <= $%d`, n, n+1), []any{sel.After, sel.Through}
}

// ScanPersonEvents streams the events of the selected people of the given
// kinds, ordered by person, and calls fn once per person (see the SQLite
// store). It reads the covering index events_person_kind.
func (db *DB) ScanPersonEvents(ctx context.Context, sel bot.PersonSelection, kinds []string, fn func(personID int64, events []bot.Event) error) error {
	if len(kinds) == 0 || (sel.IDs != nil && len(sel.IDs) == 0) {
		return nil
	}
	where, args := selection(sel, 2)
	rows, err := db.pool.Query(ctx, `SELECT id, person_id, kind, occurred_at, received_at, private,
			repository, product, component
		FROM events WHERE kind = ANY($1) AND `+where+` ORDER BY person_id`, append([]any{kinds}, args...)...)
	if err != nil {
		return dbError(err, "scan events")
	}
	defer rows.Close()
	in := interner{}
	var (
		buf                        []bot.Event
		current                    int64
		kind, repo, product, compo []byte
	)
	for rows.Next() {
		var e bot.Event
		var occurred, received int64
		if err := rows.Scan(&e.ID, &e.PersonID, &kind, &occurred, &received, &e.Private,
			&repo, &product, &compo); err != nil {
			return dbError(err, "scan events")
		}
		e.Kind, e.Repository, e.Product, e.Component = in.get(kind), in.get(repo), in.get(product), in.get(compo)
		e.OccurredAt, e.ReceivedAt = fromMillis(occurred), fromMillis(received)
		if e.PersonID != current && len(buf) > 0 {
			if err := fn(current, buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		current = e.PersonID
		buf = append(buf, e)
	}
	if err := rows.Err(); err != nil {
		return dbError(err, "scan events")
	}
	rows.Close()
	if len(buf) > 0 {
		return fn(current, buf)
	}
	return nil
}

// FillEvents completes events read by ScanPersonEvents: by ID it sets
// Source, Key, Actor, ActorName, URL and Title.
func (db *DB) FillEvents(ctx context.Context, events []bot.Event) error {
	if len(events) == 0 {
		return nil
	}
	at := map[int64][]int{}
	ids := make([]int64, 0, len(events))
	for i, e := range events {
		if _, ok := at[e.ID]; !ok {
			ids = append(ids, e.ID)
		}
		at[e.ID] = append(at[e.ID], i)
	}
	slices.Sort(ids)
	for len(ids) > 0 {
		n := min(len(ids), 10_000)
		chunk := ids[:n]
		ids = ids[n:]
		rows, err := db.pool.Query(ctx, `SELECT id, source, key, actor_platform, actor_id, actor_name, url, title
			FROM events WHERE id = ANY($1)`, chunk)
		if err != nil {
			return dbError(err, "fill events")
		}
		for rows.Next() {
			var d bot.Event
			if err := rows.Scan(&d.ID, &d.Source, &d.Key, &d.Actor.Platform, &d.Actor.ID, &d.ActorName, &d.URL, &d.Title); err != nil {
				rows.Close()
				return dbError(err, "fill events")
			}
			for _, i := range at[d.ID] {
				e := &events[i]
				e.Source, e.Key, e.Actor, e.ActorName, e.URL, e.Title = d.Source, d.Key, d.Actor, d.ActorName, d.URL, d.Title
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dbError(err, "fill events")
		}
	}
	return nil
}

// interner shares the strings of repeated values.
type interner map[string]string

func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in) < 100_000 {
		in[s] = s
	}
	return s
}

// HeldAwards returns the unrevoked awards of the selected people, with
// the evidence URLs of the awards of the badges in withEvidence.
func (db *DB) HeldAwards(ctx context.Context, sel bot.PersonSelection, withEvidence []string) ([]bot.HeldAward, error) {
	if sel.IDs != nil && len(sel.IDs) == 0 {
		return nil, nil
	}
	if withEvidence == nil {
		withEvidence = []string{}
	}
	where, args := selection(sel, 2)
	// Revoked awards too (HeldAward.Revoked): a revocation sticks, and
	// its evidence never earns the badge again.
	rows, err := db.pool.Query(ctx, `SELECT person_id, badge, revoked,
			CASE WHEN badge = ANY($1) THEN evidence ELSE '' END
		FROM awards WHERE `+where, append([]any{withEvidence}, args...)...)
	if err != nil {
		return nil, dbError(err, "list held awards")
	}
	out, err := collect(rows, func(r pgx.CollectableRow) (bot.HeldAward, error) {
		var h bot.HeldAward
		var evidence string
		if err := r.Scan(&h.PersonID, &h.Badge, &h.Revoked, &evidence); err != nil {
			return h, err
		}
		if evidence != "" {
			var es []struct {
				URL string `json:"url"`
			}
			if err := json.Unmarshal([]byte(evidence), &es); err != nil {
				return h, fmt.Errorf("evidence: %w", err)
			}
			for _, e := range es {
				if e.URL != "" {
					h.EvidenceURLs = append(h.EvidenceURLs, e.URL)
				}
			}
		}
		return h, nil
	})
	return out, dbError(err, "list held awards")
}

// SweepState returns what the last sweep saved, or the zero state.
func (db *DB) SweepState(ctx context.Context) (bot.SweepState, error) {
	b, err := db.jobState(ctx, "sweep")
	if err != nil || b == nil {
		return bot.SweepState{}, err
	}
	st, err := storage.UnmarshalSweepState(b)
	if err != nil {
		return bot.SweepState{}, fmt.Errorf("storage: read sweep state: %w", err)
	}
	return st, nil
}

// SaveSweepState stores the state of the sweep that just ran.
func (db *DB) SaveSweepState(ctx context.Context, st bot.SweepState) error {
	b, err := storage.MarshalSweepState(st)
	if err != nil {
		return fmt.Errorf("storage: save sweep state: %w", err)
	}
	return dbError(putJobState(ctx, db.pool, "sweep", b, db.now()), "save sweep state")
}

// jobState reads the JSON state of a job; nil when none is stored.
func (db *DB) jobState(ctx context.Context, name string) ([]byte, error) {
	var s string
	err := db.pool.QueryRow(ctx, `SELECT state FROM job_state WHERE name = $1`, name).Scan(&s)
	if err == pgx.ErrNoRows {
		return nil, nil
	} else if err != nil {
		return nil, dbError(err, "read "+name+" state")
	}
	return []byte(s), nil
}

func putJobState(ctx context.Context, q querier, name string, state []byte, now time.Time) error {
	_, err := q.Exec(ctx, `INSERT INTO job_state (name, state, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
		name, string(state), millis(now))
	return err
}

// HealthState returns what the last rule-health check saved, or the zero
// state.
func (db *DB) HealthState(ctx context.Context) (bot.HealthState, error) {
	b, err := db.jobState(ctx, "health")
	if err != nil {
		st, _ := storage.UnmarshalHealthState(nil)
		return st, err
	}
	st, err := storage.UnmarshalHealthState(b)
	if err != nil {
		return st, fmt.Errorf("storage: read health state: %w", err)
	}
	return st, nil
}

// EventFieldStats counts, per kind, the events with an id above after and
// the empty watched fields among them.
func (db *DB) EventFieldStats(ctx context.Context, after int64) ([]bot.FieldStat, int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT kind, count(*),
			count(*) FILTER (WHERE url = ''), count(*) FILTER (WHERE repository = ''),
			count(*) FILTER (WHERE product = ''), count(*) FILTER (WHERE component = ''), max(id)
		FROM events WHERE id > $1 GROUP BY kind ORDER BY kind`, after)
	if err != nil {
		return nil, after, dbError(err, "count event fields")
	}
	defer rows.Close()
	through := after
	var out []bot.FieldStat
	for rows.Next() {
		s := bot.FieldStat{Missing: map[string]int64{}}
		var url, repo, product, comp, maxID int64
		if err := rows.Scan(&s.Kind, &s.Total, &url, &repo, &product, &comp, &maxID); err != nil {
			return nil, after, dbError(err, "count event fields")
		}
		s.Missing[bot.FieldURL], s.Missing[bot.FieldRepository] = url, repo
		s.Missing[bot.FieldProduct], s.Missing[bot.FieldComponent] = product, comp
		through = max(through, maxID)
		out = append(out, s)
	}
	return out, through, dbError(rows.Err(), "count event fields")
}

// SaveHealth stores the rule-health state and queues its reports in one
// transaction.
func (db *DB) SaveHealth(ctx context.Context, st bot.HealthState, out []bot.Announcement) error {
	b, err := storage.MarshalHealthState(st)
	if err != nil {
		return fmt.Errorf("storage: save rule health: %w", err)
	}
	saved := slices.Clone(out)
	err = db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		copy(saved, out)
		now := db.now()
		if err := putJobState(ctx, tx, "health", b, now); err != nil {
			return err
		}
		return insertAnnouncements(ctx, tx, saved, "", now)
	})
	if err != nil {
		return dbError(err, "save rule health")
	}
	copy(out, saved)
	return nil
}
