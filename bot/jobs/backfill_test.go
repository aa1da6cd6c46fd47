package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/bot/internal/testenv"
	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/badgebot/badgebot/integrations/console"
	"github.com/google/go-cmp/cmp"
)

// fakeSource serves stored events since a time, like the APIs do, and
// records what it was asked. err, when set, is returned once with the
// events, as a rate limit cutting a listing short would.
type fakeSource struct {
	mu     sync.Mutex
	events map[string][]bot.Event // by repository or product
	calls  []string
	err    map[string]error
}

func (f *fakeSource) list(what string, since time.Time) ([]bot.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, what+" since "+since.Format(time.RFC3339))
	var out []bot.Event
	for _, e := range f.events[what] {
		if !e.OccurredAt.Before(since) {
			out = append(out, e)
		}
	}
	err := f.err[what]
	delete(f.err, what)
	return out, err
}

func (f *fakeSource) MergedPullRequests(ctx context.Context, repo string, since time.Time) ([]bot.Event, error) {
	return f.list(repo, since)
}

// Repositories lists the repositories of owner that have events, and
// the error set for "owner/*".
func (f *fakeSource) Repositories(ctx context.Context, owner string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "repositories of "+owner)
	var repos []string
	for what := range f.events {
		if strings.HasPrefix(what, owner+"/") {
			repos = append(repos, what)
		}
	}
	slices.Sort(repos)
	err := f.err[owner+"/*"]
	delete(f.err, owner+"/*")
	return repos, err
}

func (f *fakeSource) FixedBugs(ctx context.Context, product string, since time.Time) ([]bot.Event, error) {
	return f.list(product, since)
}

func (f *fakeSource) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func fixedBug(email, product string, id, daysAgo int) bot.Event {
	return bot.Event{
		Source: bot.PlatformBugzilla, Kind: bot.EventBugFixed, Key: fmt.Sprintf("bugzilla:%d:fixed", id),
		Actor: bot.Recipient{Platform: bot.PlatformBugzilla, ID: email}, Product: product, Component: "General",
		URL: fmt.Sprintf("https://bugzilla.example.org/show_bug.cgi?id=%d", id), Title: fmt.Sprintf("Bug %d", id),
		OccurredAt: bottest.T0().AddDate(0, 0, -daysAgo), ReceivedAt: bottest.T0(),
	}
}

