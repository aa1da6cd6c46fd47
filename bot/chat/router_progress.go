package chat

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/badgebot/badgebot/bot"
)

// describeProgress says a rule in words: "1 merged pull request in octo/*".
func describeProgress(p bot.RuleProgress) string {
	r := p.Rule
	s := fmt.Sprintf("%d of %d %s", min(p.Have, r.Threshold), r.Threshold, bot.EventNoun(r.Event, r.Threshold))
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
		s += " within " + bot.Days(r.Window)
	}
	return s
}

// progress answers `progress [SLUG]`: how close the caller is to one
// badge, or to the badges with rules they do not hold yet.
func (r *Router) progress(ctx context.Context, c bot.Command, slug string) (bot.Reply, error) {
	me, err := r.lookup(ctx, c.Caller, c.CallerName)
	if err != nil {
		return bot.Reply{}, err
	}
	program := ""
	if slug != "" {
		b, err := r.badge(ctx, slug)
		if p, ok := r.cfg.Service.Program(strings.ToLower(slug)); ok && bot.ErrorCode(err) == bot.ENOTFOUND {
			program = p.Slug // `progress PROGRAM`: that program's badges
		} else if err != nil {
			return bot.Reply{}, err
		} else {
			return r.explain(ctx, me, b, true)
		}
	}
	if r.cfg.Rules == nil || len(r.cfg.Rules.RuleBadges()) == 0 {
		return say("No badge here is awarded automatically; they come by nomination. Type `/badge list` to see them."), nil
	}
	type near struct {
		b    *bot.Badge
		ps   []bot.RuleProgress
		frac float64
	}
	var list []near
	for _, slug := range r.cfg.Rules.RuleBadges() {
		b, err := r.cfg.Store.Badge(ctx, slug)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			continue
		} else if err != nil {
			return bot.Reply{}, err
		}
		if program != "" && b.Program != program {
			continue
		}
		if held, err := r.holds(ctx, me, b); err != nil {
			return bot.Reply{}, err
		} else if held {
			continue
		}
		ps, err := r.cfg.Rules.Progress(ctx, me.PersonID(), slug)
		if err != nil {
			return bot.Reply{}, err
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
	m := bot.Message{Title: "Your progress"}
	for i, x := range list {
		if i == 10 {
			break
		}
		var parts []string
		for _, p := range x.ps {
			parts = append(parts, describeProgress(p))
		}
		m.Fields = append(m.Fields, bot.Field{Label: fmt.Sprintf("%s (%s)", x.b.Name, x.b.Slug), Value: strings.Join(parts, "; ")})
	}
	m.Text = "Type `/badge progress SLUG` for one badge."
	return private(m), nil
}

// why answers `why @user SLUG`: which criteria of the badge hold.
func (r *Router) why(ctx context.Context, c bot.Command, user, slug string) (bot.Reply, error) {
	who, err := r.resolveSubject(ctx, c, user)
	if err != nil {
		return bot.Reply{}, err
	}
	b, err := r.badge(ctx, slug)
	if err != nil {
		return bot.Reply{}, err
	}
	me, err := r.lookup(ctx, c.Caller, c.CallerName)
	if err != nil {
		return bot.Reply{}, err
	}
	return r.explain(ctx, who, b, me.Same(who))
}

// explain says whether a holds b and which of its rules hold.
func (r *Router) explain(ctx context.Context, a *actor, b *bot.Badge, self bool) (bot.Reply, error) {
	m := bot.Message{Title: b.Name, Link: r.cfg.BaseURL + "/badges/" + b.Slug}
	subject, has := mentionKey(&m, a)+" holds", mentionKey(&m, a)+" does not hold"
	if self {
		subject, has = "You hold", "You don't hold"
	}
	var held []*bot.Award
	if a.Person != nil {
		var err error
		if held, err = r.cfg.Store.Awards(ctx, bot.AwardFilter{Badge: b.Slug, PersonID: a.Person.ID, Revoked: new(false)}); err != nil {
			return bot.Reply{}, err
		}
	}
	var ps []bot.RuleProgress
	if r.cfg.Rules != nil {
		var err error
		if ps, err = r.cfg.Rules.Progress(ctx, a.PersonID(), b.Slug); err != nil {
			return bot.Reply{}, err
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
		m.Fields = []bot.Field{{Label: "How to earn it", Value: bot.Plain(b.Criteria)}}
		return private(m), nil
	}
	met := 0
	for _, p := range ps {
		state := "not yet"
		if p.Holds {
			state = "met"
			met++
		}
		m.Fields = append(m.Fields, bot.Field{Label: p.Rule.Name + ": " + state, Value: describeProgress(p)})
	}
	if len(held) == 0 || b.Repeatable {
		m.Text += fmt.Sprintf(" %d of %d criteria met.", met, len(ps))
	}
	return private(m), nil
}

// holds reports whether a holds b and b cannot be held twice.
func (r *Router) holds(ctx context.Context, a *actor, b *bot.Badge) (bool, error) {
	if b.Repeatable || a.Person == nil {
		return false, nil
	}
	held, err := r.cfg.Store.Awards(ctx, bot.AwardFilter{Badge: b.Slug, PersonID: a.Person.ID, Revoked: new(false), Limit: 1})
	return len(held) > 0, err
}
