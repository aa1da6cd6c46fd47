package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

func testBadges(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	b := &bot.Badge{
		Slug: "docs-hero", Name: "Docs Hero", Description: "Fixed the docs.", Criteria: "Ten docs PRs.",
		Image: []byte("<svg/>"), ImageType: "image/svg+xml",
		Owners:    []bot.Recipient{recipient(t, "slack:U0ADMIN"), recipient(t, "github:octocat")},
		Approvals: 2, Repeatable: true, Nominations: true,
	}
	if err := db.UpsertBadge(ctx, b); err != nil {
		t.Fatalf("UpsertBadge: %v", err)
	}
	if !b.CreatedAt.Equal(t0) || !b.UpdatedAt.Equal(t0) {
		t.Errorf("times %v %v, want %v", b.CreatedAt, b.UpdatedAt, t0)
	}
	got, err := db.Badge(ctx, "docs-hero")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b, got); diff != "" {
		t.Errorf("Badge (-want +got):\n%s", diff)
	}

	// An update keeps CreatedAt and replaces the rest.
	later := t0.Add(time.Hour)
	db.SetNow(func() time.Time { return later })
	b.Name, b.Image, b.ImageType, b.Owners, b.Repeatable = "Docs Heroine", nil, "", nil, false
	if err := db.UpsertBadge(ctx, b); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Badge(ctx, "docs-hero")
	want := *b
	want.CreatedAt, want.UpdatedAt = t0, later
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("updated Badge (-want +got):\n%s", diff)
	}

	addBadge(t, db, "alpha", false)
	all, err := db.Badges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Slug != "alpha" || all[1].Slug != "docs-hero" {
		t.Errorf("Badges: %d badges, want alpha then docs-hero", len(all))
	}

	_, err = db.Badge(ctx, "nope")
	wantCode(t, err, bot.ENOTFOUND)
	wantCode(t, db.UpsertBadge(ctx, &bot.Badge{Slug: "Bad Slug"}), bot.EINVALID)
}

func testNextStatusIndex(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	for want := range 3 {
		got, err := db.NextStatusIndex(ctx)
		if err != nil || got != want {
			t.Fatalf("NextStatusIndex = %d, %v; want %d", got, err, want)
		}
	}
	const n = 40
	got := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			idx, err := db.NextStatusIndex(ctx)
			if err != nil {
				t.Error(err)
			}
			got[i] = idx
		})
	}
	wg.Wait()
	sort.Ints(got)
	for i, idx := range got {
		if idx != i+3 {
			t.Fatalf("concurrent indexes %v: want 3..%d each once", got, n+2)
		}
	}
}