func TestBackfill(t *testing.T) {
	e := newEnv(t)
	if err := e.Svc.SaveBadge(e.Ctx, bottest.Badge("bug-fixer", "Bug Fixer")); err != nil {
		t.Fatal(err)
	}
	rules := []bot.Rule{
		{Name: "first-merged-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1},
		{Name: "first-fix", Badge: "bug-fixer", Event: bot.EventBugFixed, Threshold: 1, Products: []string{"Firefox", "Core*"}},
	}
	s := e.sweeper(rules...)
	// The webhook saw octocat's pull request 1 (and its rules ran then).
	d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "d1", Type: "pull_request", Body: []byte("{}")}
	if dup, err := e.DB.SaveDelivery(e.Ctx, d); dup || err != nil {
		t.Fatalf("SaveDelivery = %v, %v", dup, err)
	}
	pending, err := e.DB.PendingDeliveriesAfter(e.Ctx, 0, 10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending = %d, %v", len(pending), err)
	}
	if _, err := e.DB.CompleteDelivery(e.Ctx, pending[0], []bot.Event{pr("octocat", "octo/hello", 1, 3)}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Award(e.Ctx, bot.AwardRequest{Badge: "first-pr", To: bottest.Recipient(t, "github:octocat"), Source: bot.SourceRule}); err != nil {
		t.Fatal(err)
	}
	e.Deliver()

	gh := &fakeSource{events: map[string][]bot.Event{
		"octo/hello": {pr("octocat", "octo/hello", 1, 3), pr("hubot", "octo/hello", 2, 2), pr("monalisa", "octo/hello", 3, 60)},
	}}
	reset := e.Clock.Now().Add(time.Hour)
	bz := &fakeSource{
		events: map[string][]bot.Event{"Firefox": {fixedBug("dev@example.org", "Firefox", 7, 1)}},
		err:    map[string]error{"Firefox": &bot.SourceUnavailableError{Until: reset, Err: errors.New("HTTP 429")}},
	}
	b := jobs.NewBackfill(jobs.BackfillConfig{
		Store: e.DB, Sweeper: s, Service: e.Svc,
		GitHub: gh, Repositories: []string{"octo/hello", "octo/*"},
		Bugzilla: bz, Products: jobs.ProductsOf(rules),
		Now: e.Clock.Now, Log: slog.New(slog.DiscardHandler),
	})

	rep, err := b.Run(e.Ctx)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	since := e.Clock.Now().Add(-jobs.DefaultBackfillLookback).Format(time.RFC3339)
	// "octo/*" lists octo's repositories: octo/hello, asked about once.
	if diff := cmp.Diff([]string{"repositories of octo", "octo/hello since " + since}, gh.takeCalls()); diff != "" {
		t.Errorf("GitHub calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Firefox since " + since}, bz.takeCalls()); diff != "" {
		t.Errorf("Bugzilla calls (-want +got):\n%s", diff)
	}
	// PR 1 is stored once; PR 3 is older than the lookback; the bug came
	// with the rate limit and is kept.
	if rep.Found != 3 || rep.New != 2 || len(rep.Awards) != 2 {
		t.Errorf("report: found %d, new %d, awards %d; want 3, 2, 2", rep.Found, rep.New, len(rep.Awards))
	}
	if as := e.Awards("github:hubot"); len(as) != 1 {
		t.Errorf("hubot holds %d badges, want first-pr", len(as))
	} else if as[0].Via != bot.ViaBackfill || as[0].AwardedBy != "badgebot" {
		t.Errorf("hubot's award made by %q via %q, want badgebot via backfill (the audit trail)", as[0].AwardedBy, as[0].Via)
	}
	// One summary, no announcement per award.
	e.Deliver()
	posts := postsTo(e.Slack, "C0ANNOUNCE")
	if len(posts) != 2 || posts[1].Message.Title != "New badges for contributions the webhooks missed" {
		t.Fatalf("announce channel got %d posts: %+v", len(posts), posts)
	}
	sc := testenv.NewScrubber(e.DB).BySecond() // the sweep's awards were made at once
	goldenFile(t, "backfill-summary.golden", sc.Scrub(t, console.Render(posts[1].Message)))

	src, err := e.DB.BackfillSource(e.Ctx, "github:octo/hello")
	if err != nil || !src.Cursor.Equal(e.Clock.Now()) || src.LastError != "" {
		t.Errorf("github cursor %+v, %v", src, err)
	}
	src, err = e.DB.BackfillSource(e.Ctx, "bugzilla:Firefox")
	if err != nil || !src.Cursor.IsZero() || !src.BlockedUntil.Equal(reset) || !strings.Contains(src.LastError, "429") {
		t.Errorf("bugzilla state %+v, %v: want no cursor, blocked until %s", src, err, reset)
	}

	// Within the hour: GitHub from its cursor (with an overlap), Bugzilla
	// left alone.
	e.Clock.Advance(30 * time.Minute)
	rep, err = b.Run(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"repositories of octo", "octo/hello since " + e.Clock.Now().Add(-90*time.Minute).Format(time.RFC3339)}, gh.takeCalls()); diff != "" {
		t.Errorf("second run's GitHub calls (-want +got):\n%s", diff)
	}
	if c := bz.takeCalls(); len(c) != 0 {
		t.Errorf("a rate-limited source was asked again: %q", c)
	}
	if rep.New != 0 || rep.Sources[1].Skipped == "" {
		t.Errorf("second run: %+v", rep)
	}
	// After the reset: Bugzilla is asked again, the same bug is not new.
	e.Clock.Advance(time.Hour)
	if rep, err = b.Run(e.Ctx); err != nil || rep.New != 0 || len(bz.takeCalls()) != 1 {
		t.Errorf("third run: %+v, %v", rep, err)
	}
	if src, _ := e.DB.BackfillSource(e.Ctx, "bugzilla:Firefox"); !src.Cursor.Equal(e.Clock.Now()) || !src.BlockedUntil.IsZero() {
		t.Errorf("bugzilla state after the reset: %+v", src)
	}
}

