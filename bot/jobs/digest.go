package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/badgebot/badgebot/bot"

	"github.com/robfig/cron/v3"
)

// DigesterConfig configures a Digester.
type DigesterConfig struct {
	Store   bot.DigestStore // required
	Service *bot.Service    // announce targets and URLs; required
	// Sweeper finds the people one step from a badge; nil leaves that
	// section out.
	Sweeper *Sweeper
	// Schedule is the digest's cron spec and Location the zone it is read
	// in (unless it names its own with CRON_TZ=): the period of a digest is
	// the ISO week, in that zone, of the schedule's previous run.
	Schedule string
	Location *time.Location
	// Announce posts the digest to every announce target; off, it is only
	// recorded (and printed by the command).
	Announce bool
	// PostEmpty posts a digest for a week without awards or waiting
	// nominations too.
	PostEmpty bool
	Now       func() time.Time
	Log       *slog.Logger
}

// Digester builds and posts the weekly digest: new awards by badge,
// newcomers, nominations waiting for approvers and people one step from a
// badge. It posts once per period, across restarts and concurrent runs:
// the store records the period with the announcements in one transaction
// under a unique key.
type Digester struct {
	cfg   DigesterConfig
	sched cron.Schedule
}

// NewDigester checks the schedule and returns a Digester.
func NewDigester(cfg DigesterConfig) (*Digester, error) {
	sched, err := parseSpec(cfg.Schedule)
	if err != nil {
		return nil, bot.Errorf(bot.EINVALID, "digest.schedule: %v", err)
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if s, ok := sched.(*cron.SpecSchedule); ok && s.Location != time.Local {
		cfg.Location = s.Location // CRON_TZ= wins
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Digester{cfg: cfg, sched: sched}, nil
}

// digestTolerance lets a run that starts a little before its scheduled
// time count for that time's period.
const digestTolerance = time.Minute

// Period returns the week a digest run at now is for, and the time it
// covers: from the schedule's run before the previous one until now.
func (d *Digester) Period(now time.Time) (week string, since, until time.Time) {
	prev := previousIn(d.sched, d.cfg.Location, now.Add(digestTolerance))
	if prev.IsZero() {
		prev = now
	}
	before := previousIn(d.sched, d.cfg.Location, prev.Add(-time.Second))
	if before.IsZero() || prev.Sub(before) > 31*24*time.Hour {
		before = prev.Add(-7 * 24 * time.Hour)
	}
	y, w := prev.In(d.cfg.Location).ISOWeek()
	until = now
	if prev.After(now) {
		until = prev
	}
	return fmt.Sprintf("%04d-W%02d", y, w), before.UTC(), until.UTC()
}

// Digest is what one digest reports.
type Digest struct {
	Week         string
	Since, Until time.Time
	Badges       []DigestBadge // new awards, by badge name
	Newcomers    []*bot.Person // people whose first badge is among them
	Pending      []DigestNomination
	Near         []DigestNear
	NearMore     int // further people one step away, not listed
}

// DigestBadge is the new awards of one badge.
type DigestBadge struct {
	Badge  *bot.Badge
	Awards []DigestEntry
}

// DigestEntry is one new award and its holder.
type DigestEntry struct {
	Award  bot.DigestAward
	Person *bot.Person
}

// DigestNomination is a nomination waiting for approvers.
type DigestNomination struct {
	Nomination *bot.Nomination
	Badge      *bot.Badge
	Nominee    *bot.Person
}

// DigestNear is a person one event short of a badge.
type DigestNear struct {
	Person *bot.Person
	Badge  *bot.Badge
	Rule   bot.Rule // the rule that is one event short
}

// Empty reports whether nothing happened: no awards, no waiting
// nominations.
func (dg *Digest) Empty() bool { return len(dg.Badges) == 0 && len(dg.Pending) == 0 }

// Digest list limits, to keep a digest within what chat platforms show.
const (
	digestBadges     = 15 // badges listed
	digestNames      = 10 // names per line
	digestLinks      = 10 // award links (fields)
	digestNominees   = 5  // waiting nominations listed
	digestNear       = 5  // people one step away listed
	digestNearLookup = 50 // near misses read before picking
)

// build gathers the digest of a period, and its near misses unless it is
// empty and nearIfEmpty is false.
func (d *Digester) build(ctx context.Context, week string, since, until time.Time, nearIfEmpty bool) (*Digest, error) {
	st := d.cfg.Store
	dg := &Digest{Week: week, Since: since, Until: until}
	awards, err := st.DigestAwards(ctx, since, until)
	if err != nil {
		return nil, err
	}
	people := map[int64]*bot.Person{}
	person := func(id int64) (*bot.Person, error) {
		if p, ok := people[id]; ok {
			return p, nil
		}
		p, err := st.PersonByID(ctx, id)
		if err != nil {
			return nil, err
		}
		people[id] = p
		return p, nil
	}
	badges := map[string]*bot.Badge{}
	badge := func(slug string) (*bot.Badge, error) {
		if b, ok := badges[slug]; ok {
			return b, nil
		}
		b, err := st.Badge(ctx, slug)
		if err != nil {
			return nil, err
		}
		badges[slug] = b
		return b, nil
	}
	byBadge := map[string]int{}
	newcomer := map[int64]bool{}
	for _, a := range awards {
		b, err := badge(a.Badge)
		if err != nil {
			return nil, err
		}
		p, err := person(a.PersonID)
		if err != nil {
			return nil, err
		}
		i, ok := byBadge[a.Badge]
		if !ok {
			i = len(dg.Badges)
			byBadge[a.Badge] = i
			dg.Badges = append(dg.Badges, DigestBadge{Badge: b})
		}
		dg.Badges[i].Awards = append(dg.Badges[i].Awards, DigestEntry{Award: a, Person: p})
		if a.First && !newcomer[p.ID] {
			newcomer[p.ID] = true
			dg.Newcomers = append(dg.Newcomers, p)
		}
	}
	sort.SliceStable(dg.Badges, func(i, j int) bool { return dg.Badges[i].Badge.Name < dg.Badges[j].Badge.Name })
	ns, err := st.Nominations(ctx, bot.NominationFilter{Status: bot.NominationPending})
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		b, err := badge(n.Badge)
		if err != nil {
			return nil, err
		}
		p, err := st.PersonByRecipient(ctx, n.Nominee)
		if err != nil {
			return nil, err
		}
		dg.Pending = append(dg.Pending, DigestNomination{Nomination: n, Badge: b, Nominee: p})
	}
	if d.cfg.Sweeper != nil && (nearIfEmpty || !dg.Empty()) {
		near, total, err := d.cfg.Sweeper.Near(ctx, digestNearLookup)
		if err != nil {
			return nil, err
		}
		for _, nm := range near {
			if len(dg.Near) == digestNear {
				break
			}
			b, err := badge(nm.Badge)
			if err != nil {
				return nil, err
			}
			p, err := person(nm.PersonID)
			if err != nil {
				return nil, err
			}
			if p.Announce != bot.AnnouncePublic {
				continue
			}
			dg.Near = append(dg.Near, DigestNear{Person: p, Badge: b, Rule: nm.Rule})
		}
		dg.NearMore = total - len(dg.Near)
	}
	return dg, nil
}

// DigestOptions choose what a digest run does.
type DigestOptions struct {
	DryRun bool // build and render, record and post nothing
	Force  bool // post even if this period's digest was posted
	// CatchUp posts a digest whose scheduled time passed unseen (the
	// server was down): the period ends at that time, not now, so awards
	// made since are left to the next digest, and a period that had
	// nothing to report stays unposted however late the catch-up runs.
	CatchUp bool
}

// Why a digest run posted nothing.
const (
	DigestPostedAlready = "posted already"
	DigestEmpty         = "nothing to report"
	DigestAnnounceOff   = "announce is off"
	DigestNoChannel     = "no announce channel"
)

// DigestOutcome says what a digest run did.
type DigestOutcome struct {
	Week    string
	Period  string // the key recorded: Week, or Week+"+forceN"
	Digest  *Digest
	Posted  int                // announcements queued
	Skipped string             // DigestPostedAlready, DigestEmpty, DigestAnnounceOff, DigestNoChannel or ""
	Out     []bot.Announcement // what was queued or, in a dry run, would be
	// AlreadyPosted is set in a dry run when a real run would find this
	// period posted.
	AlreadyPosted bool
}

// Run builds this period's digest and, unless it was posted already (or
// it is empty and PostEmpty is off), records it and queues it for every
// announce target.
func (d *Digester) Run(ctx context.Context, opts DigestOptions) (*DigestOutcome, error) {
	now := d.cfg.Now().UTC()
	week, since, until := d.Period(now)
	if last := previousIn(d.sched, d.cfg.Location, now.Add(digestTolerance)); opts.CatchUp && !last.IsZero() && last.Before(until) {
		until = last.UTC()
	}
	out := &DigestOutcome{Week: week}
	posted, err := d.cfg.Store.DigestPosted(ctx, week)
	if err != nil {
		return nil, err
	}
	if posted && !opts.Force && !opts.DryRun {
		out.Skipped = DigestPostedAlready
		return out, nil
	}
	out.AlreadyPosted = posted
	// The near misses never make a digest worth posting, and finding them
	// reads every person's events (2 s of CPU over 100,000 people, at
	// every start that catches up an empty week): they are looked up for
	// a digest that is posted, or shown by a dry run.
	dg, err := d.build(ctx, week, since, until, opts.DryRun || d.cfg.PostEmpty)
	if err != nil {
		return nil, err
	}
	out.Digest = dg
	own := d.splitPrograms(dg) // programs that post their own
	var progOut []bot.Announcement
	for _, pd := range own {
		if !d.cfg.Announce || pd.Digest.Empty() && !d.cfg.PostEmpty {
			continue
		}
		for _, t := range d.cfg.Service.ProgramTargets(pd.Program) {
			progOut = append(progOut, bot.Announcement{Platform: t.Platform, Channel: t.Channel, Kind: bot.KindDigest, Message: d.programMessage(pd, t.Platform)})
		}
	}
	// The instance's digest, unless it is empty and only programs have
	// news this week.
	if d.cfg.Announce && !(dg.Empty() && !d.cfg.PostEmpty && len(progOut) > 0) {
		for _, t := range d.cfg.Service.Targets {
			out.Out = append(out.Out, bot.Announcement{Platform: t.Platform, Channel: t.Channel, Kind: bot.KindDigest, Message: d.Message(dg, t.Platform)})
		}
	}
	out.Out = append(out.Out, progOut...)
	empty := dg.Empty() && len(progOut) == 0
	switch {
	case empty && !d.cfg.PostEmpty:
		out.Skipped = DigestEmpty
		return out, nil
	case d.cfg.Announce && len(out.Out) == 0:
		// Nowhere to post: the period stays unposted, so that it is
		// posted once a channel is set up.
		out.Skipped = DigestNoChannel
		return out, nil
	case opts.DryRun:
		return out, nil
	case !d.cfg.Announce:
		out.Skipped = DigestAnnounceOff
	}
	run := &bot.DigestRun{Week: week, Since: since, Until: until, Posted: len(out.Out), Forced: opts.Force}
	if err := d.cfg.Store.RecordDigest(ctx, run, out.Out); err != nil {
		if bot.ErrorCode(err) == bot.ECONFLICT {
			out.Skipped = DigestPostedAlready // a concurrent run won
			out.Out = nil
			return out, nil
		}
		return nil, err
	}
	out.Period, out.Posted = run.Period, len(out.Out)
	d.cfg.Log.Info("digest recorded", "period", run.Period, "announcements", out.Posted, "awards", len(dg.Badges))
	return out, nil
}

// ChatDigest runs the digest for chat's `digest now` and says what it did.
func (d *Digester) ChatDigest(ctx context.Context) (string, error) {
	out, err := d.Run(ctx, DigestOptions{})
	if err != nil {
		return "", err
	}
	return out.Sentence(), nil
}

// Sentence says what the run did, for a person.
func (o *DigestOutcome) Sentence() string {
	switch o.Skipped {
	case DigestPostedAlready:
		return fmt.Sprintf("The digest for %s was posted already; run `badgebot digest --force` to post it again.", o.Week)
	case DigestEmpty:
		return fmt.Sprintf("Nothing to report for %s (no new badges, no waiting nominations), so no digest was posted.", o.Week)
	case DigestAnnounceOff:
		return fmt.Sprintf("The digest for %s was recorded but not posted: digest.announce is off.", o.Week)
	case DigestNoChannel:
		return fmt.Sprintf("The digest for %s was not posted: no announce channel is set up (announce_channel of a chat platform).", o.Week)
	}
	return fmt.Sprintf("Posted the digest for %s to %d %s.", o.Period, o.Posted, bot.Plural(o.Posted, "channel", "channels"))
}
