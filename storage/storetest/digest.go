package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

func testDigestAwards(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	addBadge(t, db, "helper", false)
	ada, bob := recipient(t, "github:ada"), recipient(t, "github:bob")
	createAward(t, db, "helper", bob, t0.AddDate(0, 0, -30)) // bob's first, before the week
	a1 := createAward(t, db, "first-pr", ada, t0.Add(-48*time.Hour))
	a2 := createAward(t, db, "helper", ada, t0.Add(-24*time.Hour))
	b1 := createAward(t, db, "first-pr", bob, t0.Add(-36*time.Hour))
	got, err := db.DigestAwards(ctx, t0.AddDate(0, 0, -7), t0)
	if err != nil {
		t.Fatal(err)
	}
	want := []bot.DigestAward{
		{ID: a1.ID, Badge: "first-pr", PersonID: a1.PersonID, Recipient: ada, IssuedAt: a1.IssuedAt, First: true},
		{ID: b1.ID, Badge: "first-pr", PersonID: b1.PersonID, Recipient: bob, IssuedAt: b1.IssuedAt},
		{ID: a2.ID, Badge: "helper", PersonID: a2.PersonID, Recipient: ada, IssuedAt: a2.IssuedAt},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DigestAwards (-want +got):\n%s", diff)
	}
	p, err := db.PersonByID(ctx, a1.PersonID)
	if err != nil || p.Handle != "ada" || len(p.Identities) != 1 {
		t.Errorf("PersonByID = %+v, %v", p, err)
	}
	_, err = db.PersonByID(ctx, 999)
	wantCode(t, err, bot.ENOTFOUND)
}

func testRecordDigestOncePerWeek(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	out := func() []bot.Announcement {
		return []bot.Announcement{{Platform: bot.PlatformSlack, Channel: "C0ANNOUNCE", Kind: bot.KindDigest, Message: bot.Message{Title: "Digest"}}}
	}
	run := func(forced bool) (*bot.DigestRun, []bot.Announcement, error) {
		r := &bot.DigestRun{Week: "2026-W48", Since: t0.AddDate(0, 0, -7), Until: t0, Forced: forced}
		o := out()
		return r, o, db.RecordDigest(ctx, r, o)
	}
	// Concurrent writers: one records the week, the others get ECONFLICT
	// and queue nothing.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, _, errs[i] = run(false) })
	}
	wg.Wait()
	wantOneWin(t, errs, "RecordDigest")
	if runs, queued := count(t, db, "digest_runs", ""), count(t, db, "outbox", "kind = 'digest'"); runs != 1 || queued != 1 {
		t.Errorf("%d runs recorded, %d announcements queued; want 1 and 1", runs, queued)
	}
	if posted, err := db.DigestPosted(ctx, "2026-W48"); !posted || err != nil {
		t.Errorf("DigestPosted = %v, %v", posted, err)
	}
	if posted, _ := db.DigestPosted(ctx, "2026-W49"); posted {
		t.Error("DigestPosted(W49) = true")
	}
	for _, want := range []string{"2026-W48+force1", "2026-W48+force2"} {
		r, o, err := run(true)
		if err != nil || r.Period != want || r.Posted != 1 || o[0].ID == 0 {
			t.Errorf("forced: %+v %+v %v; want period %s", r, o, err, want)
		}
	}
	if n := count(t, db, "outbox", "kind = 'digest'"); n != 3 {
		t.Errorf("%d digest announcements, want 3", n)
	}
	wantCode(t, db.RecordDigest(ctx, &bot.DigestRun{}, nil), bot.EINVALID)
}