func testCreateAward(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	addBadge(t, db, "helper", true)
	octocat := recipient(t, "github:octocat")

	a := newAward(t, db, "first-pr", octocat)
	a.IssuedAt = time.Date(2026, 11, 1, 10, 30, 0, 123456789, time.FixedZone("CET", 3600))
	out := []bot.Announcement{
		{Platform: bot.PlatformSlack, Channel: "C0ANNOUNCE", Kind: bot.KindAward, Message: bot.Message{Title: "New badge", Text: "{{github:octocat}} earned First PR"}},
		{Platform: bot.PlatformDiscord, Channel: "123", Kind: bot.KindAward, Message: bot.Message{Title: "New badge"}},
	}
	if err := db.CreateAward(ctx, a, false, out); err != nil {
		t.Fatalf("CreateAward: %v", err)
	}
	if want := time.Date(2026, 11, 1, 9, 30, 0, 123000000, time.UTC); !a.IssuedAt.Equal(want) || a.IssuedAt.Location() != time.UTC {
		t.Errorf("IssuedAt set to %v, want %v in UTC", a.IssuedAt, want)
	}
	p, err := db.PersonByRecipient(ctx, octocat)
	if err != nil {
		t.Fatalf("the recipient got no person: %v", err)
	}
	if a.PersonID != p.ID {
		t.Errorf("PersonID = %d, want %d", a.PersonID, p.ID)
	}
	got, err := db.Award(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("Award (-want +got):\n%s", diff)
	}
	for i, o := range out {
		if o.ID == 0 || o.AwardID != a.ID || !o.CreatedAt.Equal(t0) || !o.NextAttempt.Equal(t0) {
			t.Errorf("announcement %d after CreateAward: %+v", i, o)
		}
	}
	if n := count(t, db, "outbox", "award_id = ?", a.ID); n != 2 {
		t.Errorf("%d outbox rows, want 2", n)
	}

	tests := []struct {
		name   string
		change func(a *bot.Award)
		repeat bool
		code   string
		msg    string
	}{
		{"held already", func(a *bot.Award) {}, false, bot.ECONFLICT, "github:octocat already holds the badge first-pr"},
		{"repeatable badge", func(a *bot.Award) { a.Badge = "helper" }, true, "", ""},
		{"repeatable again", func(a *bot.Award) { a.Badge = "helper" }, true, "", ""},
		{"non-repeatable over repeatable", func(a *bot.Award) { a.Badge = "helper" }, false, bot.ECONFLICT, "already holds"},
		{"unknown badge", func(a *bot.Award) { a.Badge = "nope" }, false, bot.ENOTFOUND, `badge "nope"`},
		{"same id", func(a *bot.Award) { a.ID = got.ID; a.Badge = "helper" }, true, bot.ECONFLICT, "an award with this id exists"},
		{"same status index", func(a *bot.Award) { a.StatusIndex = got.StatusIndex; a.Badge = "helper" }, true, bot.ECONFLICT, "status list index"},
		{"no id", func(a *bot.Award) { a.ID = "" }, false, bot.EINVALID, "no id"},
		{"no salt", func(a *bot.Award) { a.Salt = "" }, false, bot.EINVALID, "salt"},
		{"bad identity type", func(a *bot.Award) { a.IdentityType = "phone" }, false, bot.EINVALID, "identity type"},
		{"bad recipient", func(a *bot.Award) { a.Recipient = bot.Recipient{Platform: "fax", ID: "1"} }, false, bot.EINVALID, "unknown platform"},
		{"bad announcement", func(a *bot.Award) { a.Badge = "helper" }, true, bot.EINVALID, "announcement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAward(t, db, "first-pr", octocat)
			tt.change(a)
			var out []bot.Announcement
			if tt.name == "bad announcement" {
				out = []bot.Announcement{{Platform: bot.PlatformSlack}}
			}
			before := count(t, db, "awards", "")
			err := db.CreateAward(ctx, a, tt.repeat, out)
			wantCode(t, err, tt.code)
			if err != nil {
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("error %q does not say %q", err, tt.msg)
				}
				if after := count(t, db, "awards", ""); after != before {
					t.Errorf("a failed CreateAward left %d awards, had %d", after, before)
				}
			}
		})
	}
	if n := count(t, db, "outbox", ""); n != 2 {
		t.Errorf("%d outbox rows after the failures, want 2", n)
	}
}

// testAwardsOnceIndex shows the database itself refusing a second
// non-repeatable award, below CreateAward's own check, and the refusal
// mapped to ECONFLICT.
func testAwardsOnceIndex(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	a := createAward(t, db, "first-pr", recipient(t, "github:octocat"), t0)
	err := db.Exec(ctx, "copy award", `INSERT INTO awards (id, badge, person_id, recipient_platform, recipient_id, issued_at,
			evidence, narrative, source, source_ref, awarded_by, status_index,
			identity_type, identity, salt, credential, jwt,
			revoked, revoked_at, revocation_reason, revoked_by, awarded_via, revoked_via, exclusive)
		SELECT 'copy', badge, person_id, recipient_platform, recipient_id, issued_at,
			evidence, narrative, source, source_ref, awarded_by, status_index + 1000,
			identity_type, identity, salt, credential, jwt,
			revoked, revoked_at, revocation_reason, revoked_by, awarded_via, revoked_via, true
		FROM awards WHERE id = ?`, a.ID)
	wantCode(t, err, bot.ECONFLICT)
	if want := "copy award: the person already holds this badge"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// testCreateAwardConcurrent races awards of one non-repeatable badge to
// one person through two handles on one database (two processes, two replicas): exactly one wins.
func testCreateAwardConcurrent(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	dbs := []DB{db, db.Reopen(t)}
	addBadge(t, dbs[0], "first-pr", false)
	// Two identities of one person: the rule is per person.
	rs := []bot.Recipient{recipient(t, "github:octocat"), recipient(t, "slack:U024BE7LH")}
	if _, err := dbs[0].LinkIdentities(ctx, rs[0], rs[1]); err != nil {
		t.Fatal(err)
	}
	const n = 20
	awards := make([]*bot.Award, n)
	for i := range n {
		awards[i] = newAward(t, dbs[i%2], "first-pr", rs[i%2])
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = dbs[i%2].CreateAward(ctx, awards[i], false, nil) })
	}
	wg.Wait()
	wantOneWin(t, errs, "award")
	if got := count(t, dbs[0], "awards", ""); got != 1 {
		t.Errorf("%d awards stored, want 1", got)
	}
}

