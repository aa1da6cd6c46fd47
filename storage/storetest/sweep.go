package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

// backfilled returns an event as a backfill stores it.
func backfilled(kind, login, repo string, n int, at time.Time) bot.Event {
	return bot.Event{
		Source: bot.PlatformGitHub, Kind: kind, Key: fmt.Sprintf("%s/%s/%d", kind, repo, n),
		Actor: bot.Recipient{Platform: bot.PlatformGitHub, ID: login}, ActorName: strings.ToUpper(login),
		Repository: repo, URL: fmt.Sprintf("https://github.com/%s/pull/%d", repo, n), Title: fmt.Sprintf("PR %d", n),
		OccurredAt: at, ReceivedAt: at.Add(time.Minute),
	}
}

func testScanPersonEvents(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	stored, err := db.StoreEvents(ctx, []bot.Event{
		backfilled(bot.EventPRMerged, "ada", "o/a", 1, t0),
		backfilled(bot.EventPRMerged, "bob", "o/a", 2, t0),
		backfilled(bot.EventIssueClosed, "ada", "o/b", 3, t0.Add(time.Hour)),
		backfilled(bot.EventReviewApproved, "ada", "o/c", 4, t0),
		backfilled(bot.EventPRMerged, "carol", "o/a", 5, t0),
	})
	if err != nil || len(stored) != 5 {
		t.Fatalf("StoreEvents = %d events, %v", len(stored), err)
	}
	ada, bob, carol := stored[0].PersonID, stored[1].PersonID, stored[4].PersonID
	maxEvent, maxPerson, err := db.SweepBounds(ctx)
	if err != nil || maxEvent != stored[4].ID || maxPerson != carol {
		t.Errorf("SweepBounds = %d, %d, %v", maxEvent, maxPerson, err)
	}

	scan := func(sel bot.PersonSelection, kinds ...string) map[int64][]string {
		t.Helper()
		got := map[int64][]string{}
		err := db.ScanPersonEvents(ctx, sel, kinds, func(pid int64, events []bot.Event) error {
			if _, ok := got[pid]; ok {
				t.Errorf("person %d reported twice", pid)
			}
			for _, e := range events {
				if e.PersonID != pid || e.URL != "" || e.OccurredAt.IsZero() || e.ReceivedAt.IsZero() {
					t.Errorf("event %+v of person %d: want the covered columns only", e, pid)
				}
				got[pid] = append(got[pid], fmt.Sprintf("%s %s", e.Kind, e.Repository))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	all := scan(bot.PersonSelection{Through: maxPerson}, bot.EventPRMerged, bot.EventIssueClosed)
	want := map[int64][]string{
		ada:   {"github.issues.closed o/b", "github.pull_request.merged o/a"},
		bob:   {"github.pull_request.merged o/a"},
		carol: {"github.pull_request.merged o/a"},
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("scan of everyone (-want +got):\n%s", diff)
	}
	if got := scan(bot.PersonSelection{IDs: []int64{carol, ada}}, bot.EventReviewApproved); len(got) != 1 || len(got[ada]) != 1 {
		t.Errorf("scan of ids: %v", got)
	}
	if got := scan(bot.PersonSelection{After: ada, Through: bob}, bot.EventPRMerged); len(got) != 1 || got[bob] == nil {
		t.Errorf("scan of a range: %v", got)
	}
	if got := scan(bot.PersonSelection{IDs: []int64{}}, bot.EventPRMerged); len(got) != 0 {
		t.Errorf("scan of no ids: %v", got)
	}

	ids, err := db.PeopleWithEventsAfter(ctx, stored[1].ID, maxEvent)
	if err != nil || !cmp.Equal(ids, []int64{ada, carol}) {
		t.Errorf("PeopleWithEventsAfter = %v, %v; want ada and carol", ids, err)
	}

	events := []bot.Event{{ID: stored[2].ID}, {ID: stored[0].ID}, {ID: stored[2].ID}}
	if err := db.FillEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	if e := events[2]; e.URL != "https://github.com/o/b/pull/3" || e.Title != "PR 3" || e.Actor.ID != "ada" ||
		e.ActorName != "ADA" || e.Key == "" || e.Source != bot.PlatformGitHub || events[1].URL != "https://github.com/o/a/pull/1" {
		t.Errorf("FillEvents: %+v", events)
	}
}

func testHeldAwardsAndSweepState(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	// A sweep's scan runs a second read (FillEvents) while it holds one.
	if n := db.Readers(); n < 2 {
		t.Errorf("Readers() = %d, want 2 at least", n)
	}
	addBadge(t, db, "first-pr", false)
	addBadge(t, db, "streak", true)
	a := createAward(t, db, "first-pr", recipient(t, "github:ada"), t0)
	s := newAward(t, db, "streak", recipient(t, "github:ada"))
	if err := db.CreateAward(ctx, s, true, nil); err != nil {
		t.Fatal(err)
	}
	r := createAward(t, db, "first-pr", recipient(t, "github:bob"), t0)
	if _, err := db.RevokeAward(ctx, r.ID, "oops", "cli", t0, nil); err != nil {
		t.Fatal(err)
	}
	held, err := db.HeldAwards(ctx, bot.PersonSelection{Through: 100}, []string{"streak"})
	if err != nil {
		t.Fatal(err)
	}
	want := []bot.HeldAward{
		{PersonID: a.PersonID, Badge: "first-pr"},
		{PersonID: a.PersonID, Badge: "streak", EvidenceURLs: []string{s.Evidence[0].URL}},
		{PersonID: r.PersonID, Badge: "first-pr", Revoked: true}, // a revocation sticks: sweeps see it
	}
	if diff := cmp.Diff(want, held); diff != "" {
		t.Errorf("HeldAwards (-want +got):\n%s", diff)
	}

	st, err := db.SweepState(ctx)
	if err != nil || st != (bot.SweepState{}) {
		t.Errorf("SweepState before any sweep = %+v, %v", st, err)
	}
	st = bot.SweepState{LastEventID: 42, Fingerprint: "abc", FullAt: t0, SweptAt: t0.Add(time.Hour)}
	if err := db.SaveSweepState(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got, err := db.SweepState(ctx); err != nil || got != st {
		t.Errorf("SweepState = %+v, %v; want %+v", got, err, st)
	}
	// Times not set yet come back unset, not as 1970.
	st = bot.SweepState{LastEventID: 43, Fingerprint: "abc", SweptAt: t0}
	if err := db.SaveSweepState(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got, err := db.SweepState(ctx); err != nil || got != st {
		t.Errorf("SweepState = %+v, %v; want %+v", got, err, st)
	}
}

func testHealthStore(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	first := backfilled(bot.EventPRMerged, "ada", "o/a", 1, t0)
	noRepo := backfilled(bot.EventPRMerged, "ada", "", 2, t0)
	noURL := backfilled(bot.EventIssueClosed, "ada", "o/a", 3, t0)
	noURL.URL = ""
	stored, err := db.StoreEvents(ctx, []bot.Event{first, noRepo, noURL})
	if err != nil {
		t.Fatal(err)
	}
	stats, through, err := db.EventFieldStats(ctx, 0)
	if err != nil || through != stored[2].ID {
		t.Fatalf("EventFieldStats = %v, %d, %v", stats, through, err)
	}
	want := []bot.FieldStat{
		{Kind: bot.EventIssueClosed, Total: 1, Missing: map[string]int64{"url": 1, "repository": 0, "product": 1, "component": 1}},
		{Kind: bot.EventPRMerged, Total: 2, Missing: map[string]int64{"url": 0, "repository": 1, "product": 2, "component": 2}},
	}
	if diff := cmp.Diff(want, stats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if stats, after, err := db.EventFieldStats(ctx, through); err != nil || len(stats) != 0 || after != through {
		t.Errorf("stats after the last event = %v, %d, %v", stats, after, err)
	}

	st := bot.HealthState{
		CheckedEventID: through,
		Rules:          map[string]bot.RuleHealth{"r": {FirstSeen: t0, Reported: true}},
		Fields:         map[string]bot.FieldHealth{"k url": {Present: 3, Missing: 1, Healthy: true}},
	}
	out := []bot.Announcement{{Platform: bot.PlatformSlack, Channel: "C0REVIEW", Kind: bot.KindHealth, Message: bot.Message{Text: "x"}}}
	if err := db.SaveHealth(ctx, st, out); err != nil || out[0].ID == 0 {
		t.Fatalf("SaveHealth: %v (announcement %+v)", err, out[0])
	}
	got, err := db.HealthState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, got); diff != "" {
		t.Errorf("HealthState (-want +got):\n%s", diff)
	}
}
