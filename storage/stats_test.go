package storage

import (
	"context"
	"strings"
	"testing"
)

// TestStatsReadIndexesOnly: /metrics reads Stats at every scrape, so its
// counts of awards and deliveries must come from indexes alone; reading
// the rows read every delivery's body (its outcome columns come after it).
func TestStatsReadIndexesOnly(t *testing.T) {
	db := openTest(t)
	for _, q := range []string{statsAwards, statsDeliveries, statsPending, statsProblem} {
		rows, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if !strings.Contains(strings.Join(plan, "\n"), "COVERING INDEX") {
			t.Errorf("%s\nreads rows: %s", q, strings.Join(plan, "; "))
		}
	}
}
