package storage

import (
	"context"
	"strings"
	"time"
)

// JobRun is the last run of a scheduled job: when it started, how long it
// took and how it ended (Err empty: it succeeded).
type JobRun struct {
	Start time.Time
	Took  time.Duration
	Err   string
}

type jobRunJSON struct {
	Start int64  `json:"start"` // Unix milliseconds
	Took  int64  `json:"took_ms"`
	Err   string `json:"err,omitempty"`
}

const jobRunPrefix = "run:"

// RecordJobRun stores r as the last run of the named job, for every process
// to see (`schedule list` reads what the server's scheduler recorded).
func (db *DB) RecordJobRun(ctx context.Context, name string, r JobRun) error {
	j := jobRunJSON{Start: millis(r.Start), Took: r.Took.Milliseconds(), Err: r.Err}
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		return putJobState(ctx, tx, jobRunPrefix+name, j, db.now())
	})
	return dbError(err, "record job run")
}

// JobRuns returns the last recorded run of each job that has run.
func (db *DB) JobRuns(ctx context.Context) (map[string]JobRun, error) {
	runs := map[string]JobRun{}
	rows, err := db.r.QueryContext(ctx, `SELECT name FROM job_state WHERE name LIKE 'run:%'`)
	if err != nil {
		return nil, dbError(err, "read job runs")
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, dbError(err, "read job runs")
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "read job runs")
	}
	for _, n := range names {
		var j jobRunJSON
		if ok, err := db.jobState(ctx, db.r, n, &j); err != nil {
			return nil, err
		} else if ok {
			runs[strings.TrimPrefix(n, jobRunPrefix)] = JobRun{Start: fromMillis(j.Start), Took: time.Duration(j.Took) * time.Millisecond, Err: j.Err}
		}
	}
	return runs, nil
}
