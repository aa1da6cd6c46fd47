package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
	"github.com/badgebot/badgebot/integrations/bugzilla"
	"github.com/badgebot/badgebot/integrations/github"
	"github.com/badgebot/badgebot/storage"
)

// Scheduled jobs (DESIGN §5 "Scheduled work"): the names `badgebot
// schedule run JOB` takes.
const (
	jobSweep    = "sweep"    // [schedule] sweep: criteria sweep, then rule health
	jobBackfill = "backfill" // [schedule] backfill: GitHub and Bugzilla APIs
	jobExpiry   = "expiry"   // [schedule] expiry: pending nominations, old delivery bodies
	jobDigest   = "digest"   // [digest] schedule: the weekly digest
)

// jobSet is the scheduled work, built on first use from the config.
type jobSet struct {
	once     sync.Once
	err      error
	loc      *time.Location
	sweeper  *jobs.Sweeper
	health   *jobs.RuleHealthCheck
	backfill *jobs.Backfill
	digester *jobs.Digester
	// unnamed are the Bugzilla rules whose products a backfill cannot
	// ask for; it warns of them when it runs.
	unnamed []string
}

// scheduled returns the sweeper, health check, backfill and digester.
func (a *App) scheduled() (*jobSet, error) {
	js := &a.jobs
	js.once.Do(func() { js.err = a.buildJobs(js) })
	return js, js.err
}

func (a *App) buildJobs(js *jobSet) error {
	c := a.Config
	loc, err := time.LoadLocation(c.Digest.Timezone)
	if err != nil {
		return fmt.Errorf("config: digest.timezone: %w", err)
	}
	js.loc = loc
	rules, err := a.rules()
	if err != nil {
		return err
	}
	js.sweeper = jobs.NewSweeper(jobs.SweeperConfig{Rules: a.Rules, Store: a.DB, Service: a.Service, Log: a.Log})

	admins, err := a.admins()
	if err != nil {
		return err
	}
	platforms, review := a.chatPlatforms()
	var silence time.Duration // 0: jobs.DefaultRuleSilence
	if c.Schedule.RuleSilence != "" {
		if silence, err = config.ParseWindow(c.Schedule.RuleSilence); err != nil {
			return fmt.Errorf("config: schedule.rule_silence: %w", err)
		}
	}
	js.health = jobs.NewRuleHealthCheck(jobs.RuleHealthCheckConfig{
		Store: a.DB, Rules: rules, ReviewChannels: review, Admins: admins, Platforms: platforms,
		Silence: silence, Log: a.Log,
	})

	bc := jobs.BackfillConfig{Store: a.DB, Sweeper: js.sweeper, Service: a.Service, Log: a.Log}
	if len(c.GitHub.Repositories) > 0 {
		gc, err := github.NewClient(c.GitHub.Token.Reveal(), c.GitHub.APIURL.Reveal(), nil)
		if err != nil {
			return err
		}
		bc.GitHub, bc.Repositories = githubSource{gc}, c.GitHub.Repositories
	}
	if c.Bugzilla.URL != "" {
		js.unnamed = jobs.UnnamedProducts(rules)
	}
	if products := jobs.ProductsOf(rules); c.Bugzilla.URL != "" && len(products) > 0 {
		bz, err := bugzilla.NewClient(c.Bugzilla.URL.Reveal(), c.Bugzilla.APIKey.Reveal(), nil)
		if err != nil {
			return err
		}
		bc.Bugzilla, bc.Products = bugzillaSource{bz}, products
	}
	js.backfill = jobs.NewBackfill(bc)

	js.digester, err = jobs.NewDigester(jobs.DigesterConfig{
		Store: a.DB, Service: a.Service, Sweeper: js.sweeper,
		Schedule: c.Digest.Schedule, Location: loc, Announce: c.Digest.Announce, PostEmpty: c.Digest.PostEmpty, Log: a.Log,
	})
	return err
}

