package storage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/jobs"
)

// sweepData describes generated data for sweep tests and benchmarks.
type sweepData struct {
	people, events int
	repos          int // repositories "org{r%5}/repo{r}"
	products       int // Bugzilla products "Product{p}"
}

// sweepKinds are the kinds the generator writes, in proportion.
var sweepKinds = []string{
	bot.EventPRMerged, bot.EventPRMerged, bot.EventPRMerged, bot.EventReviewApproved, bot.EventReviewApproved,
	bot.EventIssueClosed, bot.EventBugFixed, bot.EventBugFixed, bot.EventBugCreated, bot.EventAttachmentReviewed,
}

// generateSweepData fills db with people (one GitHub identity each) and
// events spread over them unevenly (a few people have most events, as in
// a real community), in a few big transactions straight on the writer:
// test setup, not the ingest path. Events span the year before t0.
func generateSweepData(tb testing.TB, db *DB, d sweepData) {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	now := millis(t0)
	err := db.direct(ctx, func(tx *sql.Tx) error {
		pst, err := tx.PrepareContext(ctx, `INSERT INTO people (id, handle, name, created_at) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		ist, err := tx.PrepareContext(ctx, `INSERT INTO identities (platform, id, person_id, name, created_at) VALUES ('github', ?, ?, '', ?)`)
		if err != nil {
			return err
		}
		for p := 1; p <= d.people; p++ {
			login := "user" + strconv.Itoa(p)
			if _, err := pst.ExecContext(ctx, p, login, login, now); err != nil {
				return err
			}
			if _, err := ist.ExecContext(ctx, login, p, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("generate people: %v", err)
	}
	const perTx = 200_000
	for done := 0; done < d.events; done += perTx {
		err := db.direct(ctx, func(tx *sql.Tx) error {
			st, err := tx.PrepareContext(ctx, `INSERT INTO events (source, kind, key, actor_platform, actor_id, person_id,
				repository, product, component, url, title, occurred_at, received_at) VALUES (?, ?, ?, 'github', ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			for i := done; i < min(done+perTx, d.events); i++ {
				// Skewed: squaring a uniform number puts most events on
				// the first people.
				u := rng.Float64()
				p := 1 + int(u*u*float64(d.people))
				kind := sweepKinds[rng.IntN(len(sweepKinds))]
				src, repo, product, comp, url := "github", "", "", "", ""
				if strings.HasPrefix(kind, "bugzilla.") {
					src = "bugzilla"
					product = "Product" + strconv.Itoa(rng.IntN(d.products))
					comp = "Component" + strconv.Itoa(rng.IntN(4))
					url = "https://bugzilla.example.org/show_bug.cgi?id=" + strconv.Itoa(i)
				} else {
					r := rng.IntN(d.repos)
					repo = fmt.Sprintf("org%d/repo%d", r%5, r)
					url = fmt.Sprintf("https://github.com/%s/pull/%d", repo, i)
				}
				at := now - rng.Int64N(365*24*3600*1000)
				if _, err := st.ExecContext(ctx, src, kind, "k"+strconv.Itoa(i), "user"+strconv.Itoa(p), p,
					repo, product, comp, url, "Contribution "+strconv.Itoa(i), at, at); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("generate events: %v", err)
		}
	}
}

// sweepRules are 20 rules over 12 badges: counts, windows, globs and
// badges that combine two rules.
func sweepRules() []bot.Rule {
	return []bot.Rule{
		{Name: "first-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1},
		{Name: "ten-prs", Badge: "ten-prs", Event: bot.EventPRMerged, Threshold: 10},
		{Name: "hundred-prs", Badge: "hundred-prs", Event: bot.EventPRMerged, Threshold: 100},
		{Name: "org0-prs", Badge: "org0", Event: bot.EventPRMerged, Threshold: 5, Repositories: []string{"org0/*"}},
		{Name: "burst", Badge: "burst", Event: bot.EventPRMerged, Threshold: 5, Window: 7 * 24 * time.Hour},
		{Name: "first-review", Badge: "reviewer", Event: bot.EventReviewApproved, Threshold: 1},
		{Name: "many-reviews", Badge: "many-reviews", Event: bot.EventReviewApproved, Threshold: 25},
		{Name: "review-month", Badge: "review-month", Event: bot.EventReviewApproved, Threshold: 4, Window: 30 * 24 * time.Hour},
		{Name: "issues", Badge: "triager", Event: bot.EventIssueClosed, Threshold: 3},
		{Name: "first-bug", Badge: "bug-fixer", Event: bot.EventBugFixed, Threshold: 1},
		{Name: "product0-bugs", Badge: "product0", Event: bot.EventBugFixed, Threshold: 3, Products: []string{"Product0"}},
		{Name: "product-glob", Badge: "product0", Event: bot.EventBugFixed, Threshold: 1, Products: []string{"Product*"}, Components: []string{"Component1"}},
		{Name: "filer", Badge: "filer", Event: bot.EventBugCreated, Threshold: 5},
		{Name: "patch-reviews", Badge: "patch-reviewer", Event: bot.EventAttachmentReviewed, Threshold: 2},
		{Name: "full-stack-prs", Badge: "full-stack", Event: bot.EventPRMerged, Threshold: 3},
		{Name: "full-stack-bugs", Badge: "full-stack", Event: bot.EventBugFixed, Threshold: 3},
		{Name: "all-round-pr", Badge: "all-round", Event: bot.EventPRMerged, Threshold: 2, Repositories: []string{"org1/*", "org2/*"}},
		{Name: "all-round-review", Badge: "all-round", Event: bot.EventReviewApproved, Threshold: 2},
		{Name: "all-round-issue", Badge: "all-round", Event: bot.EventIssueClosed, Threshold: 1},
		{Name: "all-round-bug", Badge: "all-round", Event: bot.EventBugCreated, Threshold: 1},
	}
}

// sweepFixture opens a database with generated data. Set
// BADGEBOT_SWEEP_DB to a file path to keep the generated database between
// runs (generating 1,000,000 events takes a while); a fresh process
// reading it then measures the sweep's memory alone.
func sweepFixture(tb testing.TB, d sweepData) (*DB, *jobs.Sweeper) {
	tb.Helper()
	path := os.Getenv("BADGEBOT_SWEEP_DB")
	reuse := false
	if path == "" {
		path = filepath.Join(tb.TempDir(), "sweep.db")
	} else if _, err := os.Stat(path); err == nil {
		reuse = true
	}
	db := openPath(tb, path)
	db.now = func() time.Time { return t0 }
	if !reuse {
		start := time.Now()
		generateSweepData(tb, db, d)
		tb.Logf("generated %d events for %d people in %s", d.events, d.people, time.Since(start).Round(time.Millisecond))
	}
	rules := sweepRules()
	for _, r := range rules {
		if _, err := db.Badge(context.Background(), r.Badge); err != nil {
			addBadge(tb, db, r.Badge, r.Badge == "burst")
		}
	}
	log := slog.New(slog.DiscardHandler)
	rs := bot.NewRules(rules, db, nil)
	return db, jobs.NewSweeper(jobs.SweeperConfig{Rules: rs, Store: db, Log: log, Now: func() time.Time { return t0 }})
}

// peakHeap samples the heap in use while fn runs and returns the most seen.
func peakHeap(fn func()) uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// maxRSS returns the process's peak resident set size (VmHWM), 0 when
// unknown.
func maxRSS() uint64 {
	buf, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(buf)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkSweep measures the criteria sweep of DESIGN §7: 1,000,000
// events, 100,000 people and 20 rules, as a dry run (awarding is the
// Service's cost, not the sweep's): "full-*" reads everyone, nobody
// holding anything yet (new), the same listing every award with its
// evidence (new-listed), and everyone holding what they earned (held);
// "incremental-N" reads the people with the newest N events. It reports the peak heap in
// use and the process's peak RSS (meaningful with BADGEBOT_SWEEP_DB set to
// an already generated file, so that generating is not counted).
//
//	BADGEBOT_SWEEP_DB=/tmp/sweep.db go test ./storage -run '^$' -bench Sweep -benchtime 3x
func BenchmarkSweep(b *testing.B) {
	ctx := context.Background()
	d := sweepData{people: 100_000, events: 1_000_000, repos: 50, products: 10}
	if testing.Short() {
		d = sweepData{people: 1000, events: 10_000, repos: 50, products: 10}
	}
	db, sw := sweepFixture(b, d)
	var full *jobs.SweepReport
	// fullSweep runs a full dry sweep, listing its results when list is set.
	fullSweep := func(b *testing.B, list func(jobs.SweepResult)) {
		var peak uint64
		for b.Loop() {
			peak = max(peak, peakHeap(func() {
				rep, err := sw.Sweep(ctx, jobs.SweepOptions{DryRun: true, Full: true, OnResult: list})
				if err != nil {
					b.Fatal(err)
				}
				full = rep
			}))
		}
		b.ReportMetric(float64(full.Events), "events/op")
		b.ReportMetric(float64(full.People), "people/op")
		b.ReportMetric(float64(full.Awarded), "awards/op")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(maxRSS())/(1<<20), "max-rss-MB")
	}
	held := func() bool { return count(b, db, "awards", "") > 0 }
	// Nobody holds anything yet: every award the rules allow is found
	// (counted, not listed).
	b.Run("full-new", func(b *testing.B) {
		if held() {
			b.Skip("awards are held already: use a fresh BADGEBOT_SWEEP_DB")
		}
		fullSweep(b, nil)
	})
	// The same, listing each award with its evidence, as `rules run
	// --dry-run` prints them.
	b.Run("full-new-listed", func(b *testing.B) {
		if held() {
			b.Skip("awards are held already: use a fresh BADGEBOT_SWEEP_DB")
		}
		fullSweep(b, func(jobs.SweepResult) {})
	})
	// The usual case: people hold what they earned; a sweep re-reads
	// everyone and finds what is new (here: little).
	b.Run("full-held", func(b *testing.B) {
		if !held() {
			var got []jobs.SweepResult
			if _, err := sw.Sweep(ctx, jobs.SweepOptions{DryRun: true, Full: true, OnResult: func(r jobs.SweepResult) {
				got = append(got, jobs.SweepResult{PersonID: r.PersonID, Request: bot.AwardRequest{Badge: r.Request.Badge, To: r.Request.To}})
			}}); err != nil {
				b.Fatal(err)
			}
			holdAwards(b, db, got)
			runtime.GC()
		}
		fullSweep(b, nil)
	})
	// As if the last sweep had seen all but the newest n events: the
	// people with those events are read, with all their events.
	for _, n := range []int64{1_000, 10_000} {
		b.Run(fmt.Sprintf("incremental-%d", n), func(b *testing.B) {
			if full == nil {
				var err error
				if full, err = sw.Sweep(ctx, jobs.SweepOptions{DryRun: true, Full: true}); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
			}
			st := bot.SweepState{LastEventID: full.ThroughEvent - min(n, full.ThroughEvent/10), Fingerprint: full.Fingerprint, FullAt: t0, SweptAt: t0}
			if err := db.SaveSweepState(ctx, st); err != nil {
				b.Fatal(err)
			}
			var rep *jobs.SweepReport
			for b.Loop() {
				var err error
				if rep, err = sw.Sweep(ctx, jobs.SweepOptions{DryRun: true}); err != nil {
					b.Fatal(err)
				}
				if rep.Full {
					b.Fatal("the sweep was full, want incremental")
				}
			}
			b.ReportMetric(float64(rep.Events), "events/op")
			b.ReportMetric(float64(rep.People), "people/op")
		})
	}
}

// holdAwards stores an award for each result, straight on the writer
// (test setup: unsigned, one transaction).
func holdAwards(tb testing.TB, db *DB, rs []jobs.SweepResult) {
	tb.Helper()
	err := db.direct(context.Background(), func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(context.Background(), `INSERT INTO awards (id, badge, person_id, recipient_platform, recipient_id,
			issued_at, source, status_index, identity_type, identity, salt, exclusive)
			VALUES (?, ?, ?, ?, ?, ?, 'rule', ?, 'url', 'x', 'salt', 1)`)
		if err != nil {
			return err
		}
		for i, r := range rs {
			if _, err := st.ExecContext(context.Background(), fmt.Sprintf("a%d", i), r.Request.Badge, r.PersonID,
				r.Request.To.Platform, r.Request.To.ID, millis(t0), i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("hold awards: %v", err)
	}
}
