package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// Sweep defaults.
const (
	DefaultFullSweepEvery = 24 * time.Hour // an incremental sweep turns full this long after the last full one
	sweepChunk            = 4096           // most people read (and awarded) at a time
	minSweepChunk         = 256            // fewest, when a sweep's people are shared out among the cores
	maxPendingEvidence    = 16384          // about the most evidence events found and not yet awarded
	maxPendingNear        = 4096           // about the most near misses found and not yet counted
	sweepAwarders         = 64             // awards a sweep makes at once
)

// SweeperConfig configures a Sweeper.
type SweeperConfig struct {
	Rules *bot.Rules     // required
	Store bot.SweepStore // required
	// Service awards; nil allows dry runs only.
	Service *bot.Service
	Log     *slog.Logger
	Now     func() time.Time
	// FullEvery forces a full sweep when the last one is older; 0:
	// DefaultFullSweepEvery. Incremental sweeps miss what changes no
	// event id (people joined by LinkIdentities); full ones do not.
	FullEvery time.Duration
}

// Sweeper runs criteria sweeps: it evaluates every rule over the stored
// events, so that a rule or badge added later awards retroactively and
// events whose rules failed at ingestion still count. It streams events
// person by person, in chunks of people, and compares with the awards
// held in one query per chunk: it never evaluates people one at a time.
// An incremental sweep reads only the people with events since the last
// sweep; a change of rules makes the next sweep full.
type Sweeper struct {
	cfg   SweeperConfig
	mu    sync.Mutex // one sweep at a time
	chunk int        // most people in a block: sweepChunk (tests make it small)
}

// NewSweeper returns a Sweeper.
func NewSweeper(cfg SweeperConfig) *Sweeper {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FullEvery <= 0 {
		cfg.FullEvery = DefaultFullSweepEvery
	}
	return &Sweeper{cfg: cfg, chunk: sweepChunk}
}

// SweepOptions choose what a sweep does.
type SweepOptions struct {
	DryRun bool   // award nothing, change nothing; report what would be awarded
	Rule   string // only the badge this rule belongs to (all of its rules must hold)
	// Full reads every person, not only those with events since the last
	// sweep. A sweep is full anyway the first time, when the rules changed
	// and when the last full sweep is older than FullEvery.
	Full bool
	// People, when set, sweeps only these people (a backfill's).
	People []int64
	// Quiet awards without announcements (the caller summarises).
	Quiet bool
	// OnResult is called for each award made, failed or, in a dry run,
	// that would be made.
	OnResult func(SweepResult)
	// OnProgress, when set, is told after each block of people how many
	// of the sweep's blocks are done.
	OnProgress func(done, total int)
}

// SweepResult is one award a sweep made or would make.
type SweepResult struct {
	PersonID int64
	Request  bot.AwardRequest // badge, recipient, evidence and narrative
	Rules    []string         // the rules that hold
	Award    *bot.Award       // the award made; nil in a dry run or on failure
	Err      error

	evidence []bot.Event // what the rules matched, until the request is made of it
}

// SweepReport says what a sweep did.
type SweepReport struct {
	Full    bool
	DryRun  bool
	People  int // people evaluated
	Events  int // events read
	Awarded int // awards made, or in a dry run that would be made
	Failed  int
	// ThroughEvent is the highest event id the sweep covered.
	ThroughEvent int64
	// Fingerprint identifies the rules swept (see SweepState).
	Fingerprint string
	// LastMatch is, per rule name, when the newest event matching the
	// rule was received, among the events read.
	LastMatch map[string]time.Time
	Took      time.Duration
}

// Sweep runs one criteria sweep.
func (s *Sweeper) Sweep(ctx context.Context, opts SweepOptions) (*SweepReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sweepLocked(ctx, opts)
}

