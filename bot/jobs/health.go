package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// Rule health defaults.
const (
	DefaultRuleSilence = 30 * 24 * time.Hour // a rule matching nothing this long is reported
	healthMinBatch     = 5                   // new events of a kind needed to judge its fields
)

// RuleHealthCheckConfig configures a RuleHealthCheck.
type RuleHealthCheckConfig struct {
	Store bot.HealthStore // required
	Rules []bot.Rule
	// Silence is how long a rule may match nothing before it is reported;
	// 0: DefaultRuleSilence.
	Silence time.Duration
	// ReviewChannels maps a platform to the channel admins read; on a
	// platform in Platforms without one, admins get a direct message.
	ReviewChannels map[string]string
	Admins         []bot.Recipient
	Platforms      []string // the enabled chat platforms
	Now            func() time.Time
	Log            *slog.Logger
}

// RuleHealthCheck watches the rules (not the server: that is /healthz): a
// rule whose events have matched nothing for a while, or whose events
// suddenly arrive with a field it needs missing (a changed webhook
// payload), is reported to the admins once, not every run; once the
// problem is gone it may be reported again if it returns.
type RuleHealthCheck struct {
	cfg RuleHealthCheckConfig
}

// NewRuleHealthCheck returns a RuleHealthCheck.
func NewRuleHealthCheck(cfg RuleHealthCheckConfig) *RuleHealthCheck {
	if cfg.Silence <= 0 {
		cfg.Silence = DefaultRuleSilence
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &RuleHealthCheck{cfg: cfg}
}

// HealthReport says what a check found.
type RuleHealthReport struct {
	Problems  []string // every problem standing now, in words
	New       []string // those reported by this check
	Announced int      // report messages queued
}

// Check updates the rules' newest matches from a sweep's LastMatch,
// counts the fields of the events since the last check, and reports new
// problems.
func (h *RuleHealthCheck) Check(ctx context.Context, lastMatch map[string]time.Time) (*RuleHealthReport, error) {
	now := h.cfg.Now().UTC()
	st, err := h.cfg.Store.HealthState(ctx)
	if err != nil {
		return nil, err
	}
	if st.Rules == nil {
		st.Rules = map[string]bot.RuleHealth{}
	}
	if st.Fields == nil {
		st.Fields = map[string]bot.FieldHealth{}
	}
	rep := &RuleHealthReport{}
	report := func(text string, fresh bool) {
		rep.Problems = append(rep.Problems, text)
		if fresh {
			rep.New = append(rep.New, text)
		}
	}

	rules := map[string]bot.RuleHealth{}
	for _, r := range h.cfg.Rules {
		rh, ok := st.Rules[r.Name]
		if !ok {
			rh.FirstSeen = now
		}
		if t := lastMatch[r.Name]; t.After(rh.LastMatch) {
			rh.LastMatch = t
		}
		since := rh.FirstSeen
		if rh.LastMatch.After(since) {
			since = rh.LastMatch
		}
		if now.Sub(since) >= h.cfg.Silence {
			what := "since it was added on " + since.Format("2 Jan 2006")
			if !rh.LastMatch.IsZero() {
				what = "since " + since.Format("2 Jan 2006")
			}
			report(fmt.Sprintf("Rule %s has matched no %s %s. Is the webhook still delivering, and do its filters still fit?",
				r.Name, bot.EventNoun(r.Event, 1), what), !rh.Reported)
			rh.Reported = true
		} else {
			rh.Reported = false
		}
		rules[r.Name] = rh
	}
	st.Rules = rules // rules no longer configured are forgotten

	stats, through, err := h.cfg.Store.EventFieldStats(ctx, st.CheckedEventID)
	if err != nil {
		return nil, err
	}
	needs := h.fieldsNeeded()
	for _, s := range stats {
		for _, field := range bot.HealthFields {
			key := s.Kind + " " + field
			users := needs[key]
			fh := st.Fields[key]
			missing := s.Missing[field]
			if s.Total >= healthMinBatch {
				switch {
				case 2*missing >= s.Total && (fh.Healthy || fh.Reported) && len(users) > 0:
					report(fmt.Sprintf("%d of the %d %s events received since the last check have no %s, which they used to have; rule %s needs it. Did the webhook payload change?",
						missing, s.Total, s.Kind, field, strings.Join(users, ", ")), !fh.Reported)
					fh.Reported, fh.Healthy = true, false
				case 2*missing >= s.Total:
					fh.Healthy = false
				case 10*missing < s.Total:
					fh.Healthy, fh.Reported = true, false
				}
			}
			fh.Present += s.Total - missing
			fh.Missing += missing
			st.Fields[key] = fh
		}
	}
	st.CheckedEventID = through

	out := h.announcements(rep.New)
	if err := h.cfg.Store.SaveHealth(ctx, st, out); err != nil {
		return nil, err
	}
	rep.Announced = len(out)
	for _, p := range rep.New {
		h.cfg.Log.Warn("rule health", "problem", p)
	}
	return rep, nil
}

// fieldsNeeded maps "KIND FIELD" to the names of the rules that need the
// field: the URL always (evidence links to it), the others when the rule
// filters on them.
func (h *RuleHealthCheck) fieldsNeeded() map[string][]string {
	out := map[string][]string{}
	add := func(r bot.Rule, field string) { out[r.Event+" "+field] = append(out[r.Event+" "+field], r.Name) }
	for _, r := range h.cfg.Rules {
		add(r, bot.FieldURL)
		if len(r.Repositories) > 0 {
			add(r, bot.FieldRepository)
		}
		if len(r.Products) > 0 {
			add(r, bot.FieldProduct)
		}
		if len(r.Components) > 0 {
			add(r, bot.FieldComponent)
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

// announcements writes the new problems to each review channel, or as
// direct messages to the admins on platforms without one.
func (h *RuleHealthCheck) announcements(problems []string) []bot.Announcement {
	if len(problems) == 0 {
		return nil
	}
	m := bot.Message{Title: "Rule health", Text: strings.Join(problems, "\n")}
	var out []bot.Announcement
	platforms := append([]string(nil), h.cfg.Platforms...)
	sort.Strings(platforms)
	for _, p := range platforms {
		if ch := h.cfg.ReviewChannels[p]; ch != "" {
			out = append(out, bot.Announcement{Platform: p, Channel: ch, Kind: bot.KindHealth, Message: m})
			continue
		}
		for _, a := range h.cfg.Admins {
			if a.Platform == p {
				out = append(out, bot.Announcement{Platform: p, Channel: bot.DMChannel(a), Kind: bot.KindHealth, Message: m})
			}
		}
	}
	if len(out) == 0 {
		h.cfg.Log.Warn("rule health: no review channel or admin on an enabled chat platform to tell", "problems", len(problems))
	}
	return out
}