// newScheduler registers every scheduled job; it does not start them.
func (a *App) newScheduler() (*jobs.Scheduler, error) {
	js, err := a.scheduled()
	if err != nil {
		return nil, err
	}
	c := a.Config
	s := jobs.NewScheduler(js.loc, a.Log)
	jobs := []struct {
		name, key, spec string
		run             jobs.Job
	}{
		{jobSweep, "schedule.sweep", c.Schedule.Sweep, a.sweepJob},
		{jobBackfill, "schedule.backfill", c.Schedule.Backfill, a.backfillJob},
		{jobExpiry, "schedule.expiry", c.Schedule.Expiry, a.expiryJob},
		{jobDigest, "digest.schedule", c.Digest.Schedule, a.digestJob},
	}
	for _, j := range jobs {
		if err := s.Add(j.name, j.spec, a.recordRun(j.name, a.jobMetrics.wrap(j.name, j.run))); err != nil {
			return nil, fmt.Errorf("config: %s: %s", j.key, bot.ErrorMessage(err))
		}
	}
	return s, nil
}

// recordRun stores each run's start, duration and outcome, so that
// `schedule list` shows them from any process. A job that could not be
// recorded still reports its own outcome; the record's failure is logged.
func (a *App) recordRun(name string, job jobs.Job) jobs.Job {
	return func(ctx context.Context) error {
		start := time.Now()
		err := job(ctx)
		run := storage.JobRun{Start: start, Took: time.Since(start)}
		if err != nil {
			run.Err = err.Error() // what the job's log line says too
			if len(run.Err) > 300 {
				run.Err = run.Err[:300] + "…"
			}
		}
		if rerr := a.DB.RecordJobRun(context.WithoutCancel(ctx), name, run); rerr != nil {
			a.Log.Warn("scheduler: could not record the run", "job", name, "err", rerr)
		}
		return err
	}
}

// runScheduler starts s beside the other workers; it stops, waiting for
// running jobs, when ctx ends.
func (a *App) runScheduler(ctx context.Context, wg *sync.WaitGroup, s *jobs.Scheduler) {
	a.Scheduler = s
	// Cron does not run what it missed: a digest whose time passed while
	// the server was down is posted now. Run posts a period once, so this
	// does nothing when that digest was posted already.
	catchUp := func() {
		if err := a.digestCatchUp(ctx); err != nil {
			a.Log.Warn("digest catch-up", "err", err)
		}
	}
	if l, ok := a.DB.(leader); ok {
		// Several replicas: the scheduled jobs run on the one holding the
		// database's lock; another takes it over when it dies.
		a.following.Store(true)
		s.SetGate(func() bool { return !a.following.Load() })
		wg.Go(func() {
			l.Lead(ctx, "scheduler", func(leading bool) {
				a.following.Store(!leading)
				if leading {
					a.Log.Info("scheduler: this replica runs the scheduled jobs")
					wg.Go(catchUp)
				} else {
					a.Log.Info("scheduler: this replica no longer runs the scheduled jobs")
				}
			})
		})
	} else {
		wg.Go(catchUp)
	}
	s.Start(ctx)
	wg.Go(func() {
		<-ctx.Done()
		s.Stop()
	})
}

// sweepJob runs a criteria sweep, then checks the rules' health with what
// it saw.
func (a *App) sweepJob(ctx context.Context) error {
	js, err := a.scheduled()
	if err != nil {
		return err
	}
	rep, err := js.sweeper.Sweep(ctx, jobs.SweepOptions{})
	if err != nil {
		return err
	}
	if _, err := js.health.Check(ctx, rep.LastMatch); err != nil {
		return err
	}
	a.kickOutbox()
	return nil
}

func (a *App) backfillJob(ctx context.Context) error {
	js, err := a.scheduled()
	if err != nil {
		return err
	}
	if len(js.unnamed) > 0 {
		a.Log.Warn("backfill asks Bugzilla product by product: these rules' fixed bugs are caught up only for the products they name outright",
			"rules", js.unnamed)
	}
	// A failed source is logged by the backfill, once.
	if _, err := js.backfill.Run(ctx); err != nil {
		return err
	}
	a.kickOutbox()
	return nil
}

func (a *App) expiryJob(ctx context.Context) error {
	n, err := a.Nominations.ExpireDue(ctx, time.Now())
	if n > 0 {
		a.Log.Info("nominations expired", "count", n)
	}
	return errors.Join(err, a.dropDeliveryBodies(ctx))
}

func (a *App) digestJob(ctx context.Context) error {
	return a.runDigest(ctx, jobs.DigestOptions{})
}

// digestCatchUp posts the last period's digest if its time passed while
// the server was down.
func (a *App) digestCatchUp(ctx context.Context) error {
	return a.runDigest(ctx, jobs.DigestOptions{CatchUp: true})
}

