package storage

import (
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
)

// TestSweepScanReadsTheIndexOnly pins the plan that makes a full sweep
// fast: the covering index, read in person order, no sort.
func TestSweepScanReadsTheIndexOnly(t *testing.T) {
	db := openTest(t)
	for _, sel := range []bot.PersonSelection{{After: 0, Through: 10}, {IDs: []int64{1, 2}}} {
		where, args, err := selection(sel)
		if err != nil {
			t.Fatal(err)
		}
		plan := queryPlan(t, db, personEventsQuery(where), append(args, `["a"]`)...)
		if !strings.Contains(plan, "USING COVERING INDEX events_person_kind") || strings.Contains(plan, "TEMP B-TREE FOR ORDER BY") {
			t.Errorf("plan for %+v:\n%s", sel, plan)
		}
	}
}

// TestEventFieldStatsReadsNewRowsOnly: rule health after each sweep counts
// the new events by a range of rowids, not by reading every event.
func TestEventFieldStatsReadsNewRowsOnly(t *testing.T) {
	db := openTest(t)
	if plan := queryPlan(t, db, fieldStatsQuery, 100); !strings.Contains(plan, "SEARCH events USING INTEGER PRIMARY KEY (rowid>?)") {
		t.Errorf("plan:\n%s", plan)
	}
}
