package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/google/go-cmp/cmp"
)

// pr returns a merged pull request of login in repo, n days before the
// tests' now.
func pr(login, repo string, n, daysAgo int) bot.Event {
	return bot.Event{
		Source: bot.PlatformGitHub, Kind: bot.EventPRMerged,
		Key:        fmt.Sprintf("github.com/%s/pull/%d", repo, n),
		Actor:      bot.Recipient{Platform: bot.PlatformGitHub, ID: login},
		Repository: repo,
		URL:        fmt.Sprintf("https://github.com/%s/pull/%d", repo, n),
		Title:      fmt.Sprintf("PR %d", n),
		OccurredAt: bottest.T0().AddDate(0, 0, -daysAgo),
		ReceivedAt: bottest.T0().AddDate(0, 0, -daysAgo),
	}
}

// store stores events as a backfill would: no rules run on them.
func (e *env) store(events ...bot.Event) {
	e.T.Helper()
	if _, err := e.DB.StoreEvents(e.Ctx, events); err != nil {
		e.T.Fatalf("StoreEvents: %v", err)
	}
}

// sweeper returns a Sweeper over rules on e's database and service.
func (e *env) sweeper(rules ...bot.Rule) *jobs.Sweeper {
	return jobs.NewSweeper(jobs.SweeperConfig{
		Rules: bot.NewRules(rules, e.DB, e.Svc), Store: e.DB, Service: e.Svc,
		Log: slog.New(slog.DiscardHandler), Now: e.Clock.Now,
	})
}

// sweep runs a sweep and returns the report and its results as
// "badge to recipient (rules): evidence URLs" lines.
func sweep(t *testing.T, s *jobs.Sweeper, e *env, opts jobs.SweepOptions) (*jobs.SweepReport, []string) {
	t.Helper()
	var got []string
	opts.OnResult = func(r jobs.SweepResult) {
		if r.Err != nil {
			t.Errorf("award %s to %s: %v", r.Request.Badge, r.Request.To, r.Err)
		}
		if !opts.DryRun && r.Award == nil {
			t.Errorf("award %s to %s: no award", r.Request.Badge, r.Request.To)
		}
		var urls []string
		for _, ev := range r.Request.Evidence {
			urls = append(urls, strings.TrimPrefix(ev.URL, "https://github.com/"))
		}
		got = append(got, fmt.Sprintf("%s to %s (%s): %s", r.Request.Badge, r.Request.To, strings.Join(r.Rules, "+"), strings.Join(urls, " ")))
	}
	rep, err := s.Sweep(e.Ctx, opts)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	slices.Sort(got)
	return rep, got
}

