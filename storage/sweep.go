package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/badgebot/badgebot/bot"
)

var _ bot.SweepStore = (*DB)(nil)

// Readers is how many reads run at once: the readers' pool.
func (db *DB) Readers() int { return db.r.Stats().MaxOpenConnections }

// SweepBounds returns the highest event id and the highest person id.
func (db *DB) SweepBounds(ctx context.Context) (maxEventID, maxPersonID int64, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT (SELECT coalesce(max(id), 0) FROM events),
		(SELECT coalesce(max(id), 0) FROM people)`).Scan(&maxEventID, &maxPersonID)
	return maxEventID, maxPersonID, dbError(err, "read sweep bounds")
}

// PeopleWithEventsAfter returns, ascending, the people with an event whose
// id is in (after, through]: a range of the table's rowid, so it costs in
// proportion to the events in it.
func (db *DB) PeopleWithEventsAfter(ctx context.Context, after, through int64) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT person_id FROM events WHERE id > ? AND id <= ? ORDER BY person_id`, after, through)
	if err != nil {
		return nil, dbError(err, "list people with new events")
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, dbError(err, "list people with new events")
		}
		ids = append(ids, id)
	}
	return ids, dbError(rows.Err(), "list people with new events")
}

// selection turns a bot.PersonSelection into a WHERE condition on
// person_id and its arguments.
func selection(sel bot.PersonSelection) (string, []any, error) {
	if sel.IDs != nil {
		ids, err := json.Marshal(sel.IDs)
		if err != nil {
			return "", nil, err
		}
		return `person_id IN (SELECT value FROM json_each(?))`, []any{string(ids)}, nil
	}
	return `person_id > ? AND person_id <= ?`, []any{sel.After, sel.Through}, nil
}

// personEventsQuery reads the events a sweep tests, of the people where
// selects and the kinds of the last argument (a JSON array): from the
// covering index, in person order, without a sort
// (TestSweepScanReadsTheIndexOnly).
func personEventsQuery(where string) string {
	return `SELECT id, person_id, kind, occurred_at, received_at, private,
			repository, product, component
		FROM events INDEXED BY events_person_kind
		WHERE ` + where + ` AND kind IN (SELECT value FROM json_each(?))
		ORDER BY person_id`
}

