package bot

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rule awards a badge when a person has Threshold matching events of one
// kind, optionally within a sliding Window. Rules that name the same badge
// must all hold: that is how one badge combines a GitHub count and a
// Bugzilla count for one person.
type Rule struct {
	Name         string
	Badge        string
	Event        string // one of EventKinds
	Threshold    int
	Repositories []string // globs over "owner/repo"; empty: any
	Products     []string // globs over Bugzilla products; empty: any
	Components   []string // globs over Bugzilla components; empty: any
	Window       time.Duration
}

// Validate checks a rule's own fields.
func (r *Rule) Validate() error {
	switch {
	case strings.TrimSpace(r.Name) == "":
		return Errorf(EINVALID, "rule: name is required")
	case !ValidSlug(r.Badge):
		return Errorf(EINVALID, "rule %s: badge %q is not a badge slug", r.Name, r.Badge)
	case !slices.Contains(EventKinds, r.Event):
		return Errorf(EINVALID, "rule %s: unknown event %q (want one of %s)", r.Name, r.Event, strings.Join(EventKinds, ", "))
	case r.Threshold < 1:
		return Errorf(EINVALID, "rule %s: threshold must be at least 1", r.Name)
	case r.Window < 0:
		return Errorf(EINVALID, "rule %s: window must not be negative", r.Name)
	}
	for _, globs := range [][]string{r.Repositories, r.Products, r.Components} {
		for _, g := range globs {
			if _, err := path.Match(g, ""); err != nil {
				return Errorf(EINVALID, "rule %s: bad pattern %q", r.Name, g)
			}
		}
	}
	return nil
}

// Matches reports whether the event counts for the rule.
func (r *Rule) Matches(e *Event) bool {
	return e.Kind == r.Event &&
		matchAny(r.Repositories, e.Repository) &&
		matchAny(r.Products, e.Product) &&
		matchAny(r.Components, e.Component)
}

func matchAny(globs []string, v string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, v); ok {
			return true
		}
	}
	return false
}

// satisfied returns the events that make the rule hold over a person's
// events (any order), or nil. With a window, Threshold events must fall
// within one window; the earliest such run is the evidence.
func (r *Rule) satisfied(events []Event) []Event {
	var m []Event
	for i := range events {
		if r.Matches(&events[i]) {
			m = append(m, events[i])
		}
	}
	if len(m) < r.Threshold {
		return nil
	}
	sort.SliceStable(m, func(i, j int) bool { return m[i].OccurredAt.Before(m[j].OccurredAt) })
	if r.Window <= 0 {
		return m[:r.Threshold]
	}
	for i := 0; i+r.Threshold <= len(m); i++ {
		last := m[i+r.Threshold-1]
		if last.OccurredAt.Sub(m[i].OccurredAt) <= r.Window {
			return m[i : i+r.Threshold]
		}
	}
	return nil
}

// RuleStore is what the rules engine reads.
type RuleStore interface {
	// PersonEvents returns every event of the person of the given kinds.
	PersonEvents(ctx context.Context, personID int64, kinds []string) ([]Event, error)
	// PastAwards returns what the rules need of the person's awards of
	// the badge, held and revoked: their count and their evidence URLs
	// (not the awards, whose credentials they would read for nothing).
	PastAwards(ctx context.Context, badge string, personID int64) (PastAwards, error)
	Badge(ctx context.Context, slug string) (*Badge, error)
	// Changes counts the changes made through the store that alter what
	// a badge is (edits), each counted once committed.
	Changes() uint64
}

// Rules is the rules engine: it awards badges whose rules hold.
type Rules struct {
	byBadge map[string][]Rule
	badges  []string // sorted, for a stable order
	store   RuleStore
	svc     *Service
	now     func() time.Time

	mu   sync.Mutex
	kept map[string]keptBadge // badges read for awarding (ruleBadge)
}

// keptBadge is a badge read for awarding, with the store's change count
// and the time when it was read.
type keptBadge struct {
	b       Badge
	changes uint64
	read    time.Time
}

// badgeFresh is how long awarding uses a badge it read without reading it
// again (with its artwork). An edit through this process's store drops it
// at once; another process's edit (a CLI `badge create`) shows within
// badgeFresh, as it does on the hosted pages.
const badgeFresh = time.Second

