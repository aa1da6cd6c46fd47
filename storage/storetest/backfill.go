package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
)

func testStoreEventsSkipsKnownKeys(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	hook := backfilled(bot.EventPRMerged, "ada", "o/a", 1, t0)
	processDelivery(t, db, bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "d1", Type: "pull_request"}, hook)
	fresh := backfilled(bot.EventPRMerged, "newcomer", "o/a", 2, t0)
	stored, err := db.StoreEvents(ctx, []bot.Event{hook, fresh, fresh})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].Key != fresh.Key || stored[0].ID == 0 || stored[0].PersonID == 0 {
		t.Fatalf("stored %+v, want the new pull request once", stored)
	}
	if n := count(t, db, "events", ""); n != 2 {
		t.Errorf("%d events stored, want 2", n)
	}
	if n := count(t, db, "events", "delivery IS NULL"); n != 1 {
		t.Errorf("%d events without a delivery, want 1", n)
	}
	p, err := db.PersonByRecipient(ctx, fresh.Actor)
	if err != nil || p.ID != stored[0].PersonID || p.Identities[0].Name != "NEWCOMER" {
		t.Errorf("the new actor's person: %+v, %v", p, err)
	}
	_, err = db.StoreEvents(ctx, []bot.Event{{Kind: bot.EventPRMerged, Key: "k"}})
	wantCode(t, err, bot.EINVALID)
}

func testBackfillSourceState(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	s, err := db.BackfillSource(ctx, "github:o/a")
	if err != nil || s != (bot.BackfillSource{Name: "github:o/a"}) {
		t.Errorf("unknown source = %+v, %v", s, err)
	}
	want := bot.BackfillSource{Name: "github:o/a", Cursor: t0, BlockedUntil: t0.Add(time.Hour), LastRun: t0, LastError: "rate limited"}
	if err := db.SaveBackfillSource(ctx, want); err != nil {
		t.Fatal(err)
	}
	want.BlockedUntil, want.LastError = time.Time{}, ""
	if err := db.SaveBackfillSource(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, err := db.BackfillSource(ctx, "github:o/a"); err != nil || got != want {
		t.Errorf("BackfillSource = %+v, %v; want %+v", got, err, want)
	}
	wantCode(t, db.SaveBackfillSource(ctx, bot.BackfillSource{}), bot.EINVALID)
}