func TestSweepAwardsRetroactivelyAndIncrementally(t *testing.T) {
	e := newEnv(t)
	for _, b := range []*bot.Badge{bottest.Badge("three-prs", "Three PRs"), bottest.Badge("sprint", "Sprint")} {
		if err := e.Svc.SaveBadge(e.Ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	first := bot.Rule{Name: "first-merged-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1}
	e.store(
		pr("octocat", "octo/hello", 1, 40), pr("octocat", "octo/hello", 2, 20), pr("octocat", "other/x", 3, 10),
		pr("hubot", "octo/hello", 4, 5),
	)
	s := e.sweeper(first)

	// A dry run lists and changes nothing.
	rep, got := sweep(t, s, e, jobs.SweepOptions{DryRun: true})
	want := []string{
		"first-pr to github:hubot (first-merged-pr): octo/hello/pull/4",
		"first-pr to github:octocat (first-merged-pr): octo/hello/pull/1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dry run (-want +got):\n%s", diff)
	}
	if !rep.Full || rep.People != 2 || rep.Events != 4 || rep.Awarded != 2 {
		t.Errorf("dry run report %+v", rep)
	}
	if n := len(e.Awards("github:octocat")); n != 0 {
		t.Fatalf("a dry run awarded %d badges", n)
	}

	_, got = sweep(t, s, e, jobs.SweepOptions{})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sweep (-want +got):\n%s", diff)
	}
	if a := e.Awards("github:octocat"); len(a) != 1 || a[0].Source != bot.SourceRule || a[0].SourceRef != "first-merged-pr" ||
		a[0].Evidence[0].Name != "PR 1" || a[0].Evidence[0].Genre != "Pull request" {
		t.Errorf("octocat's awards %+v", a)
	}
	if e.Deliver() != 2 {
		t.Errorf("the sweep's awards were not announced one by one")
	}

	// Nothing new: an incremental sweep reads nobody.
	rep, got = sweep(t, s, e, jobs.SweepOptions{})
	if rep.Full || rep.People != 0 || len(got) != 0 {
		t.Errorf("second sweep: %+v %q, want incremental and empty", rep, got)
	}
	// A new event: only its person is read again.
	e.store(pr("monalisa", "octo/hello", 5, 1))
	rep, got = sweep(t, s, e, jobs.SweepOptions{})
	if rep.Full || rep.People != 1 || !slices.Equal(got, []string{"first-pr to github:monalisa (first-merged-pr): octo/hello/pull/5"}) {
		t.Errorf("incremental sweep: %+v %q", rep, got)
	}

	// Rules added later award retroactively: the changed rules make the
	// sweep full. The window rule needs 3 PRs within 30 days.
	s = e.sweeper(first,
		bot.Rule{Name: "three", Badge: "three-prs", Event: bot.EventPRMerged, Threshold: 3},
		bot.Rule{Name: "sprint", Badge: "sprint", Event: bot.EventPRMerged, Threshold: 2, Window: 15 * 24 * time.Hour},
		bot.Rule{Name: "octo-only", Badge: "sprint", Event: bot.EventPRMerged, Threshold: 1, Repositories: []string{"octo/*"}},
	)
	rep, got = sweep(t, s, e, jobs.SweepOptions{})
	want = []string{
		"sprint to github:octocat (sprint+octo-only): octo/hello/pull/2 other/x/pull/3 octo/hello/pull/1",
		"three-prs to github:octocat (three): octo/hello/pull/1 octo/hello/pull/2 other/x/pull/3",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sweep with new rules (-want +got):\n%s", diff)
	}
	if !rep.Full {
		t.Error("changed rules did not make the sweep full")
	}

	// --rule: one badge only; an unknown rule is an error a user reads.
	if _, got := sweep(t, s, e, jobs.SweepOptions{DryRun: true, Rule: "three", Full: true}); len(got) != 0 {
		t.Errorf("--rule three after awarding: %q", got)
	}
	if _, err := s.Sweep(e.Ctx, jobs.SweepOptions{Rule: "nope"}); bot.ErrorCode(err) != bot.ENOTFOUND ||
		!strings.Contains(bot.ErrorMessage(err), "first-merged-pr") {
		t.Errorf("unknown rule: %v", err)
	}
}

func TestSweepRepeatableBadgeUsesEachEventOnce(t *testing.T) {
	e := newEnv(t)
	rep := bottest.Badge("streak", "Streak")
	rep.Repeatable = true
	if err := e.Svc.SaveBadge(e.Ctx, rep); err != nil {
		t.Fatal(err)
	}
	s := e.sweeper(bot.Rule{Name: "two-prs", Badge: "streak", Event: bot.EventPRMerged, Threshold: 2})
	e.store(pr("octocat", "octo/a", 1, 9), pr("octocat", "octo/a", 2, 8), pr("octocat", "octo/a", 3, 7))
	if _, got := sweep(t, s, e, jobs.SweepOptions{}); len(got) != 1 {
		t.Fatalf("first sweep: %q", got)
	}
	// One event is left over: not enough for a second award.
	if _, got := sweep(t, s, e, jobs.SweepOptions{Full: true}); len(got) != 0 {
		t.Errorf("second sweep awarded %q with used evidence", got)
	}
	e.store(pr("octocat", "octo/a", 4, 1))
	_, got := sweep(t, s, e, jobs.SweepOptions{})
	if !slices.Equal(got, []string{"streak to github:octocat (two-prs): octo/a/pull/3 octo/a/pull/4"}) {
		t.Errorf("third sweep: %q", got)
	}
	if n := len(e.Awards("github:octocat")); n != 2 {
		t.Errorf("octocat holds %d streaks, want 2", n)
	}
}

func TestSweepFullAgainAfterFullEvery(t *testing.T) {
	e := newEnv(t)
	s := e.sweeper(bot.Rule{Name: "first-merged-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1})
	e.store(pr("octocat", "octo/a", 1, 9))
	if rep, _ := sweep(t, s, e, jobs.SweepOptions{}); !rep.Full {
		t.Fatal("first sweep not full")
	}
	e.Clock.Advance(time.Hour)
	if rep, _ := sweep(t, s, e, jobs.SweepOptions{}); rep.Full {
		t.Error("sweep an hour later was full")
	}
	e.Clock.Advance(jobs.DefaultFullSweepEvery)
	if rep, _ := sweep(t, s, e, jobs.SweepOptions{}); !rep.Full || rep.People != 1 {
		t.Errorf("sweep a day later: %+v, want full", rep)
	}
}

// blocksEnv stores eleven people with 1 to 11 merged pull requests each,
// and returns a sweeper of two rules over them.
func blocksEnv(t *testing.T) (*env, []bot.Rule) {
	e := newEnv(t)
	if err := e.Svc.SaveBadge(e.Ctx, bottest.Badge("three-prs", "Three PRs")); err != nil {
		t.Fatal(err)
	}
	n := 0
	for p := range 11 {
		for range p + 1 {
			n++
			e.store(pr(fmt.Sprintf("dev%02d", p), "octo/hello", n, 30-p))
		}
	}
	return e, []bot.Rule{
		{Name: "first-merged-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1},
		{Name: "three", Badge: "three-prs", Event: bot.EventPRMerged, Threshold: 3},
	}
}

// TestSweepBlocksInParallel: people are read and judged in blocks, one
// goroutine per core, and what they earn is awarded in the order of the
// people whatever the blocks: a sweep of blocks of two people finds what
// one block finds, in the same order, and Near agrees too.
func TestSweepBlocksInParallel(t *testing.T) {
	e, rules := blocksEnv(t)
	results := func(s *jobs.Sweeper, opts jobs.SweepOptions) (*jobs.SweepReport, []string) {
		t.Helper()
		var got []string
		opts.OnResult = func(r jobs.SweepResult) {
			if r.Err != nil {
				t.Errorf("award %s to %s: %v", r.Request.Badge, r.Request.To, r.Err)
			}
			got = append(got, fmt.Sprintf("%d %s to %s: %d PRs", r.PersonID, r.Request.Badge, r.Request.To, len(r.Request.Evidence)))
		}
		rep, err := s.Sweep(e.Ctx, opts)
		if err != nil {
			t.Fatalf("Sweep: %v", err)
		}
		return rep, got
	}
	whole := e.sweeper(rules...)
	blocks := e.sweeper(rules...)
	blocks.SetChunk(2)

	wantRep, want := results(whole, jobs.SweepOptions{DryRun: true, Full: true})
	if len(want) != 11+9 || wantRep.People != 11 || wantRep.Events != 66 {
		t.Fatalf("one block: %+v %q; want 20 awards of 11 people and 66 events", wantRep, want)
	}
	rep, got := results(blocks, jobs.SweepOptions{DryRun: true, Full: true})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("blocks of two, dry run (-one block +blocks):\n%s", diff)
	}
	if rep.People != wantRep.People || rep.Events != wantRep.Events || rep.Awarded != wantRep.Awarded {
		t.Errorf("blocks of two: report %+v, want %+v", rep, wantRep)
	}
	if !slices.IsSortedFunc(got, func(a, b string) int { return personOf(a) - personOf(b) }) {
		t.Errorf("awards out of the people's order: %q", got)
	}
	wantNear, wantTotal, err := whole.Near(e.Ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	near, total, err := blocks.Near(e.Ctx, 100)
	if err != nil || total != wantTotal || total != 1 {
		t.Fatalf("Near over blocks: %d, %v; one block %d, want 1 (dev01, one PR short of three)", total, err, wantTotal)
	}
	if diff := cmp.Diff(wantNear, near); diff != "" {
		t.Errorf("Near (-one block +blocks):\n%s", diff)
	}

	_, got = results(blocks, jobs.SweepOptions{Full: true})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("blocks of two, awarding (-one block +blocks):\n%s", diff)
	}
	if _, again := results(blocks, jobs.SweepOptions{Full: true}); len(again) != 0 {
		t.Errorf("a second full sweep awarded %q", again)
	}
}

// personOf is the person id a results line starts with.
func personOf(line string) int {
	var id int
	fmt.Sscan(line, &id)
	return id
}

// failingScan fails reading the block of people after failAfter.
type failingScan struct {
	bot.SweepStore
	failAfter int64
}

func (f failingScan) ScanPersonEvents(ctx context.Context, sel bot.PersonSelection, kinds []string, fn func(int64, []bot.Event) error) error {
	if sel.IDs == nil && sel.After >= f.failAfter {
		return errors.New("disk on fire")
	}
	return f.SweepStore.ScanPersonEvents(ctx, sel, kinds, fn)
}

// TestSweepBlockFailureStopsInOrder: when one block cannot be read, the
// sweep returns its error; the blocks before it were awarded, none after
// it, though other goroutines read them meanwhile. A cancelled sweep
// returns too, without waiting for blocks nobody reads.
func TestSweepBlockFailureStopsInOrder(t *testing.T) {
	e, rules := blocksEnv(t)
	s := jobs.NewSweeper(jobs.SweeperConfig{
		Rules: bot.NewRules(rules, e.DB, e.Svc), Store: failingScan{SweepStore: e.DB, failAfter: 6}, Service: e.Svc,
		Log: slog.New(slog.DiscardHandler), Now: e.Clock.Now,
	})
	s.SetChunk(2)
	var awarded []int64
	_, err := s.Sweep(e.Ctx, jobs.SweepOptions{Full: true, OnResult: func(r jobs.SweepResult) {
		awarded = append(awarded, r.PersonID)
	}})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Sweep = %v, want the block's error", err)
	}
	if len(awarded) == 0 || slices.Max(awarded) > 6 {
		t.Errorf("people awarded %v: want the blocks before person 7 only", awarded)
	}

	ctx, cancel := context.WithCancel(e.Ctx)
	blocks := e.sweeper(rules...)
	blocks.SetChunk(2)
	_, err = blocks.Sweep(ctx, jobs.SweepOptions{DryRun: true, Full: true, OnProgress: func(done, total int) {
		if done == 1 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled sweep = %v, want context.Canceled", err)
	}
}

// readers is a store that serves n reads at once.
type readers struct {
	bot.SweepStore
	n int
}

func (r readers) Readers() int { return r.n }

// TestSweepBlocksAtMostHalfTheReaders: each block's scan may run a second
// read while it holds a first, so a sweep reads at most half as many
// blocks at once as the store serves reads, one at least: more would
// leave a nested read waiting for a connection that never frees.
func TestSweepBlocksAtMostHalfTheReaders(t *testing.T) {
	e := newEnv(t)
	cores := runtime.GOMAXPROCS(0)
	for n, want := range map[int]int{1: 1, 2: 1, 3: 1, 4: min(cores, 2), 2 * cores: cores, 100 * cores: cores} {
		s := jobs.NewSweeper(jobs.SweeperConfig{Rules: bot.NewRules(nil, e.DB, e.Svc), Store: readers{e.DB, n}, Service: e.Svc})
		if got := s.ScanWorkers(); got != want {
			t.Errorf("a store of %d readers: %d blocks at once on %d cores, want %d", n, got, cores, want)
		}
	}
	// That both stores serve two reads at once is the conformance
	// suite's (storage/storetest HeldAwardsAndSweepState).
}

// meetingStore holds each award's write until a second one is being
// written beside it, or until a few seconds passed (counted as alone).
type meetingStore struct {
	bot.Store
	arrived atomic.Int32
	met     chan struct{}
	alone   atomic.Int32
}

func (m *meetingStore) CreateAward(ctx context.Context, a *bot.Award, repeatable bool, out []bot.Announcement) error {
	if m.arrived.Add(1) == 2 {
		close(m.met)
	}
	select {
	case <-m.met:
	case <-time.After(5 * time.Second):
		m.alone.Add(1)
	}
	return m.Store.CreateAward(ctx, a, repeatable, out)
}

// TestSweepAwardsAtOnce: a sweep makes its awards several at once, so
// that they share group commits instead of waiting for one each (about
// 700 a second one at a time; 3,000 on the same machine at once).
func TestSweepAwardsAtOnce(t *testing.T) {
	e := newEnv(t)
	e.store(pr("octocat", "octo/hello", 1, 3), pr("hubot", "octo/hello", 2, 3), pr("monalisa", "octo/hello", 3, 3))
	ms := &meetingStore{Store: e.DB, met: make(chan struct{})}
	svc := &bot.Service{Store: ms, Signer: e.Svc.Signer, BaseURL: e.Svc.BaseURL, Log: slog.New(slog.DiscardHandler), Now: e.Clock.Now}
	rules := []bot.Rule{{Name: "first-merged-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1}}
	s := jobs.NewSweeper(jobs.SweeperConfig{Rules: bot.NewRules(rules, e.DB, svc), Store: e.DB, Service: svc,
		Log: slog.New(slog.DiscardHandler), Now: e.Clock.Now})
	var got []int64
	rep, err := s.Sweep(e.Ctx, jobs.SweepOptions{Full: true, OnResult: func(r jobs.SweepResult) {
		if r.Err != nil || r.Award == nil {
			t.Errorf("award to %s: %v", r.Request.To, r.Err)
		}
		got = append(got, r.PersonID)
	}})
	if err != nil || rep.Awarded != 3 {
		t.Fatalf("Sweep: %+v, %v; want 3 awards", rep, err)
	}
	if n := ms.alone.Load(); n > 0 {
		t.Errorf("%d of the sweep's awards were written alone: the sweep awards one at a time", n)
	}
	if !slices.IsSorted(got) {
		t.Errorf("results %v, want them in the people's order", got)
	}
}