// testRuleAwardsUseEvidenceOnce: an award by the rules is refused when an
// earlier award of the badge to the person, held or revoked, used its
// evidence (bot.PastAwards.Reuses), also when two handles (two replicas)
// race; an award by hand is not judged so.
func testRuleAwardsUseEvidenceOnce(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	dbs := []DB{db, db.Reopen(t)}
	addBadge(t, db, "helper", true)
	gh, slack := recipient(t, "github:octocat"), recipient(t, "slack:U024BE7LH")
	if _, err := db.LinkIdentities(ctx, gh, slack); err != nil {
		t.Fatal(err)
	}
	pulls := func(ns ...int) []bot.Evidence {
		var es []bot.Evidence
		for _, n := range ns {
			es = append(es, bot.Evidence{URL: fmt.Sprintf("https://github.com/o/r/pull/%d", n), Name: fmt.Sprintf("PR #%d", n)})
		}
		return es
	}
	award := func(to bot.Recipient, source string, evidence []bot.Evidence) error {
		a := newAward(t, db, "helper", to)
		a.Source, a.Evidence = source, evidence
		return db.CreateAward(ctx, a, true, nil)
	}
	first := newAward(t, db, "helper", gh)
	first.Evidence = pulls(1, 2)
	if err := db.CreateAward(ctx, first, true, nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		to       bot.Recipient
		source   string
		evidence []bot.Evidence
		code     string // "": stored
	}{
		{"overlapping, other identity", slack, bot.SourceRule, pulls(2, 3), bot.ECONFLICT},
		{"no URL, after an award", gh, bot.SourceRule, []bot.Evidence{{Name: "A review"}}, bot.ECONFLICT},
		{"fresh", gh, bot.SourceRule, pulls(3, 4), ""},
		{"by hand, the same evidence", gh, bot.SourceManual, pulls(1), ""},
	} {
		if err := award(tt.to, tt.source, tt.evidence); bot.ErrorCode(err) != tt.code {
			t.Errorf("%s: CreateAward = %v, want code %q", tt.name, err, tt.code)
		}
	}
	// A revoked award's evidence stays used.
	if _, err := db.RevokeAward(ctx, first.ID, "mistake", "cli", t0, nil); err != nil {
		t.Fatal(err)
	}
	if err := award(gh, bot.SourceRule, pulls(1, 5)); bot.ErrorCode(err) != bot.ECONFLICT {
		t.Errorf("evidence of a revoked award: CreateAward = %v, want ECONFLICT", err)
	}

	// Racing awards, each with pull 100+round and one of its own: one
	// wins per round. The race is narrow; rounds make a lost lock show.
	const rounds, n = 20, 8
	for round := range rounds {
		awards := make([]*bot.Award, n)
		for i := range n {
			awards[i] = newAward(t, dbs[i%2], "helper", []bot.Recipient{gh, slack}[i%2])
			awards[i].Evidence = pulls(100+round, 1000+round*n+i)
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = dbs[i%2].CreateAward(ctx, awards[i], true, nil) })
		}
		wg.Wait()
		wantOneWin(t, errs, fmt.Sprintf("rule award with pull %d", 100+round))
	}
}