func (a *App) runDigest(ctx context.Context, opts jobs.DigestOptions) error {
	js, err := a.scheduled()
	if err != nil {
		return err
	}
	out, err := js.digester.Run(ctx, opts)
	if err != nil {
		return err
	}
	a.Log.Info("digest", "week", out.Week, "result", out.Sentence())
	a.kickOutbox()
	return nil
}

// digestNow is `digest now` in chat.
func (a *App) digestNow(ctx context.Context) (string, error) {
	js, err := a.scheduled()
	if err != nil {
		return "", err
	}
	return js.digester.ChatDigest(ctx)
}

// githubSource adapts the GitHub client to the backfill, turning its rate
// limit into the backfill's "not before" error.
type githubSource struct{ c *github.Client }

func (g githubSource) MergedPullRequests(ctx context.Context, repo string, since time.Time) ([]bot.Event, error) {
	events, err := g.c.MergedPullRequests(ctx, repo, since)
	if rl, ok := errors.AsType[*github.RateLimitError](err); ok {
		err = &bot.SourceUnavailableError{Until: rl.Reset, Err: err}
	}
	return events, err
}

func (g githubSource) Repositories(ctx context.Context, owner string) ([]string, error) {
	repos, err := g.c.Repositories(ctx, owner)
	if rl, ok := errors.AsType[*github.RateLimitError](err); ok {
		err = &bot.SourceUnavailableError{Until: rl.Reset, Err: err}
	}
	return repos, err
}

// ProfileBio reads a login's public profile bio for the link proof.
func (g githubSource) ProfileBio(ctx context.Context, login string) (string, error) {
	bio, err := g.c.ProfileBio(ctx, login)
	if rl, ok := errors.AsType[*github.RateLimitError](err); ok {
		err = &bot.SourceUnavailableError{Until: rl.Reset, Err: err}
	}
	return bio, err
}

// bugzillaSource adapts the Bugzilla client likewise.
type bugzillaSource struct{ c *bugzilla.Client }

func (b bugzillaSource) FixedBugs(ctx context.Context, product string, since time.Time) ([]bot.Event, error) {
	events, err := b.c.FixedBugs(ctx, product, since)
	if ue, ok := errors.AsType[*bugzilla.UnavailableError](err); ok {
		err = &bot.SourceUnavailableError{Until: ue.RetryAfter, Err: err}
	}
	return events, err
}

var (
	_ jobs.PullRequestSource = githubSource{}
	_ jobs.FixedBugSource    = bugzillaSource{}
)

// runScheduleList is `badgebot schedule list`: the jobs, their specs and
// their next runs.
func runScheduleList(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("schedule list", false)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	s, err := app.newScheduler()
	if err != nil {
		return err
	}
	runs, err := app.DB.JobRuns(ctx)
	if err != nil {
		return err
	}
	loc := s.Location()
	for _, j := range s.Jobs() {
		last := "never run"
		if r, ok := runs[j.Name]; ok {
			outcome := "ok"
			if r.Err != "" {
				outcome = "failed: " + r.Err
			}
			last = fmt.Sprintf("last %s (%s, %s)", r.Start.In(loc).Format(time.RFC3339), r.Took.Round(time.Millisecond), outcome)
		}
		c.printf("%-9s %-16s next %s  %s\n", j.Name, j.Spec, j.Next.In(loc).Format(time.RFC3339), last)
	}
	return nil
}

// runScheduleRun is `badgebot schedule run JOB`: one scheduled job, once,
// now; what it queues is delivered before it exits.
func runScheduleRun(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("schedule run", false)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("schedule run: want one JOB (%s, %s, %s or %s)", jobSweep, jobBackfill, jobExpiry, jobDigest)
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	s, err := app.newScheduler()
	if err != nil {
		return err
	}
	if !s.Has(pos[0]) {
		return usagef("schedule run: no job %q (%s, %s, %s or %s)", pos[0], jobSweep, jobBackfill, jobExpiry, jobDigest)
	}
	start := time.Now()
	if pos[0] == jobBackfill {
		if js, err := app.scheduled(); err == nil {
			bar := c.newProgress(0, "backfill sources")
			js.backfill.OnProgress(bar.set)
			defer bar.finish()
		}
	}
	if err := s.RunNow(ctx, pos[0]); err != nil {
		return err
	}
	app.DeliverNow(ctx)
	c.printf("ran %s in %s\n", pos[0], time.Since(start).Round(time.Millisecond))
	return nil
}
