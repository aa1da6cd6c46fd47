package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

// claimFor is how long both stores hide a claimed announcement from
// other workers.
const claimFor = 2 * time.Minute

func testOutbox(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	msg := bot.Message{
		Title: "New badge", Text: "{{github:octocat}} earned First PR",
		Fields:   []bot.Field{{Label: "Evidence", Value: "o/r#1"}},
		Buttons:  []bot.Button{{Label: "View", Action: "open", Value: "aw1"}},
		Mentions: map[string]string{"github:octocat": "The Octocat"},
	}
	out := []bot.Announcement{
		{Platform: bot.PlatformSlack, Channel: "C0ANNOUNCE", Kind: bot.KindAward, Message: msg},
		{Platform: bot.PlatformDiscord, Channel: "123", Kind: bot.KindAward, Message: msg, NextAttempt: t0.Add(time.Minute)},
	}
	a := newAward(t, db, "first-pr", recipient(t, "github:octocat"))
	if err := db.CreateAward(ctx, a, false, out); err != nil {
		t.Fatal(err)
	}
	digest := []bot.Announcement{{Platform: bot.PlatformSlack, Channel: "C0ANNOUNCE", Kind: bot.KindDigest, Message: bot.Message{Title: "This week"}}}
	if err := db.Enqueue(ctx, digest); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}

	// At t0 the Slack award and the digest are due, oldest first, and
	// claimed: asking again returns nothing.
	due, err := db.DueAnnouncements(ctx, t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	claimed := func(as ...bot.Announcement) []bot.Announcement {
		for i := range as {
			as[i].NextAttempt = t0.Add(claimFor)
		}
		return as
	}
	if diff := cmp.Diff(claimed(out[0], digest[0]), due); diff != "" {
		t.Errorf("due at t0 (-want +got):\n%s", diff)
	}
	if due, _ := db.DueAnnouncements(ctx, t0.Add(time.Minute), 10); len(due) != 1 || due[0].ID != out[1].ID {
		t.Errorf("due a minute later: %+v, want only the Discord one", due)
	}

	// A failure counts an attempt and sets the next one.
	retry := t0.Add(90 * time.Second) // before the claims above run out
	if err := db.MarkFailed(ctx, out[0].ID, "rate limited", retry); err != nil {
		t.Fatalf("MarkFailed: %v", err)
	}
	if due, _ := db.DueAnnouncements(ctx, retry.Add(-time.Millisecond), 0); len(due) != 0 {
		t.Errorf("due before the retry time: %+v", due)
	}
	due, err = db.DueAnnouncements(ctx, retry, 0)
	if err != nil || len(due) != 1 {
		t.Fatalf("due at the retry time: %+v, %v", due, err)
	}
	if got := due[0]; got.Attempts != 1 || got.LastError != "rate limited" {
		t.Errorf("after a failure: attempts %d, last error %q", got.Attempts, got.LastError)
	}

	// Delivered ones never come back.
	if err := db.MarkDelivered(ctx, out[0].ID, "1700000000.000100", retry); err != nil {
		t.Fatalf("MarkDelivered: %v", err)
	}
	wantCode(t, db.MarkDelivered(ctx, out[0].ID, "again", retry), bot.ECONFLICT)
	wantCode(t, db.MarkFailed(ctx, out[0].ID, "late", retry), bot.ECONFLICT)
	wantCode(t, db.MarkDelivered(ctx, 9999, "x", retry), bot.ENOTFOUND)
	wantCode(t, db.MarkFailed(ctx, 9999, "x", retry), bot.ENOTFOUND)

	// Claims run out: what a dead worker took comes back, and the limit
	// takes the oldest.
	later := t0.Add(time.Hour)
	due, err = db.DueAnnouncements(ctx, later, 1)
	if err != nil || len(due) != 1 || due[0].ID != out[1].ID {
		t.Fatalf("due an hour later, limit 1: %+v, %v; want the Discord one", due, err)
	}
	due, _ = db.DueAnnouncements(ctx, later, 0)
	if len(due) != 1 || due[0].ID != digest[0].ID {
		t.Errorf("due an hour later: %+v; want the digest", due)
	}
	var deliveredAt int64
	var messageID string
	err = db.QueryRow(ctx, `SELECT delivered_at, message_id FROM outbox WHERE id = ?`, out[0].ID).Scan(&deliveredAt, &messageID)
	if err != nil || messageID != "1700000000.000100" || !fromMillis(deliveredAt).Equal(retry) {
		t.Errorf("delivered row: at %v, message %q, %v", fromMillis(deliveredAt), messageID, err)
	}
}