// ScanPersonEvents streams the events of the selected people of the given
// kinds, ordered by person, and calls fn once per person with that
// person's events (in no particular order). It reads the covering index
// events_person_kind alone, so the events carry what rules test (ID, Kind,
// PersonID, Repository, Product, Component, Private, OccurredAt,
// ReceivedAt) and no URL, title or actor: FillEvents adds those. The
// slice is reused after fn returns. Strings that repeat from row to row
// are shared, not copied per row.
func (db *DB) ScanPersonEvents(ctx context.Context, sel bot.PersonSelection, kinds []string, fn func(personID int64, events []bot.Event) error) error {
	if len(kinds) == 0 || (sel.IDs != nil && len(sel.IDs) == 0) {
		return nil
	}
	where, args, err := selection(sel)
	if err != nil {
		return fmt.Errorf("storage: scan events: %w", err)
	}
	kj, err := json.Marshal(kinds)
	if err != nil {
		return fmt.Errorf("storage: scan events: %w", err)
	}
	args = append(args, string(kj))
	rows, err := db.r.QueryContext(ctx, personEventsQuery(where), args...)
	if err != nil {
		return dbError(err, "scan events")
	}
	defer rows.Close()
	in := interner{}
	var (
		buf                        []bot.Event
		current                    int64
		kind, repo, product, compo sql.RawBytes
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
	if len(buf) > 0 {
		return fn(current, buf)
	}
	return nil
}

// FillEvents completes events read by ScanPersonEvents: by ID it sets
// Source, Key, Actor, ActorName, URL and Title. Unknown ids stay as they
// are.
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
	slices.Sort(ids) // rows in table order: neighbours share pages
	for len(ids) > 0 {
		n := min(len(ids), 10_000)
		ij, err := json.Marshal(ids[:n])
		if err != nil {
			return fmt.Errorf("storage: fill events: %w", err)
		}
		ids = ids[n:]
		rows, err := db.r.QueryContext(ctx, `SELECT id, source, key, actor_platform, actor_id, actor_name, url, title
			FROM events WHERE id IN (SELECT value FROM json_each(?))`, string(ij))
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
		err = rows.Err()
		rows.Close()
		if err != nil {
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

// HeldAwards returns the awards of the selected people, revoked ones
// marked, with the evidence URLs of the awards of the badges in
// withEvidence.
func (db *DB) HeldAwards(ctx context.Context, sel bot.PersonSelection, withEvidence []string) ([]bot.HeldAward, error) {
	if sel.IDs != nil && len(sel.IDs) == 0 {
		return nil, nil
	}
	where, args, err := selection(sel)
	if err != nil {
		return nil, fmt.Errorf("storage: held awards: %w", err)
	}
	if withEvidence == nil {
		withEvidence = []string{}
	}
	ej, err := json.Marshal(withEvidence)
	if err != nil {
		return nil, fmt.Errorf("storage: held awards: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT person_id, badge, revoked,
			CASE WHEN badge IN (SELECT value FROM json_each(?)) THEN evidence ELSE '' END
		FROM awards WHERE `+where, append([]any{string(ej)}, args...)...)
	if err != nil {
		return nil, dbError(err, "list held awards")
	}
	defer rows.Close()
	var out []bot.HeldAward
	for rows.Next() {
		var h bot.HeldAward
		var evidence string
		if err := rows.Scan(&h.PersonID, &h.Badge, &h.Revoked, &evidence); err != nil {
			return nil, dbError(err, "list held awards")
		}
		if evidence != "" {
			var es []struct {
				URL string `json:"url"`
			}
			if err := json.Unmarshal([]byte(evidence), &es); err != nil {
				return nil, fmt.Errorf("storage: held awards: evidence: %w", err)
			}
			for _, e := range es {
				if e.URL != "" {
					h.EvidenceURLs = append(h.EvidenceURLs, e.URL)
				}
			}
		}
		out = append(out, h)
	}
	return out, dbError(rows.Err(), "list held awards")
}

// sweepStateJSON is the stored form of bot.SweepState.
type sweepStateJSON struct {
	LastEventID int64  `json:"last_event_id"`
	Fingerprint string `json:"fingerprint"`
	FullAt      int64  `json:"full_at"`  // unix ms
	SweptAt     int64  `json:"swept_at"` // unix ms
}

// SweepState returns what the last sweep saved, or the zero state.
func (db *DB) SweepState(ctx context.Context) (bot.SweepState, error) {
	var j sweepStateJSON
	ok, err := db.jobState(ctx, db.r, "sweep", &j)
	if err != nil || !ok {
		return bot.SweepState{}, err
	}
	return bot.SweepState{LastEventID: j.LastEventID, Fingerprint: j.Fingerprint,
		FullAt: fromZeroMillis(j.FullAt), SweptAt: fromZeroMillis(j.SweptAt)}, nil
}

// SaveSweepState stores the state of the sweep that just ran.
func (db *DB) SaveSweepState(ctx context.Context, st bot.SweepState) error {
	j := sweepStateJSON{LastEventID: st.LastEventID, Fingerprint: st.Fingerprint,
		FullAt: zeroMillis(st.FullAt), SweptAt: zeroMillis(st.SweptAt)}
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		return putJobState(ctx, tx, "sweep", j, db.now())
	})
	return dbError(err, "save sweep state")
}

// jobState reads the JSON state of a job into v; false when none is stored.
func (db *DB) jobState(ctx context.Context, q queryer, name string, v any) (bool, error) {
	var s string
	err := q.QueryRowContext(ctx, `SELECT state FROM job_state WHERE name = ?`, name).Scan(&s)
	if err == sql.ErrNoRows {
		return false, nil
	} else if err != nil {
		return false, dbError(err, "read "+name+" state")
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return false, fmt.Errorf("storage: read %s state: %w", name, err)
	}
	return true, nil
}

// putJobState writes the JSON state of a job.
func putJobState(ctx context.Context, tx queryer, name string, v any, now time.Time) error {
	buf, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("storage: %s state: %w", name, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO job_state (name, state, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
		name, string(buf), millis(now))
	return err
}

var _ bot.HealthStore = (*DB)(nil)

// healthJSON is the stored form of bot.HealthState.
type healthJSON struct {
	CheckedEventID int64                      `json:"checked_event_id"`
	Rules          map[string]ruleHealthJSON  `json:"rules"`
	Fields         map[string]fieldHealthJSON `json:"fields"`
}

type ruleHealthJSON struct {
	FirstSeen int64 `json:"first_seen"`
	LastMatch int64 `json:"last_match,omitempty"`
	Reported  bool  `json:"reported,omitempty"`
}

type fieldHealthJSON struct {
	Present  int64 `json:"present"`
	Missing  int64 `json:"missing"`
	Healthy  bool  `json:"healthy,omitempty"`
	Reported bool  `json:"reported,omitempty"`
}

// HealthState returns what the last rule-health check saved, or the zero
// state.
func (db *DB) HealthState(ctx context.Context) (bot.HealthState, error) {
	var j healthJSON
	ok, err := db.jobState(ctx, db.r, "health", &j)
	st := bot.HealthState{Rules: map[string]bot.RuleHealth{}, Fields: map[string]bot.FieldHealth{}}
	if err != nil || !ok {
		return st, err
	}
	st.CheckedEventID = j.CheckedEventID
	for name, r := range j.Rules {
		rh := bot.RuleHealth{FirstSeen: fromZeroMillis(r.FirstSeen), LastMatch: fromZeroMillis(r.LastMatch), Reported: r.Reported}
		st.Rules[name] = rh
	}
	for key, f := range j.Fields {
		st.Fields[key] = bot.FieldHealth(f)
	}
	return st, nil
}

// fieldStatsQuery counts events by kind after an id. NOT INDEXED keeps
// the planner on the rowid range: given the choice it could scan a whole
// index for the GROUP BY, whatever the range (it did, when events had an
// index led by kind; TestEventFieldStatsReadsNewRowsOnly).
const fieldStatsQuery = `SELECT kind, count(*), sum(url = ''), sum(repository = ''),
		sum(product = ''), sum(component = ''), max(id)
	FROM events NOT INDEXED WHERE id > ? GROUP BY kind ORDER BY kind`

// EventFieldStats counts, per kind, the events with an id above after and
// the empty watched fields among them. It reads a range of the table's
// rowid: the cost follows the number of new events.
func (db *DB) EventFieldStats(ctx context.Context, after int64) ([]bot.FieldStat, int64, error) {
	rows, err := db.r.QueryContext(ctx, fieldStatsQuery, after)
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
	j := healthJSON{CheckedEventID: st.CheckedEventID, Rules: map[string]ruleHealthJSON{}, Fields: map[string]fieldHealthJSON{}}
	for name, r := range st.Rules {
		j.Rules[name] = ruleHealthJSON{FirstSeen: zeroMillis(r.FirstSeen), LastMatch: zeroMillis(r.LastMatch), Reported: r.Reported}
	}
	for key, f := range st.Fields {
		j.Fields[key] = fieldHealthJSON(f)
	}
	saved := slices.Clone(out)
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		now := db.now()
		if err := putJobState(ctx, tx, "health", j, now); err != nil {
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
