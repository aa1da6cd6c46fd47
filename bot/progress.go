package bot

import (
	"context"
	"slices"
	"sort"
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

// RulesOf returns the rules of the badge.
func (rs *Rules) RulesOf(badge string) []Rule { return slices.Clone(rs.byBadge[badge]) }

// Badge reads a badge from the rules' store.
func (rs *Rules) Badge(ctx context.Context, slug string) (*Badge, error) {
	return rs.store.Badge(ctx, slug)
}
