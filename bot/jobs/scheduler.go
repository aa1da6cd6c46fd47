package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/badgebot/badgebot/bot"

	"github.com/robfig/cron/v3"
)

// Job is one piece of scheduled work. It returns when it is done or ctx
// ends; an error is logged by the scheduler.
type Job func(ctx context.Context) error

// JobInfo describes a scheduled job.
type JobInfo struct {
	Name string
	Spec string
	Next time.Time // the next run once the scheduler started, else the next after now
}

// ErrJobRunning is returned by RunNow when the job is running already.
var ErrJobRunning = errors.New("the job is running already")

// Scheduler runs jobs on cron specs (robfig/cron): five fields, a
// descriptor such as @daily, or @every DURATION, optionally prefixed with
// CRON_TZ=Zone; other specs are read in the scheduler's time zone. A
// panicking job is recovered and logged, and a job still running when its
// next time comes is skipped, not started twice: the same holds for a job
// started by hand with RunNow.
type Scheduler struct {
	loc  *time.Location
	log  *slog.Logger
	cron *cron.Cron

	mu      sync.Mutex
	jobs    map[string]*scheduledJob
	ctx     context.Context // jobs run with it once Start was called
	cancel  context.CancelFunc
	started bool
	running sync.WaitGroup // RunNow calls
	gate    func() bool    // SetGate
}

type scheduledJob struct {
	name  string
	spec  string
	sched cron.Schedule
	fn    Job
	busy  chan struct{} // holds a token while the job runs
	entry cron.EntryID
}

// NewScheduler returns a stopped scheduler reading specs in loc (nil:
// UTC). log nil means slog.Default().
func NewScheduler(loc *time.Location, log *slog.Logger) *Scheduler {
	if loc == nil {
		loc = time.UTC
	}
	if log == nil {
		log = slog.Default()
	}
	cl := cronLogger{log: log}
	s := &Scheduler{loc: loc, log: log, jobs: map[string]*scheduledJob{}}
	s.cron = cron.New(
		cron.WithLocation(loc),
		cron.WithLogger(cl),
	)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Location returns the time zone specs are read in.
func (s *Scheduler) Location() *time.Location { return s.loc }

// ParseSchedule checks a cron spec as the scheduler reads it, for config
// validation.
func ParseSchedule(spec string) error {
	_, err := parseSpec(spec)
	return err
}

// parseSpec parses a cron spec: five fields, a descriptor such as
// @hourly, or @every DURATION, optionally prefixed with CRON_TZ=Zone.
func parseSpec(spec string) (cron.Schedule, error) {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("bad cron spec %q: %v", spec, err)
	}
	return sched, nil
}

// nextRun returns the first run of spec after t, reading the spec in loc
// unless it names its own zone.
func nextRun(spec string, loc *time.Location, t time.Time) (time.Time, error) {
	sched, err := parseSpec(spec)
	if err != nil {
		return time.Time{}, err
	}
	return nextIn(sched, loc, t), nil
}

// previousRun returns the last run of spec at or before t (zero when it
// had none in the year before t), reading the spec in loc unless it names
// its own zone. Cron schedules only look forward: it steps back until a
// run falls before t, then walks forward to the last one.
func previousRun(spec string, loc *time.Location, t time.Time) (time.Time, error) {
	sched, err := parseSpec(spec)
	if err != nil {
		return time.Time{}, err
	}
	return previousIn(sched, loc, t), nil
}

func nextIn(sched cron.Schedule, loc *time.Location, t time.Time) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return sched.Next(t.In(loc))
}

func previousIn(sched cron.Schedule, loc *time.Location, t time.Time) time.Time {
	for _, back := range []time.Duration{time.Hour, 25 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour} {
		// Next(from) is the first run after from; runs at or before t
		// exist when it is not after t.
		from := t.Add(-back)
		n := nextIn(sched, loc, from)
		if n.IsZero() || n.After(t) {
			continue
		}
		last := n
		for i := 0; i < 1_000_000; i++ {
			n = nextIn(sched, loc, last)
			if n.IsZero() || n.After(t) {
				return last
			}
			last = n
		}
		return last
	}
	return time.Time{}
}

