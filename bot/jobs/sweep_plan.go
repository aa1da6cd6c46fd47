package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// sweepPlan is the rules arranged for evaluation over many people.
type sweepPlan struct {
	rules       []bot.Rule
	ruleKind    []int // index into kinds, per rule
	kinds       []string
	badges      []badgePlan
	repeatable  []string // slugs of repeatable badges
	fingerprint string
}

type badgePlan struct {
	slug       string
	repeatable bool
	rules      []int      // indexes into sweepPlan.rules
	list       []bot.Rule // the rules themselves, in that order
}

// plan reads the badges of the rules. With only set, it keeps the badge
// of that rule alone. A badge that does not exist is skipped.
func (s *Sweeper) plan(ctx context.Context, only string) (*sweepPlan, error) {
	rs := s.cfg.Rules
	if only != "" {
		found := false
		for _, b := range rs.RuleBadges() {
			for _, r := range rs.RulesOf(b) {
				found = found || r.Name == only
			}
		}
		if !found {
			var names []string
			for _, b := range rs.RuleBadges() {
				for _, r := range rs.RulesOf(b) {
					names = append(names, r.Name)
				}
			}
			return nil, bot.Errorf(bot.ENOTFOUND, "no rule %q (rules: %s)", only, strings.Join(names, ", "))
		}
	}
	p := &sweepPlan{}
	kindIdx := map[string]int{}
	type fp struct {
		Rules      []bot.Rule
		Repeatable []string
	}
	var fpr fp
	for _, slug := range rs.RuleBadges() {
		rules := rs.RulesOf(slug)
		b, err := rs.Badge(ctx, slug)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			s.cfg.Log.Warn("sweep: rules name a badge that does not exist", "badge", slug)
			continue
		} else if err != nil {
			return nil, err
		}
		fpr.Rules = append(fpr.Rules, rules...)
		if b.Repeatable {
			fpr.Repeatable = append(fpr.Repeatable, slug)
		}
		if only != "" && !slices.ContainsFunc(rules, func(r bot.Rule) bool { return r.Name == only }) {
			continue
		}
		bp := badgePlan{slug: slug, repeatable: b.Repeatable, list: rules}
		if b.Repeatable {
			p.repeatable = append(p.repeatable, slug)
		}
		for _, r := range rules {
			k, ok := kindIdx[r.Event]
			if !ok {
				k = len(p.kinds)
				kindIdx[r.Event] = k
				p.kinds = append(p.kinds, r.Event)
			}
			bp.rules = append(bp.rules, len(p.rules))
			p.rules = append(p.rules, r)
			p.ruleKind = append(p.ruleKind, k)
		}
		p.badges = append(p.badges, bp)
	}
	buf, err := json.Marshal(fpr)
	if err != nil {
		return nil, fmt.Errorf("bot: sweep: fingerprint: %w", err)
	}
	sum := sha256.Sum256(buf)
	p.fingerprint = hex.EncodeToString(sum[:])
	return p, nil
}

// evaluator holds one person's events, grouped by kind and matched per
// rule, in buffers reused from person to person.
type evaluator struct {
	plan      *sweepPlan
	byKind    [][]bot.Event
	matched   [][]bot.Event
	lastMatch []time.Time
	kindOf    map[string]int
}

func newEvaluator(p *sweepPlan) *evaluator {
	ev := &evaluator{
		byKind:    make([][]bot.Event, len(p.kinds)),
		matched:   make([][]bot.Event, len(p.rules)),
		lastMatch: make([]time.Time, len(p.rules)),
		kindOf:    map[string]int{},
	}
	for i, k := range p.kinds {
		ev.kindOf[k] = i
	}
	ev.plan = p
	return ev
}

// load takes a person's events and matches them against every rule,
// noting the newest match of each.
func (ev *evaluator) load(events []bot.Event) {
	for k := range ev.byKind {
		ev.byKind[k] = ev.byKind[k][:0]
	}
	for i := range events {
		if k, ok := ev.kindOf[events[i].Kind]; ok {
			ev.byKind[k] = append(ev.byKind[k], events[i])
		}
	}
	for ri := range ev.plan.rules {
		r := &ev.plan.rules[ri]
		m := ev.matched[ri][:0]
		for _, e := range ev.byKind[ev.plan.ruleKind[ri]] {
			if r.Matches(&e) {
				m = append(m, e)
				if e.ReceivedAt.After(ev.lastMatch[ri]) {
					ev.lastMatch[ri] = e.ReceivedAt
				}
			}
		}
		ev.matched[ri] = m
	}
}

// award decides whether the loaded person earns the badge now.
func (ev *evaluator) award(ctx context.Context, store bot.SweepStore, p *sweepPlan, bp badgePlan, h *bot.PastAwards) (SweepResult, bool, error) {
	j, err := ev.judge(ctx, store, p, bp, h, false)
	if err != nil || !j.Earned {
		return SweepResult{}, false, err
	}
	return SweepResult{Request: bot.AwardRequest{Badge: bp.slug}, Rules: j.Rules, evidence: j.Evidence}, true, nil
}

// judge judges the badge's rules over the loaded person's events, as
// Rules.Evaluate does (see judge). The URLs of the events are read only
// when earlier awards' evidence must be told apart.
func (ev *evaluator) judge(ctx context.Context, store bot.SweepStore, p *sweepPlan, bp badgePlan, h *bot.PastAwards, progress bool) (bot.Judgement, error) {
	var past bot.PastAwards
	if h != nil {
		past = *h
	}
	return bot.JudgeRules(bp.list, bp.repeatable, past, func(i int) ([]bot.Event, error) {
		events := ev.matched[bp.rules[i]]
		if !past.Any() {
			return events, nil
		}
		events = slices.Clone(events)
		return events, store.FillEvents(ctx, events)
	}, progress)
}

// finish reads the details of the evidence of rs (URLs, titles, actors)
// in one go and makes each one's award request, as Rules.Evaluate does.
// The award goes to the identity of the newest evidence.
func (s *Sweeper) finish(ctx context.Context, rs []SweepResult) error {
	var all []bot.Event
	for _, r := range rs {
		all = append(all, r.evidence...)
	}
	if err := s.cfg.Store.FillEvents(ctx, all); err != nil {
		return err
	}
	for i := range rs {
		r := &rs[i]
		n := len(r.evidence)
		r.evidence, all = all[:n:n], all[n:]
		to := r.evidence[0]
		for _, e := range r.evidence[1:] {
			if e.OccurredAt.After(to.OccurredAt) {
				to = e
			}
		}
		r.Request = *bot.RuleRequest(r.Request.Badge, to.Actor, to.ActorName, r.Rules, r.evidence)
		r.evidence = nil
	}
	return nil
}
