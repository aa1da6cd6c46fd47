package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/badgebot/badgebot/storage"
)

// Stats counts what storage.Stats describes (/metrics reads it at each
// scrape). SQLite answers each count from an index (its migration 016),
// because there a delivery's outcome sits after its body in the row; here
// the bodies live out of line (TOAST), and a scan does not read them.
func (db *DB) Stats(ctx context.Context) (storage.Stats, error) {
	st := storage.Stats{AwardsBySource: map[string]int64{}, Deliveries: map[[2]string]int64{}}
	rows, err := db.pool.Query(ctx, `SELECT source, count(*) FROM awards GROUP BY source`)
	if err != nil {
		return st, fmt.Errorf("storage: stats: %w", err)
	}
	for rows.Next() {
		var src string
		var n int64
		if err := rows.Scan(&src, &n); err != nil {
			rows.Close()
			return st, fmt.Errorf("storage: stats: %w", err)
		}
		st.AwardsBySource[src] = n
	}
	rows.Close()
	rows, err = db.pool.Query(ctx, `SELECT source,
		CASE WHEN processed_at IS NULL THEN 'pending' WHEN problem != '' THEN 'problem' ELSE 'processed' END,
		count(*) FROM deliveries GROUP BY 1, 2`)
	if err != nil {
		return st, fmt.Errorf("storage: stats: %w", err)
	}
	for rows.Next() {
		var src, outcome string
		var n int64
		if err := rows.Scan(&src, &outcome, &n); err != nil {
			rows.Close()
			return st, fmt.Errorf("storage: stats: %w", err)
		}
		st.Deliveries[[2]string{src, outcome}] = n
	}
	rows.Close()
	var oldest *int64
	err = db.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE attempts > 0), min(created_at)
		FROM outbox WHERE delivered_at IS NULL`).Scan(&st.OutboxPending, &st.OutboxFailing, &oldest)
	if err != nil {
		return st, fmt.Errorf("storage: stats: %w", err)
	}
	st.OutboxOldest = fromNullMillis(oldest)
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM nominations WHERE status = 'pending'`).Scan(&st.NominationsPending); err != nil {
		return st, fmt.Errorf("storage: stats: %w", err)
	}
	return st, nil
}

type jobRunJSON struct {
	Start int64  `json:"start"`
	Took  int64  `json:"took_ms"`
	Err   string `json:"err,omitempty"`
}

const jobRunPrefix = "run:"

// RecordJobRun stores r as the last run of the named job.
func (db *DB) RecordJobRun(ctx context.Context, name string, r storage.JobRun) error {
	buf, err := json.Marshal(jobRunJSON{Start: millis(r.Start), Took: r.Took.Milliseconds(), Err: r.Err})
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO job_state (name, state, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
		jobRunPrefix+name, string(buf), millis(db.now()))
	return dbError(err, "record job run")
}

// JobRuns returns the last recorded run of each job that has run.
func (db *DB) JobRuns(ctx context.Context) (map[string]storage.JobRun, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, state FROM job_state WHERE name LIKE 'run:%'`)
	if err != nil {
		return nil, dbError(err, "read job runs")
	}
	defer rows.Close()
	runs := map[string]storage.JobRun{}
	for rows.Next() {
		var name, state string
		if err := rows.Scan(&name, &state); err != nil {
			return nil, dbError(err, "read job runs")
		}
		var j jobRunJSON
		if err := json.Unmarshal([]byte(state), &j); err != nil {
			return nil, fmt.Errorf("storage: read job run %s: %w", name, err)
		}
		runs[strings.TrimPrefix(name, jobRunPrefix)] = storage.JobRun{Start: fromMillis(j.Start), Took: time.Duration(j.Took) * time.Millisecond, Err: j.Err}
	}
	return runs, dbError(rows.Err(), "read job runs")
}