// Add registers a job under a unique name. Jobs may be added before or
// after Start.
func (s *Scheduler) Add(name, spec string, job Job) error {
	if name == "" || job == nil {
		return bot.Errorf(bot.EINVALID, "scheduler: a job needs a name and a function")
	}
	sched, err := parseSpec(spec)
	if err != nil {
		return bot.Errorf(bot.EINVALID, "scheduler: job %s: %v", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.jobs[name]; ok {
		return bot.Errorf(bot.ECONFLICT, "scheduler: job %s is registered already", name)
	}
	j := &scheduledJob{name: name, spec: spec, sched: sched, fn: job, busy: make(chan struct{}, 1)}
	j.entry = s.cron.Schedule(sched, cron.FuncJob(func() { s.runScheduled(j) }))
	s.jobs[name] = j
	return nil
}

// runScheduled is what cron calls. run skips a job still running and
// recovers its panics, for scheduled runs and RunNow alike.
func (s *Scheduler) runScheduled(j *scheduledJob) {
	s.mu.Lock()
	ctx, gate := s.ctx, s.gate
	s.mu.Unlock()
	if gate != nil && !gate() {
		s.log.Debug("scheduler: another process runs the scheduled jobs, this run skipped", "job", j.name)
		return
	}
	if err := s.run(ctx, j); errors.Is(err, ErrJobRunning) {
		s.log.Info("scheduler: job still running, this run skipped", "job", j.name)
	}
}

// run runs j unless it is running already, logging how it went.
func (s *Scheduler) run(ctx context.Context, j *scheduledJob) (err error) {
	select {
	case j.busy <- struct{}{}:
	default:
		return ErrJobRunning
	}
	defer func() { <-j.busy }()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("scheduler: job %s panicked: %v", j.name, v)
			s.log.Error("scheduler: job panicked", "job", j.name, "panic", fmt.Sprint(v))
		}
	}()
	start := time.Now()
	s.log.Debug("scheduler: job started", "job", j.name)
	if err = j.fn(ctx); err != nil {
		s.log.Error("scheduler: job failed", "job", j.name, "took", time.Since(start).Round(time.Millisecond).String(), "err", err)
		return err
	}
	s.log.Info("scheduler: job done", "job", j.name, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// SetGate makes scheduled runs happen only while gate returns true
// (several replicas: only on the one holding the database's lock); a run
// the gate refuses is skipped, not delayed. RunNow is not gated.
func (s *Scheduler) SetGate(gate func() bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gate = gate
}

// RunNow runs the named job once, now, and returns its error. It returns
// ErrJobRunning, running nothing, when the job is running already, and
// ENOTFOUND for an unknown name.
func (s *Scheduler) RunNow(ctx context.Context, name string) error {
	s.mu.Lock()
	j, ok := s.jobs[name]
	if ok {
		s.running.Add(1)
	}
	s.mu.Unlock()
	if !ok {
		return bot.Errorf(bot.ENOTFOUND, "no scheduled job %q (jobs: %s)", name, s.names())
	}
	defer s.running.Done()
	return s.run(ctx, j)
}

func (s *Scheduler) names() string {
	var ns []string
	for _, j := range s.Jobs() {
		ns = append(ns, j.Name)
	}
	if len(ns) == 0 {
		return "none"
	}
	return fmt.Sprint(ns)
}

// Jobs lists the registered jobs by name with their next run.
func (s *Scheduler) Jobs() []JobInfo {
	s.mu.Lock()
	started := s.started
	jobs := make([]*scheduledJob, 0, len(s.jobs))
	for _, j := range s.jobs {
		jobs = append(jobs, j)
	}
	s.mu.Unlock()
	out := make([]JobInfo, 0, len(jobs))
	now := time.Now()
	for _, j := range jobs {
		next := nextIn(j.sched, s.loc, now)
		if started {
			if e := s.cron.Entry(j.entry); e.Valid() {
				next = e.Next
			}
		}
		out = append(out, JobInfo{Name: j.name, Spec: j.spec, Next: next})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
	return out
}

// Has reports whether a job with the name is registered.
func (s *Scheduler) Has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.jobs[name]
	return ok
}

// Start starts running the jobs on their schedules; ctx is the parent of
// the context the jobs get. It does nothing when started already.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.started = true
	s.cancel() // the context jobs had before: none ran with it
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.cron.Start()
	names := slices.Sorted(maps.Keys(s.jobs))
	s.log.Info("scheduler started", "jobs", names, "time_zone", s.loc.String())
}

// Stop stops scheduling, cancels the context of running jobs and waits
// for them to return.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	cancel()
	<-s.cron.Stop().Done()
	s.running.Wait()
}

// cronLogger sends robfig/cron's log lines to slog: its routine chatter
// at debug level, its errors at error level.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	l.log.Debug("cron: "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append([]any{"err", err}, kv...)...)
}