// TestBackfillOwnerPatterns: a watched "owner/*" (or any pattern over one
// owner's repositories) backfills every matching repository GitHub lists
// for the owner; a listing that fails is reported under the pattern, and a
// rate limit on it holds back the rest of GitHub for this run.
func TestBackfillOwnerPatterns(t *testing.T) {
	e := newEnv(t)
	rules := []bot.Rule{{Name: "first-merged-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1}}
	gh := &fakeSource{events: map[string][]bot.Event{
		"octo/hello":     {pr("hubot", "octo/hello", 1, 2)},
		"octo/web-app":   {pr("monalisa", "octo/web-app", 2, 2)},
		"octo/web-docs":  nil,
		"other/web-site": {pr("octocat", "other/web-site", 3, 2)},
	}}
	b := jobs.NewBackfill(jobs.BackfillConfig{
		Store: e.DB, Sweeper: e.sweeper(rules...), Service: e.Svc,
		GitHub: gh, Repositories: []string{"octo/web-*", "octo/web-app", "*/web-site"},
		Now: e.Clock.Now, Log: slog.New(slog.DiscardHandler),
	})
	rep, err := b.Run(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	since := e.Clock.Now().Add(-jobs.DefaultBackfillLookback).Format(time.RFC3339)
	want := []string{"repositories of octo", "octo/web-app since " + since, "octo/web-docs since " + since}
	if diff := cmp.Diff(want, gh.takeCalls()); diff != "" {
		t.Errorf("GitHub calls (-want +got):\n%s", diff)
	}
	if rep.New != 1 || len(e.Awards("github:monalisa")) != 1 {
		t.Errorf("report %+v: want monalisa's pull request stored and awarded", rep)
	}

	// The listing is rate-limited: reported, and no repository is asked.
	gh.err = map[string]error{"octo/*": &bot.SourceUnavailableError{Until: e.Clock.Now().Add(time.Hour), Err: errors.New("HTTP 403 rate limit")}}
	b = jobs.NewBackfill(jobs.BackfillConfig{
		Store: e.DB, Sweeper: e.sweeper(rules...), Service: e.Svc,
		GitHub: gh, Repositories: []string{"octo/*", "octo/hello"},
		Now: e.Clock.Now, Log: slog.New(slog.DiscardHandler),
	})
	if rep, err = b.Run(e.Ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"repositories of octo"}, gh.takeCalls()); diff != "" {
		t.Errorf("GitHub calls under a rate limit (-want +got):\n%s", diff)
	}
	if len(rep.Sources) < 2 || rep.Sources[0].Name != "github:octo/*" || rep.Sources[0].Err == nil {
		t.Fatalf("sources %+v: want the listing's error first", rep.Sources)
	}
	for _, sr := range rep.Sources[1:] {
		if sr.Skipped == "" {
			t.Errorf("%s was not held back by the listing's rate limit: %+v", sr.Name, sr)
		}
	}
}

// TestBackfillSummaryRespectsAnnounce: someone who chose `settings
// announce off` is counted in the summary, never named or mentioned.
func TestBackfillSummaryRespectsAnnounce(t *testing.T) {
	e := newEnv(t)
	p, err := e.DB.EnsurePerson(e.Ctx, bottest.Recipient(t, "github:hubot"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.DB.SetAnnounce(e.Ctx, p.ID, bot.AnnounceOff); err != nil {
		t.Fatal(err)
	}
	gh := &fakeSource{events: map[string][]bot.Event{"octo/hello": {pr("hubot", "octo/hello", 1, 2), pr("monalisa", "octo/hello", 2, 2)}}}
	b := jobs.NewBackfill(jobs.BackfillConfig{
		Store: e.DB, Sweeper: e.sweeper(bot.Rule{Name: "first-merged-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1}),
		Service: e.Svc, GitHub: gh, Repositories: []string{"octo/hello"},
		Now: e.Clock.Now, Log: slog.New(slog.DiscardHandler),
	})
	if rep, err := b.Run(e.Ctx); err != nil || len(rep.Awards) != 2 {
		t.Fatalf("Run: %+v, %v; want 2 awards", rep, err)
	}
	e.Deliver()
	posts := postsTo(e.Slack, "C0ANNOUNCE")
	if len(posts) != 1 {
		t.Fatalf("announce channel got %d posts: %+v", len(posts), posts)
	}
	m := posts[0].Message
	if !strings.Contains(m.Text, "2 badges were earned") || !strings.Contains(m.Text, "First Pull Request: {{github:monalisa}} and 1 more") ||
		strings.Contains(m.Text, "hubot") || len(m.Mentions) != 1 || len(m.Fields) != 1 {
		t.Errorf("summary names someone who chose not to be announced:\n%s\nmentions %v, links %d", m.Text, m.Mentions, len(m.Fields))
	}
}

// ProductsOf names what a backfill asks Bugzilla about; UnnamedProducts
// the fixed-bug rules it therefore cannot catch up in full.
func TestProductsOf(t *testing.T) {
	rules := []bot.Rule{
		{Name: "firefox", Event: bot.EventBugFixed, Products: []string{"Firefox", "Core*"}},
		{Name: "any", Event: bot.EventBugFixed},
		{Name: "core", Event: bot.EventBugFixed, Products: []string{"Core", "Firefox"}},
		{Name: "prs", Event: bot.EventPRMerged},
	}
	if diff := cmp.Diff([]string{"Core", "Firefox"}, jobs.ProductsOf(rules)); diff != "" {
		t.Errorf("ProductsOf (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"firefox", "any"}, jobs.UnnamedProducts(rules)); diff != "" {
		t.Errorf("UnnamedProducts (-want +got):\n%s", diff)
	}
}
