package postgres

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/storage"
)

// TestSnapshotCopiesClaimedWork: a backup (a snapshot copied into SQLite)
// of a database holding an announcement and a delivery a replica has
// claimed keeps both and leaves the claims, columns SQLite does not have,
// behind: the restored copy hands them out again.
func TestSnapshotCopiesClaimedWork(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	out := []bot.Announcement{{Platform: bot.PlatformSlack, Channel: "C1", Kind: "digest", Message: bot.Message{Text: "this week"}, NextAttempt: now}}
	if err := db.Enqueue(ctx, out); err != nil {
		t.Fatal(err)
	}
	if due, err := db.DueAnnouncements(ctx, now, 10); err != nil || len(due) != 1 {
		t.Fatalf("claim: %d due, %v", len(due), err)
	}
	if _, err := db.SaveDelivery(ctx, bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "d1", Type: "ping", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if ds, err := db.PendingDeliveriesAfter(ctx, 0, 10); err != nil || len(ds) != 1 {
		t.Fatalf("claim: %d pending deliveries, %v", len(ds), err)
	}

	sq, err := storage.Open(ctx, filepath.Join(t.TempDir(), "backup.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	err = db.Snapshot(ctx, func(s *Snapshot) error {
		n, err := sq.CopyIn(ctx, s, s.Tables())
		if err == nil && (n["outbox"] != 1 || n["deliveries"] != 1) {
			t.Errorf("copied %d outbox rows and %d deliveries, want 1 of each", n["outbox"], n["deliveries"])
		}
		return err
	})
	if err != nil {
		t.Fatalf("copy of a snapshot with claimed work: %v", err)
	}
	due, err := sq.DueAnnouncements(ctx, now.Add(3*claimFor), 10)
	if err != nil || len(due) != 1 || due[0].Message.Text != "this week" {
		t.Fatalf("the restored copy's due announcements: %+v, %v", due, err)
	}
	if ds, err := sq.PendingDeliveriesAfter(ctx, 0, 10); err != nil || len(ds) != 1 || ds[0].ID != "d1" {
		t.Fatalf("the restored copy's pending deliveries: %+v, %v", ds, err)
	}
}
