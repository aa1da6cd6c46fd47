package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Stats is what an operator watches of the database: awards by source,
// stored webhook deliveries by source and outcome, the outbox and the
// nomination queue. /metrics reads it at each scrape.
type Stats struct {
	AwardsBySource map[string]int64
	// Deliveries counts stored deliveries by source and outcome:
	// "pending" (not yet processed), "processed", "problem" (processed,
	// with less found than expected).
	Deliveries map[[2]string]int64
	// Outbox: announcements not delivered yet, those of them that failed
	// at least once, and when the oldest was queued (zero: none).
	OutboxPending, OutboxFailing int64
	OutboxOldest                 time.Time
	NominationsPending           int64
}

// Stats counts what Stats describes, on a reader.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	st := Stats{AwardsBySource: map[string]int64{}, Deliveries: map[[2]string]int64{}}
	rows, err := db.r.QueryContext(ctx, `SELECT source, count(*) FROM awards GROUP BY source`)
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
	rows, err = db.r.QueryContext(ctx, `SELECT source,
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
	var oldest sql.NullInt64
	err = db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(attempts > 0), 0), min(created_at)
		FROM outbox WHERE delivered_at IS NULL`).Scan(&st.OutboxPending, &st.OutboxFailing, &oldest)
	if err != nil {
		return st, fmt.Errorf("storage: stats: %w", err)
	}
	st.OutboxOldest = fromNullMillis(oldest)
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM nominations WHERE status = 'pending'`).Scan(&st.NominationsPending); err != nil {
		return st, fmt.Errorf("storage: stats: %w", err)
	}
	return st, nil
}
