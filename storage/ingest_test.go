package storage

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

// saveDeliveries stores deliveries d1…dn with the given bodies and returns
// their Seq in order.
func saveDeliveries(t *testing.T, db *DB, bodies ...[]byte) []int64 {
	t.Helper()
	ctx := context.Background()
	var seqs []int64
	for i, body := range bodies {
		id := fmt.Sprintf("d%d", i+1)
		if dup, err := db.SaveDelivery(ctx, bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: id, Type: "pull_request", Body: body}); err != nil || dup {
			t.Fatalf("SaveDelivery(%s) = %v, %v", id, dup, err)
		}
		var seq int64
		if err := db.r.QueryRowContext(ctx, `SELECT id FROM deliveries WHERE delivery_id = ?`, id).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	return seqs
}

// TestCompleteDeliveryRewritesLittle: marking a delivery with a large body
// processed must not copy the body into the WAL again (see
// pendingProblem).
func TestCompleteDeliveryRewritesLittle(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	const size = 64 << 10
	body := make([]byte, size) // incompressible: stored at full size
	rand.NewChaCha8([32]byte{1}).Read(body)
	seq := saveDeliveries(t, db, body)
	// An empty WAL first: what completing writes is then the whole -wal
	// file, whatever the checkpoint loop does meanwhile (a checkpoint
	// between two measurements of a WAL that restarts would hide writes).
	if err := db.checkpoint("TRUNCATE"); err != nil || db.walSize() != 0 {
		t.Fatalf("checkpoint: %v, WAL %d bytes", err, db.walSize())
	}
	if _, err := db.CompleteDelivery(ctx, bot.WebhookDelivery{Seq: seq[0], Source: bot.PlatformGitHub, ID: "d1"}, nil, ""); err != nil {
		t.Fatal(err)
	}
	// A few pages: the row's first page, its last overflow page, the
	// pending index. Rewriting the body would write more than size.
	if written := db.walSize(); written == 0 || written > size/4 {
		t.Errorf("completing a delivery of %d bytes wrote %d bytes to the WAL", size, written)
	}
}

// TestDeliveryBodiesCompressed: a webhook payload is stored in a fraction
// of its size and read back whole, and rows stored raw before migration
// 006 still read.
func TestDeliveryBodiesCompressed(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	payload, err := os.ReadFile("../integrations/github/testdata/pull_request.closed.merged.json")
	if err != nil {
		t.Fatal(err)
	}
	other := bytes.ReplaceAll(payload, []byte("Codertocat"), []byte("Hubot"))
	saveDeliveries(t, db, payload, []byte(`{"zen":"short"}`), other)
	var stored int
	if err := db.r.QueryRowContext(ctx, `SELECT length(body) FROM deliveries WHERE delivery_id = 'd1'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored > len(payload)/3 {
		t.Errorf("a %d-byte payload is stored in %d bytes", len(payload), stored)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO deliveries (source, delivery_id, type, body, received_at, problem)
		VALUES ('github', 'raw', 'ping', CAST('{"zen":"raw"}' AS BLOB), 1, 'queued')`); err != nil {
		t.Fatal(err)
	}
	ds, err := db.PendingDeliveriesAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range ds {
		got[d.ID] = string(d.Body)
	}
	want := map[string]string{"d1": string(payload), "d2": `{"zen":"short"}`, "d3": string(other), "raw": `{"zen":"raw"}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bodies read back (-want +got):\n%s", diff)
	}

	if _, err := db.w.ExecContext(ctx, `UPDATE deliveries SET body = CAST('not s2' AS BLOB) WHERE delivery_id = 'd1'`); err != nil {
		t.Fatal(err)
	}
	ds, err = db.PendingDeliveriesAfter(ctx, 0, 10)
	if err != nil || len(ds) != 4 {
		t.Fatalf("PendingDeliveriesAfter with a damaged body = %d deliveries, %v; want all 4", len(ds), err)
	}
	if ds[0].ID != "d1" || ds[0].Unreadable == "" || ds[1].Unreadable != "" {
		t.Errorf("the damaged body is not the one marked unreadable: %q %q", ds[0].Unreadable, ds[1].Unreadable)
	}
}

// TestHeldAwardQueriesUseIndex: whether a person holds a badge is asked
// before every award; it must not read every award of the badge.
func TestHeldAwardQueriesUseIndex(t *testing.T) {
	db := openTest(t)
	awards, awardsArgs := awardsQuery(bot.AwardFilter{Badge: "first-pr", PersonID: 7, Revoked: new(false), Limit: 1})
	byRecipient, byRecipientArgs := awardsQuery(bot.AwardFilter{Badge: "first-pr", Recipient: recipient(t, "github:octocat")})
	tests := []struct {
		name  string
		query string
		args  []any
	}{
		{"CreateAward", heldQuery, []any{"first-pr", 7}},
		{"Awards by person", awards, awardsArgs},
		{"Awards by recipient", byRecipient, byRecipientArgs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := queryPlan(t, db, tt.query, tt.args...)
			if !strings.Contains(plan, "awards USING INDEX awards_badge_person (badge=? AND person_id=?)") {
				t.Errorf("query plan does not search awards_badge_person by badge and person:\n%s", plan)
			}
		})
	}
}

func queryPlan(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var sb strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		sb.WriteString(detail + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// TestWALFileShrinksAfterCheckpoint: the checkpoint loop judges the WAL by
// its file's size, so once a checkpoint let the log restart, the file must
// be cut back; otherwise one burst would leave it "large" for good.
func TestWALFileShrinksAfterCheckpoint(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	noise := rand.NewChaCha8([32]byte{2})
	body := make([]byte, 1<<20) // incompressible: stored at full size
	save := func(id string) {
		t.Helper()
		noise.Read(body)
		if _, err := db.SaveDelivery(ctx, bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: id, Type: "ping", Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 * walRestartSize >> 20 {
		save(fmt.Sprint("burst-", i))
	}
	if size := db.walSize(); size <= walRestartSize {
		t.Fatalf("WAL is %d bytes after the burst, want over %d", size, walRestartSize)
	}
	if err := db.checkpoint("PASSIVE"); err != nil {
		t.Fatal(err)
	}
	save("after") // the write that restarts the log
	if size := db.walSize(); size > walRestartSize {
		t.Errorf("WAL is %d bytes after a checkpoint and a write, want at most %d", size, walRestartSize)
	}
}
