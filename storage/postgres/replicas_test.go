package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// twoReplicas opens two replicas on one fresh database. The first is
// closed with its pool alone, so that dies may have stopped its beats.
func twoReplicas(t *testing.T) (a, b *DB) {
	t.Helper()
	url := testURL(t)
	a, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.pool.Close)
	b, err = Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

// dies makes replica a die without a word, as seen by b: its beats stop
// and its row grows old.
func dies(t *testing.T, a, b *DB) {
	t.Helper()
	a.closeOnce.Do(func() {
		close(a.stop)
		<-a.beatDone
	})
	if _, err := b.pool.Exec(context.Background(), `UPDATE replicas SET seen_at = clock_timestamp() - interval '1 minute' WHERE id = $1`, a.replica); err != nil {
		t.Fatal(err)
	}
}

// TestDeadReplicaClaimsTakenOver: announcements a live replica claimed are
// hidden from the others; once it stops beating (killed: its row goes
// stale; closed: its row goes) another takes them over at once, not when
// the two-minute claim runs out.
func TestDeadReplicaClaimsTakenOver(t *testing.T) {
	ctx := context.Background()
	a, b := twoReplicas(t)
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
	dies(t, a, b)
	due, err := b.DueAnnouncements(ctx, now, 0)
	if err != nil || len(due) != 1 || due[0].ID != out[0].ID {
		t.Fatalf("after the claimer died: %v, %v; want its announcement", due, err)
	}
}

// TestReplicasClaimPendingDeliveries: the pending deliveries one replica
// reads for processing are hidden from the others while it beats, not
// from itself; deliveries stored later are the next reader's; once the
// claimer dies, another takes its deliveries over.
func TestReplicasClaimPendingDeliveries(t *testing.T) {
	ctx := context.Background()
	a, b := twoReplicas(t)
	save := func(id string) {
		t.Helper()
		d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: id, Type: "pull_request", Body: []byte(`{"n":"` + id + `"}`)}
		if _, err := a.SaveDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(ds []bot.WebhookDelivery, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, d := range ds {
			s = append(s, d.ID+"="+string(d.Body))
			if d.Release != nil {
				d.Release()
			}
		}
		return strings.Join(s, " ")
	}
	for _, id := range []string{"d1", "d2", "d3"} {
		save(id)
	}
	const all = `d1={"n":"d1"} d2={"n":"d2"} d3={"n":"d3"}`
	if got := ids(a.PendingDeliveriesAfter(ctx, 0, 10)); got != all {
		t.Fatalf("a's first read: %q, want %q", got, all)
	}
	if got := ids(b.PendingDeliveriesAfter(ctx, 0, 10)); got != "" {
		t.Fatalf("b read deliveries a claimed and is processing: %q", got)
	}
	if got := ids(a.PendingDeliveriesAfter(ctx, 0, 10)); got != all {
		t.Errorf("a reading its own claims again: %q, want %q", got, all)
	}
	save("d4")
	if got := ids(b.PendingDeliveriesAfter(ctx, 0, 10)); got != `d4={"n":"d4"}` {
		t.Errorf("b after d4 came: %q, want d4 alone", got)
	}
	dies(t, a, b)
	if got := ids(b.PendingDeliveriesAfter(ctx, 0, 10)); got != all+` d4={"n":"d4"}` {
		t.Errorf("b after a died: %q, want every pending delivery", got)
	}
}