// ruleBadge returns the badge to award, read again once badgeFresh has
// passed or the store counted a change.
func (rs *Rules) ruleBadge(ctx context.Context, slug string) (*Badge, error) {
	changes, now := rs.store.Changes(), rs.now()
	rs.mu.Lock()
	k, ok := rs.kept[slug]
	rs.mu.Unlock()
	if ok && k.changes == changes && now.Sub(k.read) < badgeFresh && !now.Before(k.read) {
		b := k.b
		return &b, nil
	}
	b, err := rs.store.Badge(ctx, slug)
	if err != nil {
		return nil, err
	}
	rs.mu.Lock()
	rs.kept[slug] = keptBadge{b: *b, changes: changes, read: now}
	rs.mu.Unlock()
	return b, nil
}

// NewRules groups rules by badge. Rules must be valid.
func NewRules(rules []Rule, store RuleStore, svc *Service) *Rules {
	rs := &Rules{byBadge: map[string][]Rule{}, store: store, svc: svc, now: time.Now, kept: map[string]keptBadge{}}
	for _, r := range rules {
		if _, ok := rs.byBadge[r.Badge]; !ok {
			rs.badges = append(rs.badges, r.Badge)
		}
		rs.byBadge[r.Badge] = append(rs.byBadge[r.Badge], r)
	}
	sort.Strings(rs.badges)
	return rs
}

// OnEvents evaluates, for each person with a new event, the badges whose
// rules count that event's kind.
func (rs *Rules) OnEvents(ctx context.Context, events []Event) error {
	type key struct {
		person int64
		badge  string
	}
	seen := map[key]bool{}
	actor := map[int64]Event{}
	var todo []key
	for _, e := range events {
		if e.PersonID == 0 {
			continue
		}
		actor[e.PersonID] = e
		for _, b := range rs.badges {
			k := key{e.PersonID, b}
			if seen[k] {
				continue
			}
			for _, r := range rs.byBadge[b] {
				if r.Matches(&e) {
					seen[k] = true
					todo = append(todo, k)
					break
				}
			}
		}
	}
	var errs []error
	for _, k := range todo {
		if _, err := rs.Evaluate(ctx, k.person, actor[k.person].Actor, k.badge, false); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("rules: %d of %d evaluations failed, first: %w", len(errs), len(todo), errs[0])
	}
	return nil
}

// Evaluate checks one badge's rules for one person and awards the badge
// when they all hold and the person may receive it. to is the identity to
// award to. With dryRun nothing is awarded; the returned request says what
// would be.
func (rs *Rules) Evaluate(ctx context.Context, personID int64, to Recipient, badge string, dryRun bool) (*AwardRequest, error) {
	if len(rs.byBadge[badge]) == 0 {
		return nil, nil
	}
	b, err := rs.ruleBadge(ctx, badge)
	if err != nil {
		return nil, fmt.Errorf("rules: badge %q: %w", badge, err)
	}
	// The store refuses the award (ECONFLICT) when, since the judgement
	// read them, the person was awarded the badge or the evidence was
	// used (PastAwards.Reuses): judged again, the rules see that award,
	// and what is left may still earn the badge.
	for attempt := 1; ; attempt++ {
		j, err := rs.judge(ctx, personID, b, false)
		if err != nil || !j.Earned {
			return nil, err
		}
		req := RuleRequest(badge, to, "", j.Rules, j.Evidence)
		if dryRun {
			return req, nil
		}
		if err := req.Validate(); err != nil {
			return nil, err
		}
		// b and the awards held were read just now: the award needs
		// neither read again.
		_, err = rs.svc.award(ctx, *req, b, false, true)
		switch {
		case err == nil:
			return req, nil
		case ErrorCode(err) != ECONFLICT:
			return nil, err
		case attempt == maxJudgements:
			return nil, nil // the next full sweep judges them again
		}
	}
}

// maxJudgements bounds how often Evaluate judges again after the store
// refused an award another evaluation's award overtook.
const maxJudgements = 3

