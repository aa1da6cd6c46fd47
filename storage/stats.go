package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The counts of Stats, each answered by an index.
const (
	statsAwards     = `SELECT source, count(*) FROM awards INDEXED BY awards_program GROUP BY source`
	statsDeliveries = `SELECT source, count(*) FROM deliveries GROUP BY source`
	statsPending    = `SELECT source, count(*) FROM deliveries INDEXED BY deliveries_pending WHERE processed_at IS NULL GROUP BY source`
	statsProblem    = `SELECT source, count(*) FROM deliveries INDEXED BY deliveries_problem
		WHERE processed_at IS NOT NULL AND problem != '' GROUP BY source`
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

// Stats counts what Stats describes, on a reader. Every count is read
// from an index alone (migration 016; TestStatsReadIndexesOnly): a scrape
// never reads an award's or a delivery's row.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	st := Stats{AwardsBySource: map[string]int64{}, Deliveries: map[[2]string]int64{}}
	// One snapshot: the processed deliveries are the total less the
	// pending and the failed, counted at the same moment.
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return st, fmt.Errorf("storage: stats: %w", err)
	}
	defer tx.Rollback()
	counts := func(q string, add func(source string, n int64)) error {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("storage: stats: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var src string
			var n int64
			if err := rows.Scan(&src, &n); err != nil {
				return fmt.Errorf("storage: stats: %w", err)
			}
			add(src, n)
		}
		return rows.Err()
	}
	total := map[string]int64{}
	for _, c := range []struct {
		q   string
		add func(string, int64)
	}{
		{statsAwards, func(src string, n int64) { st.AwardsBySource[src] = n }},
		{statsDeliveries, func(src string, n int64) { total[src] = n }},
		{statsPending, func(src string, n int64) { st.Deliveries[[2]string{src, "pending"}] = n }},
		{statsProblem, func(src string, n int64) { st.Deliveries[[2]string{src, "problem"}] = n }},
	} {
		if err := counts(c.q, c.add); err != nil {
			return st, err
		}
	}
	for src, n := range total {
		if done := n - st.Deliveries[[2]string{src, "pending"}] - st.Deliveries[[2]string{src, "problem"}]; done > 0 {
			st.Deliveries[[2]string{src, "processed"}] = done
		}
	}
	var oldest sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(attempts > 0), 0), min(created_at)
		FROM outbox WHERE delivered_at IS NULL`).Scan(&st.OutboxPending, &st.OutboxFailing, &oldest)
	if err != nil {
		return st, fmt.Errorf("storage: stats: %w", err)
	}
	st.OutboxOldest = fromNullMillis(oldest)
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM nominations WHERE status = 'pending'`).Scan(&st.NominationsPending); err != nil {
		return st, fmt.Errorf("storage: stats: %w", err)
	}
	return st, nil
}
