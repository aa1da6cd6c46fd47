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
// of a database whose outbox holds an announcement a replica has claimed
// keeps the announcement and leaves the claim, a column SQLite does not
// have, behind: the restored copy hands it out again.
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

	sq, err := storage.Open(ctx, filepath.Join(t.TempDir(), "backup.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	err = db.Snapshot(ctx, func(s *Snapshot) error {
		n, err := sq.CopyIn(ctx, s, s.Tables())
		if err == nil && n["outbox"] != 1 {
			t.Errorf("copied %d outbox rows, want 1", n["outbox"])
		}
		return err
	})
	if err != nil {
		t.Fatalf("copy of a snapshot with a claimed announcement: %v", err)
	}
	due, err := sq.DueAnnouncements(ctx, now.Add(3*claimFor), 10)
	if err != nil || len(due) != 1 || due[0].Message.Text != "this week" {
		t.Fatalf("the restored copy's due announcements: %+v, %v", due, err)
	}
}
