package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
)

func prEvent(t testing.TB, n string, actor string) bot.Event {
	return bot.Event{
		Source: bot.PlatformGitHub, Kind: bot.EventPRMerged, Key: "github.com/o/r/pull/" + n,
		Actor: recipient(t, actor), ActorName: "The Octocat", Repository: "o/r",
		URL: "https://github.com/o/r/pull/" + n, Title: "Fix " + n, OccurredAt: t0.Add(-time.Hour),
	}
}

// testDeliveryEvents: a delivery's events are stored under people made
// for their actors; a key stored before (here, or by another delivery) is
// skipped; a delivery seen before changes nothing.
func testDeliveryEvents(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Type: "pull_request", Body: []byte(`{"action":"closed"}`)}
	stored := processDelivery(t, db, d, prEvent(t, "1", "github:octocat"), prEvent(t, "1", "github:octocat"), prEvent(t, "2", "github:hubot"))
	octo, err := db.PersonByRecipient(ctx, recipient(t, "github:octocat"))
	if err != nil {
		t.Fatalf("actor got no person: %v", err)
	}
	if octo.Handle != "octocat" || octo.Identities[0].Name != "The Octocat" {
		t.Errorf("actor's person %+v", octo)
	}
	if len(stored) != 2 || stored[0].Key != "github.com/o/r/pull/1" || stored[0].ID == 0 || stored[0].PersonID != octo.ID ||
		stored[1].ID == 0 || stored[1].PersonID == octo.ID {
		t.Fatalf("stored %+v; want pull 1 (once) for octocat and pull 2 for another person", stored)
	}

	var received int64
	if err := db.QueryRow(ctx, `SELECT received_at FROM deliveries WHERE delivery_id = ?`, d.ID).Scan(&received); err != nil {
		t.Fatal(err)
	}
	if !fromMillis(received).Equal(t0) {
		t.Errorf("stored delivery received %v, want %v", fromMillis(received), t0)
	}
	var ev struct {
		kind, url, repo string
		occurred        int64
		delivery        int64
	}
	err = db.QueryRow(ctx, `SELECT kind, url, repository, occurred_at, delivery FROM events WHERE id = ?`, stored[0].ID).
		Scan(&ev.kind, &ev.url, &ev.repo, &ev.occurred, &ev.delivery)
	if err != nil {
		t.Fatal(err)
	}
	if ev.kind != bot.EventPRMerged || ev.url != "https://github.com/o/r/pull/1" || ev.repo != "o/r" ||
		!fromMillis(ev.occurred).Equal(t0.Add(-time.Hour)) || ev.delivery == 0 {
		t.Errorf("stored event %+v", ev)
	}

	// The same delivery again changes nothing.
	if dup, err := db.SaveDelivery(ctx, d); err != nil || !dup {
		t.Errorf("repeated SaveDelivery = %v, %v; want a duplicate", dup, err)
	}
	if count(t, db, "events", "") != 2 || count(t, db, "deliveries", "") != 1 {
		t.Error("a repeated delivery changed something")
	}

	// Another delivery with a known key stores the delivery but not the
	// event again.
	if again := processDelivery(t, db, bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "second", Type: "pull_request"}, prEvent(t, "1", "github:octocat")); len(again) != 0 ||
		count(t, db, "events", "") != 2 {
		t.Errorf("an event key was stored twice: %+v", again)
	}
	// A known key changes nobody: its actor is not renamed, and an actor
	// nobody knows (the key stored under another) gets no person.
	renamed, stranger := prEvent(t, "1", "github:octocat"), prEvent(t, "1", "github:newcomer")
	renamed.ActorName = "Mona"
	if again := processDelivery(t, db, bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "third", Type: "pull_request"}, renamed, stranger); len(again) != 0 {
		t.Errorf("a known event key was stored again: %+v", again)
	}
	if p, err := db.PersonByRecipient(ctx, octo.Identities[0].Recipient); err != nil || p.Identities[0].Name != "The Octocat" {
		t.Errorf("a known event renamed its actor: %+v, %v", p, err)
	}
	if p, err := db.PersonByRecipient(ctx, stranger.Actor); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("a known event made its unknown actor a person: %+v, %v", p, err)
	}

	// The same delivery id from another source is a different delivery.
	if dup, err := db.SaveDelivery(ctx, bot.WebhookDelivery{Source: bot.PlatformBugzilla, ID: d.ID, Type: "bug.modify"}); err != nil || dup {
		t.Errorf("bugzilla delivery with a github id = %v, %v", dup, err)
	}

	_, err = db.SaveDelivery(ctx, bot.WebhookDelivery{Source: bot.PlatformGitHub})
	wantCode(t, err, bot.EINVALID)
	_, err = db.CompleteDelivery(ctx, bot.WebhookDelivery{Seq: 1, Source: bot.PlatformGitHub, ID: "x"}, []bot.Event{{Kind: bot.EventPRMerged, Key: "k"}}, "")
	wantCode(t, err, bot.EINVALID)
}

// testSaveDeliveryConcurrent sends one delivery 30 times at once, as a
// retrying sender might: exactly one call stores it.
func testSaveDeliveryConcurrent(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "dup", Type: "pull_request", Body: bytes.Repeat([]byte("x"), 25<<10)}
	const n = 30
	dups := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			dups[i], errs[i] = db.SaveDelivery(ctx, d)
		})
	}
	wg.Wait()
	stored := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("call %d: %v", i, errs[i])
		}
		if !dups[i] {
			stored++
		}
	}
	if stored != 1 || count(t, db, "deliveries", "") != 1 {
		t.Errorf("%d calls stored the delivery (%d rows), want exactly 1", stored, count(t, db, "deliveries", ""))
	}
}