// PastAwards is what a person was awarded of one badge before: the awards
// held, those revoked, and the evidence URLs of both.
type PastAwards struct {
	held, revoked int
	used          map[string]bool
}

// Add counts one earlier award, revoked or held, with its evidence URLs:
// the stores build PastAwards from their rows with it.
func (p *PastAwards) Add(revoked bool, urls []string) {
	if revoked {
		p.revoked++
	} else {
		p.held++
	}
	for _, u := range urls {
		if u == "" {
			continue
		}
		if p.used == nil {
			p.used = map[string]bool{}
		}
		p.used[u] = true
	}
}

// Any reports whether the person was ever awarded the badge.
func (p *PastAwards) Any() bool { return p.held+p.revoked > 0 }

// Holds reports whether the person holds the badge (an award not revoked).
func (p *PastAwards) Holds() bool { return p.held > 0 }

// Reuses reports whether an award made by the rules with this evidence
// would count again what an earlier award, held or revoked, was evidence
// of (see spent). The rules never make such an award from what they read;
// the stores check it again under their write, so that two evaluations
// that read the same past (two workers, a worker and a sweep, two
// replicas) do not both award from the same events.
func (p *PastAwards) Reuses(evidence []Evidence) bool {
	for _, e := range evidence {
		if e.URL == "" && p.Any() || e.URL != "" && p.used[e.URL] {
			return true
		}
	}
	return false
}

// spent reports whether an event was evidence of an earlier award, held or
// revoked. An event without a URL cannot be told apart from that evidence:
// it counts towards a first award only.
func (p *PastAwards) spent(e Event) bool {
	if e.URL == "" {
		return p.Any()
	}
	return usedBy(p.used, &e)
}

// Judgement is one badge's rules applied to one person's events.
type Judgement struct {
	// Progress is, per rule, how far the person is. Towards a further
	// award of a repeatable badge (or after a revocation) the evidence
	// of earlier awards does not count; for a badge held that is not
	// repeatable, it shows the rules over all the person's events.
	Progress []RuleProgress
	Held     bool // the person holds the badge (unrevoked)
	// Barred: the badge is not repeatable and was awarded before (held,
	// or revoked): its rules award it no more.
	Barred bool
	// Earned: every rule holds with events no earlier award used, and
	// the badge is not barred: it is to be awarded now, with Evidence
	// (the events that satisfied the rules) and Rules (their names).
	Earned   bool
	Evidence []Event
	Rules    []string
}

// Missing is how many matching events the person lacks in all.
func (j Judgement) Missing() int {
	n := 0
	for _, p := range j.Progress {
		n += max(p.Rule.Threshold-p.Have, 0)
	}
	return n
}

// judge is the one rule evaluator: awarding from webhooks (Evaluate) and
// sweeps, dry runs, progress, why and the digest's near misses all decide
// here, so they agree. events(i) returns the person's events that rule i
// may match (more is fine: rules match again); their URLs must be set
// when past.any(). With progress false the caller only awards, and
// Progress stays empty.
func JudgeRules(rules []Rule, repeatable bool, past PastAwards, events func(i int) ([]Event, error), progress bool) (Judgement, error) {
	j := Judgement{Held: past.held > 0, Barred: !repeatable && past.Any()}
	if j.Barred && !progress {
		return j, nil
	}
	// Towards a new award, the evidence of earlier ones does not count;
	// a badge held that is not repeatable is shown as it was earned.
	fresh := !(j.Held && !repeatable) && past.Any()
	all := len(rules) > 0
	for i := range rules {
		r := &rules[i]
		evs, err := events(i)
		if err != nil {
			return Judgement{}, err
		}
		if fresh {
			evs = slices.DeleteFunc(slices.Clone(evs), past.spent)
		}
		got := r.satisfied(evs)
		if progress {
			j.Progress = append(j.Progress, RuleProgress{Rule: *r, Have: r.bestCount(evs), Holds: got != nil})
		}
		if got == nil {
			all = false
			if !progress {
				break
			}
			continue
		}
		j.Evidence = append(j.Evidence, got...)
		j.Rules = append(j.Rules, r.Name)
	}
	j.Earned = all && !j.Barred && len(j.Evidence) > 0
	if !j.Earned {
		j.Evidence, j.Rules = nil, nil
	}
	return j, nil
}

