package jobs_test

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/bot/jobs"
)

// bug returns a fixed bug of ada's in product, n days before the tests' now.
func bug(product string, n, daysAgo int) bot.Event {
	return bot.Event{
		Source: bot.PlatformBugzilla, Kind: bot.EventBugFixed,
		Key:        fmt.Sprintf("bugzilla.example.org/%d", n),
		Actor:      bot.Recipient{Platform: bot.PlatformBugzilla, ID: "ada@example.org"},
		Product:    product,
		URL:        fmt.Sprintf("https://bugzilla.example.org/show_bug.cgi?id=%d", n),
		Title:      fmt.Sprintf("Bug %d", n),
		OccurredAt: bottest.T0().AddDate(0, 0, -daysAgo),
		ReceivedAt: bottest.T0().AddDate(0, 0, -daysAgo),
	}
}

// TestOneRuleEvaluator pins each rule shape through every caller of the
// rules: webhook evaluation, full and incremental sweeps, dry runs,
// progress (and so why) and the digest's near misses. They must agree:
// what a dry run and progress say is what awarding does. A revoked award
// is never made again from its evidence; new evidence earns the badge
// again only where it is repeatable.
func TestOneRuleEvaluator(t *testing.T) {
	day := 24 * time.Hour
	type tc struct {
		name       string
		rule       bot.Rule // for badge "shape"
		repeatable bool
		events     []bot.Event
		earned     bool // the events earn the badge
		near       bool // not earned, one event short
		newEvent   bot.Event
		again      bool // after a revocation, newEvent earns the badge again
	}
	cases := []tc{
		{name: "threshold", rule: bot.Rule{Threshold: 2},
			events: []bot.Event{pr("ada", "octo/a", 1, 30), pr("ada", "octo/a", 2, 20)}, earned: true,
			newEvent: pr("ada", "octo/a", 3, 1)},
		{name: "threshold short", rule: bot.Rule{Threshold: 3},
			events: []bot.Event{pr("ada", "octo/a", 1, 30), pr("ada", "octo/a", 2, 20)}, near: true},
		{name: "window", rule: bot.Rule{Threshold: 2, Window: 5 * day},
			events: []bot.Event{pr("ada", "octo/a", 1, 30), pr("ada", "octo/a", 2, 20), pr("ada", "octo/a", 3, 18)}, earned: true,
			newEvent: pr("ada", "octo/a", 4, 17)},
		{name: "window missed", rule: bot.Rule{Threshold: 2, Window: 5 * day},
			events: []bot.Event{pr("ada", "octo/a", 1, 30), pr("ada", "octo/a", 2, 20)}, near: true},
		{name: "repositories", rule: bot.Rule{Threshold: 2, Repositories: []string{"octo/*"}},
			events: []bot.Event{pr("ada", "octo/a", 1, 30), pr("ada", "other/x", 2, 20), pr("ada", "octo/b", 3, 10)}, earned: true,
			newEvent: pr("ada", "octo/c", 4, 1)},
		{name: "repositories miss", rule: bot.Rule{Threshold: 2, Repositories: []string{"octo/*"}},
			events: []bot.Event{pr("ada", "octo/a", 1, 30), pr("ada", "other/x", 2, 20)}, near: true},
		{name: "products", rule: bot.Rule{Event: bot.EventBugFixed, Threshold: 2, Products: []string{"Core"}},
			events: []bot.Event{bug("Core", 1, 30), bug("Other", 2, 20), bug("Core", 3, 10)}, earned: true,
			newEvent: bug("Core", 4, 1)},
		{name: "repeatable", rule: bot.Rule{Threshold: 1}, repeatable: true,
			events: []bot.Event{pr("ada", "octo/a", 1, 30)}, earned: true,
			newEvent: pr("ada", "octo/a", 2, 1), again: true},
		{name: "repeatable window", rule: bot.Rule{Threshold: 2, Window: 5 * day}, repeatable: true,
			events: []bot.Event{pr("ada", "octo/a", 1, 30), pr("ada", "octo/a", 2, 28)}, earned: true,
			newEvent: pr("ada", "octo/a", 3, 27), again: false}, // 2 and 3 fall in a window, but 2 is spent
	}
	callers := []string{"webhook", "full sweep", "incremental sweep"}
	for _, c := range cases {
		for _, caller := range callers {
			t.Run(c.name+"/"+caller, func(t *testing.T) {
				e := newEnv(t)
				b := bottest.Badge("shape", "Shape")
				b.Repeatable = c.repeatable
				if err := e.Svc.SaveBadge(e.Ctx, b); err != nil {
					t.Fatal(err)
				}
				r := c.rule
				r.Name, r.Badge = "shape-rule", "shape"
				if r.Event == "" {
					r.Event = bot.EventPRMerged
				}
				rules := bot.NewRules([]bot.Rule{r}, e.DB, e.Svc)
				sw := jobs.NewSweeper(jobs.SweeperConfig{Rules: rules, Store: e.DB, Service: e.Svc,
					Log: slog.New(slog.DiscardHandler), Now: e.Clock.Now})
				if caller == "incremental sweep" {
					// A first (full) sweep, so that the next ones are incremental.
					e.store(pr("zed", "z/z", 99, 40))
					if _, err := sw.Sweep(e.Ctx, jobs.SweepOptions{}); err != nil {
						t.Fatal(err)
					}
				}
				var person int64
				ingest := func(events ...bot.Event) {
					t.Helper()
					stored, err := e.DB.StoreEvents(e.Ctx, events)
					if err != nil {
						t.Fatal(err)
					}
					if len(stored) > 0 {
						person = stored[0].PersonID
					}
					e.Clock.Advance(time.Minute)
					switch caller {
					case "webhook":
						err = rules.OnEvents(e.Ctx, stored)
					case "full sweep":
						_, err = sw.Sweep(e.Ctx, jobs.SweepOptions{Full: true})
					case "incremental sweep":
						var rep *jobs.SweepReport
						rep, err = sw.Sweep(e.Ctx, jobs.SweepOptions{})
						if err == nil && rep.Full {
							t.Errorf("sweep was full")
						}
					}
					if err != nil {
						t.Fatalf("%s: %v", caller, err)
					}
				}
				held := func() int {
					t.Helper()
					as, err := e.DB.Awards(e.Ctx, bot.AwardFilter{Badge: "shape", PersonID: person, Revoked: new(false)})
					if err != nil {
						t.Fatal(err)
					}
					return len(as)
				}
				// agree checks that the dry run, the judgement (progress,
				// why) and the near misses agree on whether the person
				// would be awarded now (want) and is one event short
				// (near; -1: whatever the judgement says).
				agree := func(when string, want bool, near int) {
					t.Helper()
					n := 0
					if _, err := sw.Sweep(e.Ctx, jobs.SweepOptions{DryRun: true, Full: true, OnResult: func(r jobs.SweepResult) {
						if r.PersonID == person {
							n++
						}
					}}); err != nil {
						t.Fatal(err)
					}
					j, err := rules.Judge(e.Ctx, person, "shape")
					if err != nil {
						t.Fatal(err)
					}
					if (n == 1) != want || j.Earned != want {
						t.Errorf("%s: dry run would award %d, judgement earned %v; want %v", when, n, j.Earned, want)
					}
					holds := len(j.Progress) == 1 && j.Progress[0].Holds
					if j.Held && !c.repeatable && !holds {
						t.Errorf("%s: the holder is told the rule does not hold: %+v", when, j.Progress)
					}
					if !j.Held && holds != want {
						t.Errorf("%s: progress says holds=%v, awarding says %v", when, holds, want)
					}
					nm, _, err := sw.Near(e.Ctx, 10)
					if err != nil {
						t.Fatal(err)
					}
					gotNear := false
					for _, m := range nm {
						gotNear = gotNear || (m.PersonID == person && m.Badge == "shape")
					}
					judged := j.Missing() == 1 && !j.Held && !j.Barred
					if gotNear != judged || (near >= 0 && gotNear != (near == 1)) {
						t.Errorf("%s: near miss %v (missing %d), want %v", when, gotNear, j.Missing(), near)
					}
				}

				ingest(c.events...)
				want := 0
				if c.earned {
					want = 1
				}
				if got := held(); got != want {
					t.Fatalf("%s awarded %d, want %d", caller, got, want)
				}
				nearNow := 0
				if c.near {
					nearNow = 1
				}
				agree("after awarding", false, nearNow)
				if !c.earned {
					return
				}
				// Revoke: the same evidence never earns it again.
				as, err := e.DB.Awards(e.Ctx, bot.AwardFilter{Badge: "shape", PersonID: person})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.Svc.Revoke(e.Ctx, as[0].ID, "mistake", "cli"); err != nil {
					t.Fatal(err)
				}
				agree("after the revocation", false, -1)
				ingest(c.events...) // a redelivery, or the next sweep
				if got := held(); got != 0 {
					t.Fatalf("%s awarded the revoked badge again from the same evidence", caller)
				}
				// New evidence earns it again only where it is repeatable.
				ingest(c.newEvent)
				want = 0
				if c.again {
					want = 1
				}
				if got := held(); got != want {
					t.Errorf("%s with new evidence after the revocation awarded %d, want %d", caller, got, want)
				}
				agree("at the end", false, -1)
			})
		}
	}
}
