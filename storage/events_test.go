package storage

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

func prEvent(t testing.TB, n string, actor string) bot.Event {
	return bot.Event{
		Source: bot.PlatformGitHub, Kind: bot.EventPRMerged, Key: "github.com/o/r/pull/" + n,
		Actor: recipient(t, actor), ActorName: "The Octocat", Repository: "o/r",
		URL: "https://github.com/o/r/pull/" + n, Title: "Fix " + n, OccurredAt: t0.Add(-time.Hour),
	}
}

func TestRecordDelivery(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	d := bot.Delivery{Source: bot.PlatformGitHub, ID: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Type: "pull_request", Body: []byte(`{"action":"closed"}`)}
	events := []bot.Event{prEvent(t, "1", "github:octocat"), prEvent(t, "1", "github:octocat"), prEvent(t, "2", "github:hubot")}

	stored, err := db.RecordDelivery(ctx, d, events)
	if err != nil || !stored {
		t.Fatalf("RecordDelivery = %v, %v; want true", stored, err)
	}
	octo, err := db.PersonByRecipient(ctx, recipient(t, "github:octocat"))
	if err != nil {
		t.Fatalf("actor got no person: %v", err)
	}
	if octo.Handle != "octocat" || octo.Identities[0].Name != "The Octocat" {
		t.Errorf("actor's person %+v", octo)
	}
	if events[0].ID == 0 || events[0].PersonID != octo.ID {
		t.Errorf("first event after recording: ID %d PersonID %d, want an ID and person %d", events[0].ID, events[0].PersonID, octo.ID)
	}
	if events[1].ID != 0 {
		t.Errorf("the repeated key got stored as event %d", events[1].ID)
	}
	if events[2].ID == 0 || events[2].PersonID == octo.ID {
		t.Errorf("third event: %+v", events[2])
	}

	var body []byte
	var received int64
	if err := db.r.QueryRowContext(ctx, `SELECT body, received_at FROM deliveries WHERE delivery_id = ?`, d.ID).Scan(&body, &received); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, d.Body) || !fromMillis(received).Equal(t0) {
		t.Errorf("stored delivery body %q received %v", body, fromMillis(received))
	}
	var ev struct {
		kind, url, repo string
		occurred        int64
		delivery        int64
	}
	err = db.r.QueryRowContext(ctx, `SELECT kind, url, repository, occurred_at, delivery FROM events WHERE id = ?`, events[0].ID).
		Scan(&ev.kind, &ev.url, &ev.repo, &ev.occurred, &ev.delivery)
	if err != nil {
		t.Fatal(err)
	}
	if ev.kind != bot.EventPRMerged || ev.url != "https://github.com/o/r/pull/1" || ev.repo != "o/r" ||
		!fromMillis(ev.occurred).Equal(t0.Add(-time.Hour)) || ev.delivery == 0 {
		t.Errorf("stored event %+v", ev)
	}

	// The same delivery again changes nothing.
	again := []bot.Event{prEvent(t, "3", "github:octocat")}
	stored, err = db.RecordDelivery(ctx, d, again)
	if err != nil || stored {
		t.Errorf("repeated RecordDelivery = %v, %v; want false", stored, err)
	}
	if again[0].ID != 0 || count(t, db, "events", "") != 2 || count(t, db, "deliveries", "") != 1 {
		t.Error("a repeated delivery changed something")
	}

	// Another delivery (a backfill, say) with a known key stores the
	// delivery but not the event again.
	d2 := bot.Delivery{Source: bot.PlatformGitHub, ID: "second", Type: "pull_request"}
	seen := []bot.Event{prEvent(t, "1", "github:octocat")}
	if stored, err := db.RecordDelivery(ctx, d2, seen); err != nil || !stored {
		t.Fatalf("second delivery = %v, %v", stored, err)
	}
	if seen[0].ID != 0 || count(t, db, "events", "") != 2 {
		t.Error("an event key was stored twice")
	}

	// The same delivery id from another source is a different delivery.
	if stored, err := db.RecordDelivery(ctx, bot.Delivery{Source: bot.PlatformBugzilla, ID: d.ID, Type: "bug.modify"}, nil); err != nil || !stored {
		t.Errorf("bugzilla delivery with a github id = %v, %v", stored, err)
	}

	_, err = db.RecordDelivery(ctx, bot.Delivery{Source: bot.PlatformGitHub}, nil)
	wantCode(t, err, bot.EINVALID)
	_, err = db.RecordDelivery(ctx, bot.Delivery{Source: bot.PlatformGitHub, ID: "x"}, []bot.Event{{Kind: bot.EventPRMerged, Key: "k"}})
	wantCode(t, err, bot.EINVALID)
}

// TestRecordDeliveryConcurrent sends one delivery 30 times at once, as a
// retrying sender might: exactly one call stores it.
func TestRecordDeliveryConcurrent(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	d := bot.Delivery{Source: bot.PlatformGitHub, ID: "dup", Type: "pull_request", Body: bytes.Repeat([]byte("x"), 25<<10)}
	const n = 30
	stored := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stored[i], errs[i] = db.RecordDelivery(ctx, d, []bot.Event{prEvent(t, "7", "github:octocat")})
		})
	}
	wg.Wait()
	trues := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("call %d: %v", i, errs[i])
		}
		if stored[i] {
			trues++
		}
	}
	if trues != 1 {
		t.Errorf("%d calls stored the delivery, want exactly 1", trues)
	}
	got := map[string]int{
		"deliveries": count(t, db, "deliveries", ""),
		"events":     count(t, db, "events", ""),
		"people":     count(t, db, "people", ""),
	}
	if diff := cmp.Diff(map[string]int{"deliveries": 1, "events": 1, "people": 1}, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// A delivery recorded with its events is complete: the processor must not
// take it up again.
func TestRecordDeliveryIsNotPending(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if ok, err := db.RecordDelivery(ctx, bot.Delivery{Source: bot.PlatformGitHub, ID: "done-1", Type: "pull_request"},
		[]bot.Event{prEvent(t, "8", "github:octocat")}); !ok || err != nil {
		t.Fatalf("RecordDelivery = %v, %v", ok, err)
	}
	pending, err := db.PendingDeliveriesAfter(ctx, 0, 10)
	if err != nil || len(pending) != 0 {
		t.Fatalf("pending after RecordDelivery = %d (%v), want 0", len(pending), err)
	}
}
