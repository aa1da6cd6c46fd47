package bot

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// RuleProgress is how far one person is along one rule.
type RuleProgress struct {
	Rule Rule
	// Have counts the person's matching events that count: for a rule
	// with a window, the most that fall within one window.
	Have  int
	Holds bool
}

// RuleBadges returns the slugs of the badges that have rules, sorted.
func (rs *Rules) RuleBadges() []string { return slices.Clone(rs.badges) }

// Progress returns, for each rule of the badge, how far the person is
// (personID 0: somebody with no events yet). It awards nothing.
func (rs *Rules) Progress(ctx context.Context, personID int64, badge string) ([]RuleProgress, error) {
	j, err := rs.Judge(ctx, personID, badge)
	return j.Progress, err
}

// Judge judges the badge's rules for the person as awarding would, with
// the progress of each rule. It awards nothing.
func (rs *Rules) Judge(ctx context.Context, personID int64, badge string) (Judgement, error) {
	if len(rs.byBadge[badge]) == 0 {
		return Judgement{}, nil
	}
	b, err := rs.store.Badge(ctx, badge)
	if err != nil {
		return Judgement{}, err
	}
	return rs.judge(ctx, personID, b, true)
}

// bestCount counts the matching events, or with a window the most that
// fall within one window.
func (r *Rule) bestCount(events []Event) int {
	var m []Event
	for i := range events {
		if r.Matches(&events[i]) {
			m = append(m, events[i])
		}
	}
	if r.Window <= 0 || len(m) == 0 {
		return len(m)
	}
	sort.SliceStable(m, func(i, j int) bool { return m[i].OccurredAt.Before(m[j].OccurredAt) })
	best, lo := 0, 0
	for hi := range m {
		for m[hi].OccurredAt.Sub(m[lo].OccurredAt) > r.Window {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// describe says a rule in words: "1 merged pull request in octo/*".
func (p RuleProgress) describe() string {
	r := p.Rule
	s := fmt.Sprintf("%d of %d %s", min(p.Have, r.Threshold), r.Threshold, eventNoun(r.Event, r.Threshold))
	var where []string
	if len(r.Repositories) > 0 {
		where = append(where, strings.Join(r.Repositories, ", "))
	}
	if len(r.Products) > 0 {
		where = append(where, strings.Join(r.Products, ", "))
	}
	if len(r.Components) > 0 {
		where = append(where, strings.Join(r.Components, ", "))
	}
	if len(where) > 0 {
		s += " in " + strings.Join(where, " / ")
	}
	if r.Window > 0 {
		s += " within " + days(r.Window)
	}
	return s
}

// eventNoun names what an event kind counts.
func eventNoun(kind string, n int) string {
	one, many := kind, kind
	switch kind {
	case EventPRMerged:
		one, many = "merged pull request", "merged pull requests"
	case EventReviewApproved:
		one, many = "approving review", "approving reviews"
	case EventIssueClosed:
		one, many = "closed issue", "closed issues"
	case EventBugFixed:
		one, many = "fixed bug", "fixed bugs"
	case EventBugCreated:
		one, many = "filed bug", "filed bugs"
	case EventAttachmentReviewed:
		one, many = "reviewed patch", "reviewed patches"
	case EventNominationApproved:
		one, many = "approved nomination", "approved nominations"
	}
	return plural(n, one, many)
}

// progress answers `progress [SLUG]`: how close the caller is to one
// badge, or to the badges with rules they do not hold yet.
func (r *Router) progress(ctx context.Context, c Command, slug string) (Reply, error) {
	me, err := r.lookup(ctx, c.Caller, c.CallerName)
	if err != nil {
		return Reply{}, err
	}
	if slug != "" {
		b, err := r.badge(ctx, slug)
		if err != nil {
			return Reply{}, err
		}
		return r.explain(ctx, me, b, true)
	}
	if r.cfg.Rules == nil || len(r.cfg.Rules.RuleBadges()) == 0 {
		return say("No badge here is awarded automatically; they come by nomination. Type `/badge list` to see them."), nil
	}
	type near struct {
		b    *Badge
		ps   []RuleProgress
		frac float64
	}
	var list []near
	for _, slug := range r.cfg.Rules.RuleBadges() {
		b, err := r.cfg.Store.Badge(ctx, slug)
		if ErrorCode(err) == ENOTFOUND {
			continue
		} else if err != nil {
			return Reply{}, err
		}
		if held, err := r.holds(ctx, me, b); err != nil {
			return Reply{}, err
		} else if held {
			continue
		}
		ps, err := r.cfg.Rules.Progress(ctx, me.personID(), slug)
		if err != nil {
			return Reply{}, err
		}
		frac := 1.0
		for _, p := range ps {
			frac = min(frac, float64(min(p.Have, p.Rule.Threshold))/float64(p.Rule.Threshold))
		}
		list = append(list, near{b, ps, frac})
	}
	if len(list) == 0 {
		return say("You hold every badge that is awarded automatically. Well done!"), nil
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].frac > list[j].frac })
	m := Message{Title: "Your progress"}
	for i, x := range list {
		if i == 10 {
			break
		}
		var parts []string
		for _, p := range x.ps {
			parts = append(parts, p.describe())
		}
		m.Fields = append(m.Fields, Field{Label: fmt.Sprintf("%s (%s)", x.b.Name, x.b.Slug), Value: strings.Join(parts, "; ")})
	}
	m.Text = "Type `/badge progress SLUG` for one badge."
	return private(m), nil
}

// why answers `why @user SLUG`: which criteria of the badge hold.
func (r *Router) why(ctx context.Context, c Command, user, slug string) (Reply, error) {
	who, err := r.resolveSubject(ctx, c, user)
	if err != nil {
		return Reply{}, err
	}
	b, err := r.badge(ctx, slug)
	if err != nil {
		return Reply{}, err
	}
	me, err := r.lookup(ctx, c.Caller, c.CallerName)
	if err != nil {
		return Reply{}, err
	}
	return r.explain(ctx, who, b, me.same(who))
}

// explain says whether a holds b and which of its rules hold.
func (r *Router) explain(ctx context.Context, a *actor, b *Badge, self bool) (Reply, error) {
	m := Message{Title: b.Name, Link: r.cfg.BaseURL + "/badges/" + b.Slug}
	subject, has := mentionKey(&m, a)+" holds", mentionKey(&m, a)+" does not hold"
	if self {
		subject, has = "You hold", "You don't hold"
	}
	var held []*Award
	if a.person != nil {
		var err error
		if held, err = r.cfg.Store.Awards(ctx, AwardFilter{Badge: b.Slug, PersonID: a.person.ID, Revoked: new(false)}); err != nil {
			return Reply{}, err
		}
	}
	var ps []RuleProgress
	if r.cfg.Rules != nil {
		var err error
		if ps, err = r.cfg.Rules.Progress(ctx, a.personID(), b.Slug); err != nil {
			return Reply{}, err
		}
	}
	switch {
	case len(held) > 0:
		m.Text = fmt.Sprintf("%s %s since %s.", subject, b.Name, held[len(held)-1].IssuedAt.Format("2006-01-02"))
	default:
		m.Text = fmt.Sprintf("%s %s yet.", has, b.Name)
	}
	if len(ps) == 0 {
		m.Text += " It has no automatic criteria: it is earned by nomination or awarded by its owners."
		m.Fields = []Field{{Label: "How to earn it", Value: plain(b.Criteria)}}
		return private(m), nil
	}
	met := 0
	for _, p := range ps {
		state := "not yet"
		if p.Holds {
			state = "met"
			met++
		}
		m.Fields = append(m.Fields, Field{Label: p.Rule.Name + ": " + state, Value: p.describe()})
	}
	if len(held) == 0 || b.Repeatable {
		m.Text += fmt.Sprintf(" %d of %d criteria met.", met, len(ps))
	}
	return private(m), nil
}