// judge reads one person's events and awards of badge b and judges its
// rules.
func (rs *Rules) judge(ctx context.Context, personID int64, b *Badge, progress bool) (Judgement, error) {
	rules := rs.byBadge[b.Slug]
	var past PastAwards
	var events []Event
	if personID != 0 {
		var err error
		if past, err = rs.store.PastAwards(ctx, b.Slug, personID); err != nil {
			return Judgement{}, err
		}
		if !b.Repeatable && past.Any() && !progress {
			return Judgement{Held: past.held > 0, Barred: true}, nil
		}
		var kinds []string
		for _, r := range rules {
			if !slices.Contains(kinds, r.Event) {
				kinds = append(kinds, r.Event)
			}
		}
		if events, err = rs.store.PersonEvents(ctx, personID, kinds); err != nil {
			return Judgement{}, err
		}
	}
	return JudgeRules(rules, b.Repeatable, past, func(int) ([]Event, error) { return events, nil }, progress)
}

// ruleRequest is the award request of a badge its rules earned, with the
// events that satisfied them as evidence. Webhook evaluation and sweeps
// both make it here, so an award reads the same whichever found it.
func RuleRequest(badge string, to Recipient, toName string, rules []string, evidence []Event) *AwardRequest {
	req := &AwardRequest{
		Badge: badge, To: to, ToName: toName, Source: SourceRule, SourceRef: strings.Join(rules, "+"),
		Narrative: fmt.Sprintf("Awarded automatically by rule %s.", strings.Join(rules, " and ")),
	}
	for _, e := range evidence {
		req.Evidence = append(req.Evidence, eventEvidence(e))
	}
	return req
}

// eventEvidence describes an event as award evidence. An event from a
// private repository or a private bug shows neither its title nor its URL,
// only what kind of contribution it was (see privateEvidence).
func eventEvidence(e Event) Evidence {
	ev := Evidence{URL: e.evidenceURL(), Name: RedactEmails(e.Title)}
	switch e.Kind {
	case EventPRMerged:
		ev.Genre = "Pull request"
	case EventReviewApproved:
		ev.Genre = "Review"
	case EventIssueClosed:
		ev.Genre = "Issue"
	case EventBugFixed, EventBugCreated:
		ev.Genre = "Bug"
	case EventAttachmentReviewed:
		ev.Genre = "Patch review"
	}
	if e.Private {
		ev.Name = privateEvidence[e.Kind]
	}
	if ev.Name == "" {
		ev.Name = ev.Genre
		if ev.Name == "" {
			ev.Name = e.Kind
		}
	}
	return ev
}

// privateEvidence names, for each kind, what an event of a private source
// was, in place of its title: all the award may tell (DESIGN §5).
var privateEvidence = map[string]string{
	EventPRMerged:           "A contribution to a private repository",
	EventReviewApproved:     "A review in a private repository",
	EventIssueClosed:        "An issue closed in a private repository",
	EventBugFixed:           "A fix to a private bug",
	EventBugCreated:         "A report of a private bug",
	EventAttachmentReviewed: "A patch review on a private bug",
}

// PrivateEvidencePrefix begins the evidence id of an event from a private
// source: a URN with the event's number here, which names nothing outside
// but stays the same for the event, so a repeatable badge does not count
// it twice.
const PrivateEvidencePrefix = "urn:badgebot:event:"

// evidenceURL is the id the event has as evidence: its URL, or for a
// private event (and one whose URL carries an e-mail address) a URN that
// tells nothing (PrivateEvidencePrefix).
func (e *Event) evidenceURL() string {
	if !e.Private && FindEmail(e.URL) == "" {
		return e.URL
	}
	return PrivateEvidencePrefix + strconv.FormatInt(e.ID, 10)
}

// usedBy reports whether an award's evidence in used already counts e:
// by its evidence id, or by its URL for awards made before private events
// stopped showing theirs.
func usedBy(used map[string]bool, e *Event) bool {
	return used[e.evidenceURL()] || (e.URL != "" && used[e.URL])
}