func testAwardsFilter(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	addBadge(t, db, "helper", true)
	gh, slack, other := recipient(t, "github:octocat"), recipient(t, "slack:U024BE7LH"), recipient(t, "github:hubot")
	if _, err := db.LinkIdentities(ctx, gh, slack); err != nil {
		t.Fatal(err)
	}
	a1 := createAward(t, db, "first-pr", gh, t0)
	a2 := newAward(t, db, "helper", slack)
	a2.IssuedAt = t0.Add(time.Hour)
	if err := db.CreateAward(ctx, a2, true, nil); err != nil {
		t.Fatal(err)
	}
	a3 := createAward(t, db, "first-pr", other, t0.Add(2*time.Hour))
	a4 := newAward(t, db, "helper", gh)
	a4.IssuedAt = t0.Add(time.Hour) // same time as a2: the later write is newer
	if err := db.CreateAward(ctx, a4, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RevokeAward(ctx, a1.ID, "mistake", "slack:U0ADMIN", t0.Add(3*time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false

	tests := []struct {
		name string
		f    bot.AwardFilter
		want []string
	}{
		{"all", bot.AwardFilter{}, []string{a3.ID, a4.ID, a2.ID, a1.ID}},
		{"badge", bot.AwardFilter{Badge: "first-pr"}, []string{a3.ID, a1.ID}},
		{"recipient, other identity", bot.AwardFilter{Recipient: slack}, []string{a4.ID, a2.ID, a1.ID}},
		{"recipient and badge", bot.AwardFilter{Recipient: gh, Badge: "helper"}, []string{a4.ID, a2.ID}},
		{"person", bot.AwardFilter{PersonID: a3.PersonID}, []string{a3.ID}},
		{"revoked", bot.AwardFilter{Revoked: &yes}, []string{a1.ID}},
		{"not revoked", bot.AwardFilter{Revoked: &no}, []string{a3.ID, a4.ID, a2.ID}},
		{"limit", bot.AwardFilter{Limit: 2}, []string{a3.ID, a4.ID}},
		{"unknown recipient", bot.AwardFilter{Recipient: recipient(t, "github:nobody")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Awards(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, a := range got {
				ids = append(ids, a.ID)
				if a.Credential != nil || a.JWT != "" {
					t.Errorf("Awards(%+v): award %s lists its signed documents (%d bytes, JWT %q), want them left to Award", tt.f, a.ID, len(a.Credential), a.JWT)
				}
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("Awards(%+v) (-want +got):\n%s", tt.f, diff)
			}
		})
	}
	// PastAwards: what the rules read of a person's awards of a badge,
	// the same as they would make of those awards themselves.
	for _, tt := range []struct {
		badge  string
		person int64
		awards []*bot.Award
	}{
		{"first-pr", a1.PersonID, []*bot.Award{a1}}, // revoked
		{"helper", a1.PersonID, []*bot.Award{a2, a4}},
		{"first-pr", a3.PersonID, []*bot.Award{a3}},
		{"helper", a3.PersonID, nil},
	} {
		var want bot.PastAwards
		for _, a := range tt.awards {
			var urls []string
			for _, e := range a.Evidence {
				urls = append(urls, e.URL)
			}
			want.Add(a.ID == a1.ID, urls)
		}
		got, err := db.PastAwards(ctx, tt.badge, tt.person)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(bot.PastAwards{})); diff != "" {
			t.Errorf("PastAwards(%s, %d) (-want +got):\n%s", tt.badge, tt.person, diff)
		}
	}
}

func testRevokeAward(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	octocat := recipient(t, "github:octocat")
	a := createAward(t, db, "first-pr", octocat, t0)

	at := t0.Add(time.Hour)
	out := []bot.Announcement{{Platform: bot.PlatformConsole, Channel: "announce", Kind: bot.KindRevoke, Message: bot.Message{Text: "revoked"}}}
	got, err := db.RevokeAward(ctx, a.ID, "awarded by mistake", "slack:U0ADMIN", at, out)
	if err != nil {
		t.Fatalf("RevokeAward: %v", err)
	}
	want := *a
	want.Revoked, want.RevokedAt, want.RevocationReason, want.RevokedBy = true, at, "awarded by mistake", "slack:U0ADMIN"
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("revoked award (-want +got):\n%s", diff)
	}
	if out[0].ID == 0 || out[0].AwardID != a.ID {
		t.Errorf("announcement after RevokeAward: %+v", out[0])
	}

	_, err = db.RevokeAward(ctx, a.ID, "again", "slack:U0ADMIN", at, out)
	wantCode(t, err, bot.ECONFLICT)
	_, err = db.RevokeAward(ctx, "nope", "x", "slack:U0ADMIN", at, nil)
	wantCode(t, err, bot.ENOTFOUND)
	_, err = db.Award(ctx, "nope")
	wantCode(t, err, bot.ENOTFOUND)
	if n := count(t, db, "outbox", ""); n != 1 {
		t.Errorf("%d outbox rows, want 1 (failed revocations write none)", n)
	}

	// A revoked badge may be awarded again.
	createAward(t, db, "first-pr", octocat, at)
}