func (s *Sweeper) sweepLocked(ctx context.Context, opts SweepOptions) (*SweepReport, error) {
	start := s.cfg.Now()
	plan, err := s.plan(ctx, opts.Rule)
	if err != nil {
		return nil, err
	}
	if !opts.DryRun && s.cfg.Service == nil {
		return nil, fmt.Errorf("bot: sweep: no service to award with")
	}
	st, err := s.cfg.Store.SweepState(ctx)
	if err != nil {
		return nil, err
	}
	maxEvent, maxPerson, err := s.cfg.Store.SweepBounds(ctx)
	if err != nil {
		return nil, err
	}
	rep := &SweepReport{DryRun: opts.DryRun, ThroughEvent: maxEvent, Fingerprint: plan.fingerprint, LastMatch: map[string]time.Time{}}
	var chunks []bot.PersonSelection
	switch {
	case opts.People != nil:
		chunks = s.idChunks(opts.People)
	case opts.Full || st.LastEventID == 0 || st.Fingerprint != plan.fingerprint ||
		start.Sub(st.FullAt) >= s.cfg.FullEvery:
		rep.Full = true
		chunks = s.rangeChunks(maxPerson)
	default:
		ids, err := s.cfg.Store.PeopleWithEventsAfter(ctx, st.LastEventID, maxEvent)
		if err != nil {
			return nil, err
		}
		chunks = s.idChunks(ids)
	}
	award := s.cfg.Service.Award
	if opts.Quiet {
		award = s.cfg.Service.AwardQuietly
	}
	done := 0
	err = scan(ctx, s, plan, chunks, rep, func(ctx context.Context, pid int64, ev *evaluator, held map[string]*bot.PastAwards, found []SweepResult) ([]SweepResult, error) {
		for _, bp := range plan.badges {
			r, ok, err := ev.award(ctx, s.cfg.Store, plan, bp, held[bp.slug])
			if err != nil {
				return found, err
			}
			if ok {
				r.PersonID = pid
				found = append(found, r)
			}
		}
		return found, nil
	},
		// Evidence can be long (a threshold of 100 is 100 events): what
		// was found is settled before it grows large.
		func(r SweepResult) int { return len(r.evidence) }, maxPendingEvidence,
		func(found []SweepResult) error {
			err := s.settle(ctx, award, opts, rep, found)
			clear(found)
			return err
		},
		func() error {
			done++
			if opts.OnProgress != nil {
				opts.OnProgress(done, len(chunks))
			}
			return nil
		})
	if err != nil {
		return rep, err
	}
	rep.Took = s.cfg.Now().Sub(start)
	if opts.DryRun || opts.Rule != "" || opts.People != nil {
		return rep, nil
	}
	if rep.Failed > 0 {
		// The state stays: the next sweep reads these people again.
		s.cfg.Log.Warn("sweep done with failed awards", "full", rep.Full, "awarded", rep.Awarded, "failed", rep.Failed)
		return rep, nil
	}
	next := bot.SweepState{LastEventID: maxEvent, Fingerprint: plan.fingerprint, FullAt: st.FullAt, SweptAt: start}
	if rep.Full {
		next.FullAt = start
	}
	if err := s.cfg.Store.SaveSweepState(ctx, next); err != nil {
		return rep, err
	}
	s.cfg.Log.Info("sweep done", "full", rep.Full, "people", rep.People, "events", rep.Events,
		"awarded", rep.Awarded, "failed", rep.Failed, "took", rep.Took.Round(time.Millisecond).String())
	return rep, nil
}

