package storage

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// Bodies of processed deliveries older than the cutoff are deleted; the
// rows stay, so a redelivery is still a duplicate. Recent and unprocessed
// deliveries keep theirs.
func TestDropDeliveryBodies(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	body := bytes.Repeat([]byte(`{"email":"ada@example.org"} `), 100)
	d := func(id string, age time.Duration) bot.WebhookDelivery {
		return bot.WebhookDelivery{Source: bot.PlatformBugzilla, ID: id, Type: "bug.modify", Body: body, ReceivedAt: now.Add(-age)}
	}
	old := 31 * 24 * time.Hour
	for i := range 3 {
		processDelivery(t, db, d(fmt.Sprintf("old-%d", i), old))
	}
	processDelivery(t, db, d("recent", time.Hour))
	if _, err := db.SaveDelivery(ctx, d("old-unprocessed", old)); err != nil {
		t.Fatal(err)
	}
	cutoff := now.Add(-30 * 24 * time.Hour)

	n, err := db.DropDeliveryBodies(ctx, cutoff)
	if err != nil || n != 3 {
		t.Fatalf("DropDeliveryBodies = %d, %v; want 3 bodies dropped", n, err)
	}
	if got := count(t, db, "deliveries", "length(body) > 0"); got != 2 {
		t.Errorf("%d deliveries keep a body, want 2 (the recent one and the unprocessed one)", got)
	}
	if got := count(t, db, "deliveries", "delivery_id LIKE 'old-%' AND length(body) > 0 AND processed_at IS NOT NULL"); got != 0 {
		t.Errorf("%d old processed deliveries keep their body, want 0", got)
	}
	if got := count(t, db, "deliveries", ""); got != 5 {
		t.Errorf("%d delivery rows, want all 5 kept", got)
	}
	if dup, err := db.SaveDelivery(ctx, d("old-1", old)); err != nil || !dup {
		t.Errorf("redelivery of a delivery whose body was dropped: dup %v, %v; want a duplicate", dup, err)
	}
	if n, err := db.DropDeliveryBodies(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second run = %d, %v; want 0", n, err)
	}

	// The unprocessed one is dropped once processed; the recent one once
	// old enough.
	pending, err := db.PendingDeliveriesAfter(ctx, 0, 10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending = %d, %v", len(pending), err)
	}
	if _, err := db.CompleteDelivery(ctx, pending[0], nil, ""); err != nil {
		t.Fatal(err)
	}
	if n, err := db.DropDeliveryBodies(ctx, now); err != nil || n != 2 {
		t.Errorf("run after processing, cutoff now = %d, %v; want 2", n, err)
	}
	if got := count(t, db, "deliveries", "length(body) > 0"); got != 0 {
		t.Errorf("%d deliveries keep a body, want 0", got)
	}
}

// More deliveries than one batch are all dealt with in one run.
func TestDropDeliveryBodiesBatches(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range retentionBatch + 7 {
		if _, err := db.SaveDelivery(ctx, bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: fmt.Sprint(i), Type: "x", Body: []byte("{}"), ReceivedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.w.ExecContext(ctx, `UPDATE deliveries SET processed_at = 1`); err != nil {
		t.Fatal(err)
	}
	if n, err := db.DropDeliveryBodies(ctx, at.Add(time.Second)); err != nil || n != retentionBatch+7 {
		t.Errorf("DropDeliveryBodies = %d, %v; want %d", n, err, retentionBatch+7)
	}
}

func TestProbeWrite(t *testing.T) {
	db := openTest(t)
	if err := db.ProbeWrite(context.Background()); err != nil {
		t.Fatalf("ProbeWrite on a writable database: %v", err)
	}
	if got := count(t, db, "job_state", "name = 'readyz'"); got != 1 {
		t.Errorf("heartbeat rows %d, want 1", got)
	}
}
