package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// PullRequestSource lists merged pull requests (integrations/github.Client
// through an adapter that maps its rate-limit error).
type PullRequestSource interface {
	// MergedPullRequests returns an EventPRMerged for each pull request of
	// repo ("owner/name") merged at or after since. With an error it may
	// still return what it found.
	MergedPullRequests(ctx context.Context, repo string, since time.Time) ([]bot.Event, error)
	// Repositories returns the repositories ("owner/name") of owner, for
	// a watched "owner/*". With an error it may still return what it
	// found.
	Repositories(ctx context.Context, owner string) ([]string, error)
}

// FixedBugSource lists bugs resolved FIXED (integrations/bugzilla.Client
// through an adapter).
type FixedBugSource interface {
	// FixedBugs returns an EventBugFixed for each bug of product resolved
	// FIXED and changed at or after since. With an error it may still
	// return what it found.
	FixedBugs(ctx context.Context, product string, since time.Time) ([]bot.Event, error)
}

// Backfill defaults.
const (
	DefaultBackfillLookback = 30 * 24 * time.Hour // how far back the first run looks
	DefaultBackfillBackoff  = 15 * time.Minute    // wait after an outage that named no time
	backfillOverlap         = time.Hour           // each run looks this far behind its cursor
)

// BackfillConfig configures a Backfill.
type BackfillConfig struct {
	Store bot.BackfillStore // required
	// Sweeper evaluates the rules for the people of the new events.
	Sweeper *Sweeper // required
	// Service supplies the badges, people and announce targets of the
	// summary; required.
	Service *bot.Service
	// GitHub and Repositories ("owner/name", or a pattern such as
	// "owner/*" over the owner's repositories, which GitHub lists); nil
	// GitHub: no GitHub backfill.
	GitHub       PullRequestSource
	Repositories []string
	// Bugzilla and Products (names; patterns are skipped); nil: none.
	Bugzilla FixedBugSource
	Products []string
	// Lookback is how far back a source's first run looks; 0:
	// DefaultBackfillLookback.
	Lookback time.Duration
	Now      func() time.Time
	Log      *slog.Logger
}

// Backfill asks the GitHub and Bugzilla APIs for contributions since its
// last run, so that events a webhook missed are found. Events are keyed as
// the webhooks key them, so one seen by both is stored once. A source that
// is rate limited or down is left alone until the time it named, never
// retried in a loop. Awards the new events earn are announced as one
// summary per announce channel, not one post each.
type Backfill struct {
	cfg      BackfillConfig
	progress func(done, total int)
}

// OnProgress sets a function told, after each source is asked, how many
// of the run's sources are done (for a progress bar).
func (b *Backfill) OnProgress(f func(done, total int)) { b.progress = f }