// settle makes the award requests of pending and awards them (or, in a
// dry run, reports them).
func (s *Sweeper) settle(ctx context.Context, award func(context.Context, bot.AwardRequest) (*bot.Award, error), opts SweepOptions, rep *SweepReport, pending []SweepResult) error {
	if opts.DryRun && opts.OnResult == nil {
		rep.Awarded += len(pending) // counted, not listed: no details to read
		return nil
	}
	if err := s.finish(ctx, pending); err != nil {
		return err
	}
	if !opts.DryRun {
		// Up to sweepAwarders awards are made at once: each waits for the
		// group commit that stores it, which the others then share
		// (storage batch.go). One at a time, a sweep made about 700
		// awards a second.
		sem := make(chan struct{}, sweepAwarders)
		var wg sync.WaitGroup
		for i := range pending {
			r := &pending[i]
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				r.Award, r.Err = award(ctx, r.Request)
			})
		}
		wg.Wait()
	}
	for _, r := range pending { // in the people's order
		switch {
		case opts.DryRun:
			rep.Awarded++
		case bot.ErrorCode(r.Err) == bot.ECONFLICT:
			continue // awarded meanwhile
		case r.Err != nil:
			rep.Failed++
			s.cfg.Log.Error("sweep: award failed", "badge", r.Request.Badge, "to", r.Request.To, "err", r.Err)
		default:
			rep.Awarded++
		}
		if opts.OnResult != nil {
			opts.OnResult(r)
		}
	}
	return nil
}

// idChunks cuts a list of people into blocks (chunkSize), each person in
// one: blocks are judged at once (sweep_scan.go), and a person in two
// would be judged twice from the same awards.
func (s *Sweeper) idChunks(ids []int64) []bot.PersonSelection {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	size := s.chunkSize(int64(len(ids)))
	var out []bot.PersonSelection
	for len(ids) > 0 {
		n := min(len(ids), size)
		out = append(out, bot.PersonSelection{IDs: ids[:n:n]})
		ids = ids[n:]
	}
	return out
}

// rangeChunks cuts the person ids up to maxPerson into blocks.
func (s *Sweeper) rangeChunks(maxPerson int64) []bot.PersonSelection {
	size := int64(s.chunkSize(maxPerson))
	var out []bot.PersonSelection
	for after := int64(0); after < maxPerson; after += size {
		out = append(out, bot.PersonSelection{After: after, Through: min(after+size, maxPerson)})
	}
	return out
}

// chunkSize is how many people a block of n holds: at most s.chunk, and
// fewer, down to minSweepChunk, so that every core has a block to judge.
func (s *Sweeper) chunkSize(n int64) int {
	w := int64(s.scanWorkers())
	per := (n + w - 1) / w
	return int(max(min(per, int64(s.chunk)), int64(min(minSweepChunk, s.chunk))))
}

// NearMiss is a person one matching event short of a badge they do not
// hold.
type NearMiss struct {
	PersonID int64
	Badge    string
	Rule     bot.Rule // the one rule short
}

// Near reads every person's events and returns up to limit people who
// are exactly one matching event short of a badge they do not hold (for a
// badge of several rules: all others hold), and how many there are in
// all. It awards nothing.
func (s *Sweeper) Near(ctx context.Context, limit int) ([]NearMiss, int, error) {
	plan, err := s.plan(ctx, "")
	if err != nil {
		return nil, 0, err
	}
	_, maxPerson, err := s.cfg.Store.SweepBounds(ctx)
	if err != nil {
		return nil, 0, err
	}
	chunks := s.rangeChunks(maxPerson)
	var out []NearMiss
	total := 0
	rep := &SweepReport{LastMatch: map[string]time.Time{}}
	err = scan(ctx, s, plan, chunks, rep, func(ctx context.Context, pid int64, ev *evaluator, held map[string]*bot.PastAwards, found []NearMiss) ([]NearMiss, error) {
		for _, bp := range plan.badges {
			j, err := ev.judge(ctx, s.cfg.Store, plan, bp, held[bp.slug], true)
			if err != nil {
				return found, err
			}
			if j.Held || j.Barred || j.Missing() != 1 {
				continue
			}
			for _, p := range j.Progress {
				if !p.Holds {
					found = append(found, NearMiss{PersonID: pid, Badge: bp.slug, Rule: p.Rule})
				}
			}
		}
		return found, nil
	}, func(NearMiss) int { return 1 }, maxPendingNear, func(found []NearMiss) error {
		total += len(found)
		out = append(out, found[:min(len(found), max(limit-len(out), 0))]...)
		return nil
	}, func() error { return nil })
	return out, total, err
}
