package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// TestDeadReplicaClaimsTakenOver: announcements a live replica claimed are
// hidden from the others; once it stops beating (killed: its row goes
// stale; closed: its row goes) another takes them over at once, not when
// the two-minute claim runs out.
func TestDeadReplicaClaimsTakenOver(t *testing.T) {
	ctx := context.Background()
	url := testURL(t)
	a, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.pool.Close()
	b, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	out := []bot.Announcement{{Platform: bot.PlatformSlack, Channel: "C0ANNOUNCE", Kind: bot.KindNotice, Message: bot.Message{Text: "hi"}}}
	if err := a.Enqueue(ctx, out); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if due, err := a.DueAnnouncements(ctx, now, 0); err != nil || len(due) != 1 {
		t.Fatalf("first claim: %v, %v", due, err)
	}
	if due, err := b.DueAnnouncements(ctx, now, 0); err != nil || len(due) != 0 {
		t.Fatalf("claimed by a live replica, yet handed out again: %v, %v", due, err)
	}
	// a dies without a word: its beats stop and its row grows old.
	a.closeOnce.Do(func() {
		close(a.stop)
		<-a.beatDone
	})
	if _, err := b.pool.Exec(ctx, `UPDATE replicas SET seen_at = clock_timestamp() - interval '1 minute' WHERE id = $1`, a.replica); err != nil {
		t.Fatal(err)
	}
	due, err := b.DueAnnouncements(ctx, now, 0)
	if err != nil || len(due) != 1 || due[0].ID != out[0].ID {
		t.Fatalf("after the claimer died: %v, %v; want its announcement", due, err)
	}
}
