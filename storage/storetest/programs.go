package storetest

import (
	"context"
	"testing"

	"github.com/badgebot/badgebot/issuer"
)

// testPrograms: a badge's program is stored with it; an award keeps the
// program it was issued under after its badge moves to another one, and
// the issuer source reads both.
func testPrograms(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	src := db.Source("https://badges.example.org")

	b := addBadge(t, db, "docs-star", false)
	old := newAward(t, db, "docs-star", recipient(t, "github:octocat"))
	if err := db.CreateAward(ctx, old, false, nil); err != nil {
		t.Fatal(err)
	}
	b.Program = "docs"
	if err := db.UpsertBadge(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Badge(ctx, "docs-star"); err != nil || got.Program != "docs" {
		t.Fatalf("Badge after moving into docs: program %q, %v", got.Program, err)
	}
	if bs, err := db.Badges(ctx); err != nil || len(bs) != 1 || bs[0].Program != "docs" {
		t.Fatalf("Badges: %+v, %v", bs, err)
	}
	if a, err := src.Achievement(ctx, "docs-star"); err != nil || a.Program != "docs" {
		t.Errorf("Achievement: program %q, %v; want docs", a.Program, err)
	}
	if as, err := src.Achievements(ctx); err != nil || len(as) != 1 || as[0].Program != "docs" {
		t.Errorf("Achievements: %+v, %v", as, err)
	}

	if ps, err := db.AwardPrograms(ctx); err != nil || len(ps) != 0 {
		t.Errorf("AwardPrograms before any program's award = %v, %v; want none", ps, err)
	}
	nw := newAward(t, db, "docs-star", recipient(t, "github:hubot"))
	nw.Program = "docs"
	if err := db.CreateAward(ctx, nw, false, nil); err != nil {
		t.Fatal(err)
	}
	if ps, ok := src.(issuer.PageSource); ok {
		if pop, err := ps.PopularBadges(ctx, 5); err != nil || len(pop) != 1 || pop[0].Badge.Program != "docs" {
			t.Errorf("PopularBadges: %+v, %v; want docs-star of docs", pop, err)
		}
	}
	// The program's leaderboard counts its badges' awards, whoever
	// issued them; another program's is empty.
	if top, err := db.ProgramLeaderboard(ctx, "docs", 10); err != nil || len(top) != 2 || top[0].Awards != 1 {
		t.Errorf("ProgramLeaderboard(docs) = %+v, %v; want two people with one award each", top, err)
	}
	if top, err := db.ProgramLeaderboard(ctx, "support", 10); err != nil || len(top) != 0 {
		t.Errorf("ProgramLeaderboard(support) = %+v, %v; want none", top, err)
	}
	b2 := addBadge(t, db, "forum-star", false)
	b2.Program = "forum"
	if err := db.UpsertBadge(ctx, b2); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"github:octocat", "github:hubot"} {
		fa := newAward(t, db, "forum-star", recipient(t, who))
		fa.Program = "forum"
		if err := db.CreateAward(ctx, fa, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Every program an award was issued under, with one of its awards:
	// the start refuses a config that dropped one.
	ps, err := db.AwardPrograms(ctx)
	if err != nil || len(ps) != 2 || ps["docs"] != nw.ID || ps["forum"] == "" {
		t.Errorf("AwardPrograms = %v, %v; want docs (%s) and forum", ps, err, nw.ID)
	}
	for _, c := range []struct{ id, program string }{{old.ID, ""}, {nw.ID, "docs"}} {
		a, err := db.Award(ctx, c.id)
		if err != nil || a.Program != c.program {
			t.Errorf("Award(%s): program %q, %v; want %q", c.id, a.Program, err, c.program)
		}
		ia, err := src.Award(ctx, c.id)
		if err != nil || ia.Program != c.program || ia.Badge.Program != c.program {
			t.Errorf("source Award(%s): program %q, badge's %q, %v; want %q", c.id, ia.Program, ia.Badge.Program, err, c.program)
		}
		if _, err := db.RevokeAward(ctx, c.id, "test", "slack:U0ADMIN", t0, nil); err != nil {
			t.Fatal(err)
		}
	}
	revs, err := src.Revocations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range revs {
		got[r.AwardID] = r.Program
	}
	if want := map[string]string{old.ID: "", nw.ID: "docs"}; len(got) != 2 || got[old.ID] != "" || got[nw.ID] != "docs" {
		t.Errorf("Revocations' programs = %v, want %v", got, want)
	}
}