// NewBackfill returns a Backfill.
func NewBackfill(cfg BackfillConfig) *Backfill {
	if cfg.Lookback <= 0 {
		cfg.Lookback = DefaultBackfillLookback
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Backfill{cfg: cfg}
}

// BackfillReport says what a backfill did.
type BackfillReport struct {
	Sources   []SourceReport
	Found     int          // events the sources returned
	New       int          // of them, not stored before
	Awards    []*bot.Award // awards the new events earned
	Announced int          // summary announcements queued
}

// SourceReport is one source's part of a backfill.
type SourceReport struct {
	Name    string
	Since   time.Time
	Found   int
	New     int
	Skipped string // why the source was not asked
	Err     error
}

type backfillJob struct {
	platform, name string
	fetch          func(ctx context.Context, since time.Time) ([]bot.Event, error)
}

// jobs lists the sources to ask, and reports the patterns whose
// repositories could not be listed.
func (b *Backfill) jobs(ctx context.Context) ([]backfillJob, []SourceReport) {
	var (
		jobs    []backfillJob
		reports []SourceReport
	)
	if b.cfg.GitHub != nil {
		var repos []string
		repos, reports = b.repositories(ctx)
		for _, repo := range repos {
			jobs = append(jobs, backfillJob{bot.PlatformGitHub, "github:" + repo, func(ctx context.Context, since time.Time) ([]bot.Event, error) {
				return b.cfg.GitHub.MergedPullRequests(ctx, repo, since)
			}})
		}
	}
	if b.cfg.Bugzilla != nil {
		for _, product := range b.cfg.Products {
			if hasMeta(product) {
				continue
			}
			jobs = append(jobs, backfillJob{bot.PlatformBugzilla, "bugzilla:" + product, func(ctx context.Context, since time.Time) ([]bot.Event, error) {
				return b.cfg.Bugzilla.FixedBugs(ctx, product, since)
			}})
		}
	}
	return jobs, reports
}

// repositories names the GitHub repositories to ask about: those listed,
// and those of an owner that a pattern ("owner/*") matches, as GitHub
// lists them. A listing that fails is reported under the pattern's name.
func (b *Backfill) repositories(ctx context.Context) ([]string, []SourceReport) {
	var (
		repos   []string
		reports []SourceReport
	)
	seen := map[string]bool{}
	add := func(repo string) {
		if !seen[repo] {
			seen[repo] = true
			repos = append(repos, repo)
		}
	}
	listed := map[string][]string{} // by owner
	for _, pat := range b.cfg.Repositories {
		if !hasMeta(pat) {
			add(pat)
			continue
		}
		owner, _, _ := strings.Cut(pat, "/")
		if hasMeta(owner) {
			b.cfg.Log.Warn("backfill: a pattern over owners names no owner to ask about", "repository", pat)
			continue
		}
		names, ok := listed[owner]
		if !ok {
			var err error
			if names, err = b.cfg.GitHub.Repositories(ctx, owner); err != nil {
				reports = append(reports, SourceReport{Name: "github:" + pat, Err: err})
				b.cfg.Log.Warn("backfill: listing repositories failed", "owner", owner, "err", err)
			}
			listed[owner] = names
		}
		for _, name := range names {
			if ok, _ := path.Match(pat, name); ok {
				add(name)
			}
		}
	}
	return repos, reports
}

// hasMeta reports whether s is a path.Match pattern rather than a name.
func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// Run runs one backfill over every source.
func (b *Backfill) Run(ctx context.Context) (*BackfillReport, error) {
	ctx = bot.WithOrigin(ctx, bot.Origin{By: "badgebot", Via: bot.ViaBackfill})
	now := b.cfg.Now().UTC()
	rep := &BackfillReport{}
	blocked := map[string]time.Time{} // platform → until: one rate limit stops the platform
	type found struct {
		st     bot.BackfillSource
		events []bot.Event
		err    error
		at     int // index into rep.Sources
	}
	var fetched []found
	jobs, listings := b.jobs(ctx)
	for _, sr := range listings {
		if ue, ok := errors.AsType[*bot.SourceUnavailableError](sr.Err); ok {
			blocked[bot.PlatformGitHub] = ue.Until // the listing's rate limit holds every repository
			if !ue.Until.After(now) {
				blocked[bot.PlatformGitHub] = now.Add(DefaultBackfillBackoff)
			}
		}
		rep.Sources = append(rep.Sources, sr)
	}
	for i, j := range jobs {
		if b.progress != nil && i > 0 {
			b.progress(i, len(jobs))
		}
		st, err := b.cfg.Store.BackfillSource(ctx, j.name)
		if err != nil {
			return rep, err
		}
		sr := SourceReport{Name: j.name}
		until := st.BlockedUntil
		if blocked[j.platform].After(until) {
			until = blocked[j.platform]
		}
		if now.Before(until) {
			sr.Skipped = "unavailable until " + until.UTC().Format(time.RFC3339)
			rep.Sources = append(rep.Sources, sr)
			continue
		}
		sr.Since = now.Add(-b.cfg.Lookback)
		if !st.Cursor.IsZero() {
			sr.Since = st.Cursor.Add(-backfillOverlap)
		}
		events, err := j.fetch(ctx, sr.Since)
		if ue, ok := errors.AsType[*bot.SourceUnavailableError](err); ok {
			until := ue.Until
			if !until.After(now) {
				until = now.Add(DefaultBackfillBackoff)
			}
			st.BlockedUntil, blocked[j.platform] = until, until
		}
		sr.Found, sr.Err = len(events), err
		rep.Found += len(events)
		rep.Sources = append(rep.Sources, sr)
		fetched = append(fetched, found{st: st, events: events, err: err, at: len(rep.Sources) - 1})
	}

	if b.progress != nil {
		b.progress(len(jobs), len(jobs))
	}
	// Storing and awarding hold the sweeper, so that a scheduled sweep
	// cannot announce these awards one by one meanwhile.
	b.cfg.Sweeper.mu.Lock()
	defer b.cfg.Sweeper.mu.Unlock()
	var people []int64
	seen := map[int64]bool{}
	for _, f := range fetched {
		stored, err := b.cfg.Store.StoreEvents(ctx, f.events)
		if err != nil {
			return rep, err
		}
		rep.Sources[f.at].New = len(stored)
		rep.New += len(stored)
		for _, e := range stored {
			if !seen[e.PersonID] {
				seen[e.PersonID] = true
				people = append(people, e.PersonID)
			}
		}
		st := f.st
		st.LastRun = now
		if f.err != nil {
			// A partial answer moves no cursor: what it missed is asked
			// for again next time.
			st.LastError = bot.TruncateRunes(f.err.Error(), 500)
			b.cfg.Log.Warn("backfill: source failed", "source", st.Name, "err", f.err, "blocked_until", st.BlockedUntil)
		} else {
			st.Cursor, st.BlockedUntil, st.LastError = now, time.Time{}, ""
		}
		if err := b.cfg.Store.SaveBackfillSource(ctx, st); err != nil {
			return rep, err
		}
	}
	if len(people) == 0 {
		return rep, nil
	}
	sort.Slice(people, func(i, j int) bool { return people[i] < people[j] })
	_, err := b.cfg.Sweeper.sweepLocked(ctx, SweepOptions{People: people, Quiet: true, OnResult: func(r SweepResult) {
		if r.Award != nil {
			rep.Awards = append(rep.Awards, r.Award)
		}
	}})
	if err != nil {
		return rep, err
	}
	out, err := b.summary(ctx, rep)
	if err != nil || len(out) == 0 {
		return rep, err
	}
	if err := b.cfg.Store.Enqueue(ctx, out); err != nil {
		return rep, err
	}
	rep.Announced = len(out)
	b.cfg.Log.Info("backfill done", "found", rep.Found, "new", rep.New, "awards", len(rep.Awards))
	return rep, nil
}

// summaryMax caps the awards named one by one in a summary.
const summaryMax = 10

// summary writes one announcement per announce target naming the awards
// of the backfill; people who chose not to be announced publicly are
// counted, not named.
func (b *Backfill) summary(ctx context.Context, rep *BackfillReport) ([]bot.Announcement, error) {
	lead := fmt.Sprintf("A catch-up found %d %s that had not reached badgebot; %d %s earned:",
		rep.New, bot.Plural(rep.New, "contribution", "contributions"), len(rep.Awards), bot.Plural(len(rep.Awards), "badge was", "badges were"))
	return awardsSummary(ctx, b.cfg.Service, "New badges for contributions the webhooks missed", lead, rep.Awards)
}

// awardsSummary writes one announcement per announce target naming awards
// by badge under title and a lead line (a backfill, an import); people
// who chose not to be announced publicly are counted, not named.
func awardsSummary(ctx context.Context, svc *bot.Service, title, lead string, awards []*bot.Award) ([]bot.Announcement, error) {
	var groups []DigestBadge
	at := map[string]int{} // badge → index in groups
	for _, a := range awards {
		i, ok := at[a.Badge]
		if !ok {
			bd, err := svc.Store.Badge(ctx, a.Badge)
			if err != nil {
				return nil, err
			}
			i, at[a.Badge] = len(groups), len(groups)
			groups = append(groups, DigestBadge{Badge: bd})
		}
		p, err := svc.Store.PersonByRecipient(ctx, a.Recipient)
		if err != nil {
			return nil, err
		}
		groups[i].Awards = append(groups[i].Awards, DigestEntry{Award: bot.DigestAward{ID: a.ID, Badge: a.Badge, PersonID: p.ID}, Person: p})
	}
	if len(groups) == 0 {
		return nil, nil
	}
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].Badge.Name != groups[j].Badge.Name {
			return groups[i].Badge.Name < groups[j].Badge.Name
		}
		return groups[i].Badge.Slug < groups[j].Badge.Slug
	})
	var out []bot.Announcement
	for _, t := range svc.Targets {
		m := bot.Message{
			Title:    title,
			Link:     svc.BaseURL + "/badges",
			Mentions: map[string]string{},
		}
		lines := []string{lead}
		lines = append(lines, badgeLines(svc, namer{m: &m, platform: t.Platform}, groups, summaryMax, summaryMax)...)
		m.Text = strings.Join(lines, "\n")
		out = append(out, bot.Announcement{Platform: t.Platform, Channel: t.Channel, Kind: bot.KindSummary, Message: m})
	}
	return out, nil
}

// shown is how many of n names a list of at most max shows: all of
// them, or max-1 and "N more".
func shown(n, max int) int {
	if n > max {
		return max - 1
	}
	return n
}

// listWords joins words as "a, b and c", or with more > 0 as "a, b and
// 3 more".
func listWords(words []string, more int) string {
	if more > 0 {
		words = append(words[:len(words):len(words)], fmt.Sprintf("%d more", more))
	}
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// ProductsOf returns the Bugzilla products named (not as patterns) by the
// rules counting fixed bugs: what a backfill asks Bugzilla about.
func ProductsOf(rules []bot.Rule) []string {
	var out []string
	for _, r := range rules {
		if r.Event != bot.EventBugFixed {
			continue
		}
		for _, p := range r.Products {
			if !hasMeta(p) && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// UnnamedProducts returns the rules counting fixed bugs that a backfill
// cannot catch up in full: Bugzilla is asked product by product, and these
// name no product or name some by a pattern ("Core*").
func UnnamedProducts(rules []bot.Rule) []string {
	var out []string
	for _, r := range rules {
		if r.Event == bot.EventBugFixed && (len(r.Products) == 0 || slices.ContainsFunc(r.Products, hasMeta)) {
			out = append(out, r.Name)
		}
	}
	return out
}
