package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

func testEnsurePerson(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	octocat := recipient(t, "github:octocat")

	p, err := db.EnsurePerson(ctx, octocat, "The Octocat")
	if err != nil {
		t.Fatalf("EnsurePerson: %v", err)
	}
	want := &bot.Person{
		ID: p.ID, Handle: "octocat", Name: "The Octocat", Announce: bot.AnnouncePublic, CreatedAt: t0,
		Identities: []bot.Identity{{Recipient: octocat, PersonID: p.ID, Name: "The Octocat", CreatedAt: t0}},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("new person (-want +got):\n%s", diff)
	}

	again, err := db.EnsurePerson(ctx, octocat, "")
	if err != nil || again.ID != p.ID {
		t.Fatalf("second EnsurePerson = %v, %v; want person %d", again, err, p.ID)
	}
	renamed, err := db.EnsurePerson(ctx, octocat, "Mona")
	if err != nil {
		t.Fatal(err)
	}
	if got := renamed.Identities[0].Name; got != "Mona" {
		t.Errorf("identity name after rename = %q, want Mona", got)
	}
	if renamed.Handle != "octocat" {
		t.Errorf("rename changed the handle to %q", renamed.Handle)
	}

	// Handles stay unique, ignoring case, and show nothing of an e-mail
	// address: people known by one are numbered ("#": person-<their id>).
	for _, c := range []struct{ r, name, handle string }{
		{"slack:U0OCTO1", "Octocat", "octocat-2"},
		{"discord:80351110224678912", "OCTOCAT", "octocat-3"},
		{"email:octocat@example.org", "", "#"},
		{"bugzilla:ada@example.org", "", "#"},
		{"bugzilla:bob@example.org", "Bob <bob@example.org>", "#"},
		{"slack:U0MAIL", "carol@example.org", "u0mail"},
	} {
		p, err := db.EnsurePerson(ctx, recipient(t, c.r), c.name)
		if err != nil {
			t.Fatalf("EnsurePerson(%s): %v", c.r, err)
		}
		want := c.handle
		if want == "#" {
			want = fmt.Sprintf("person-%d", p.ID)
		}
		if p.Handle != want {
			t.Errorf("EnsurePerson(%s, %q).Handle = %q, want %q", c.r, c.name, p.Handle, want)
		}
		if strings.Contains(p.Handle+p.Name, "@") || strings.Contains(p.Handle, "octocat-4") || strings.Contains(p.Handle+p.Name, "ada") ||
			strings.Contains(p.Handle+p.Name, "bob") || strings.Contains(p.Handle+p.Name, "carol") {
			t.Errorf("person %+v shows part of an e-mail address", p)
		}
	}

	_, err = db.EnsurePerson(ctx, bot.Recipient{Platform: "github", ID: "not a login"}, "")
	wantCode(t, err, bot.EINVALID)
}

func testPersonLookups(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	p, err := db.EnsurePerson(ctx, recipient(t, "github:Octocat"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"octocat", "OctoCat"} {
		got, err := db.PersonByHandle(ctx, h)
		if err != nil || got.ID != p.ID {
			t.Errorf("PersonByHandle(%q) = %v, %v; want person %d", h, got, err, p.ID)
		}
	}
	got, err := db.PersonByRecipient(ctx, recipient(t, "github:octocat"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("PersonByRecipient (-want +got):\n%s", diff)
	}
	_, err = db.PersonByHandle(ctx, "nobody")
	wantCode(t, err, bot.ENOTFOUND)
	_, err = db.PersonByRecipient(ctx, recipient(t, "github:nobody"))
	wantCode(t, err, bot.ENOTFOUND)
}

// testEnsurePersonConcurrent races callers for one identity through two
// handles on one database, as two processes would: one person results.
func testEnsurePersonConcurrent(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	dbs := []DB{db, db.Reopen(t)}
	r := recipient(t, "slack:U024BE7LH")
	const n = 24
	ids := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p, err := dbs[i%2].EnsurePerson(ctx, r, "Ada")
			errs[i] = err
			if err == nil {
				ids[i] = p.ID
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("call %d got person %d, call 0 person %d", i, ids[i], ids[0])
		}
	}
	if got := count(t, dbs[0], "people", ""); got != 1 {
		t.Errorf("%d people, want 1", got)
	}
}

func testLinkIdentities(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	addBadge(t, db, "bug-hunter", false)
	slack := recipient(t, "slack:U024BE7LH")
	gh := recipient(t, "github:octocat")

	chatPerson, err := db.EnsurePerson(ctx, slack, "Ada")
	if err != nil {
		t.Fatal(err)
	}
	// Both sides hold first-pr; the GitHub side also holds bug-hunter and
	// has an event.
	a1 := createAward(t, db, "first-pr", slack, t0)
	a2 := createAward(t, db, "first-pr", gh, t0.Add(1))
	a3 := createAward(t, db, "bug-hunter", gh, t0.Add(2))
	ev := []bot.Event{{Kind: bot.EventPRMerged, Key: "github.com/o/r/pull/1", Actor: gh, OccurredAt: t0}}
	processDelivery(t, db, bot.WebhookDelivery{Source: "github", ID: "d1", Type: "pull_request"}, ev...)
	ghPerson, err := db.PersonByRecipient(ctx, gh)
	if err != nil {
		t.Fatal(err)
	}

	p, err := db.LinkIdentities(ctx, slack, gh)
	if err != nil {
		t.Fatalf("LinkIdentities: %v", err)
	}
	if p.ID != chatPerson.ID || len(p.Identities) != 2 {
		t.Fatalf("linked person %+v: want person %d with two identities", p, chatPerson.ID)
	}
	for _, id := range p.Identities {
		if !id.Verified {
			t.Errorf("identity %s not verified after the link", id.Recipient)
		}
	}
	if _, err := db.PersonByHandle(ctx, ghPerson.Handle); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("merged-away person %q still there (err %v)", ghPerson.Handle, err)
	}

	// Every award, including both first-pr awards, now belongs to the
	// survivor and is found through either identity.
	for _, r := range []bot.Recipient{slack, gh} {
		got, err := db.Awards(ctx, bot.AwardFilter{Recipient: r})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range got {
			ids = append(ids, a.ID)
			if a.PersonID != p.ID {
				t.Errorf("award %s person %d, want %d", a.ID, a.PersonID, p.ID)
			}
		}
		if diff := cmp.Diff([]string{a3.ID, a2.ID, a1.ID}, ids); diff != "" {
			t.Errorf("awards of %s (-want +got):\n%s", r, diff)
		}
	}
	if n := count(t, db, "events", "person_id = ?", p.ID); n != 1 {
		t.Errorf("%d events moved to the survivor, want 1", n)
	}

	// The badge is still held: no third first-pr.
	err = db.CreateAward(ctx, newAward(t, db, "first-pr", gh), false, nil)
	wantCode(t, err, bot.ECONFLICT)

	// Linking again, either way round, changes nothing.
	again, err := db.LinkIdentities(ctx, gh, slack)
	if err != nil || again.ID != p.ID {
		t.Errorf("second link = %v, %v; want person %d", again, err, p.ID)
	}

	// An identity nobody had yet is created and joins.
	bz := recipient(t, "bugzilla:ada@example.org")
	p, err = db.LinkIdentities(ctx, slack, bz)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Identity(bot.PlatformBugzilla); !ok || len(p.Identities) != 3 {
		t.Errorf("after linking %s: identities %+v", bz, p.Identities)
	}
	if n := count(t, db, "people", ""); n != 1 {
		t.Errorf("%d people, want 1", n)
	}
}
