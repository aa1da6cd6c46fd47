package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
)

// KindHealth is the outbox kind of rule-health reports to admins.
const KindHealth = "health"

// Event fields rule health watches: the ones rules filter on, and the URL
// every award's evidence links to.
const (
	FieldURL        = "url"
	FieldRepository = "repository"
	FieldProduct    = "product"
	FieldComponent  = "component"
)

// HealthFields lists the watched fields.
var HealthFields = []string{FieldURL, FieldRepository, FieldProduct, FieldComponent}

// RuleHealth is what rule health remembers of one rule.
type RuleHealth struct {
	FirstSeen time.Time // when the check first saw the rule
	LastMatch time.Time // received time of the newest matching event
	Reported  bool      // its silence was reported and has not ended
}

// FieldHealth is how often one field of one event kind was present.
type FieldHealth struct {
	Present, Missing int64
	// Healthy is set when the last batch of events judged had the field
	// (nearly) always: a batch without it then is a sudden change.
	Healthy  bool
	Reported bool // its absence was reported and has not ended
}

// HealthState is what rule health remembers between checks.
type HealthState struct {
	// CheckedEventID is the highest event id whose fields were counted.
	CheckedEventID int64
	Rules          map[string]RuleHealth  // by rule name
	Fields         map[string]FieldHealth // by "KIND FIELD"
}

// FieldStat counts the events of one kind in a range of ids and, per
// watched field, those of them where it is empty.
type FieldStat struct {
	Kind    string
	Total   int64
	Missing map[string]int64 // by field
}

// HealthStore keeps the state of rule health.
type HealthStore interface {
	// HealthState returns the zero state before the first check.
	HealthState(ctx context.Context) (HealthState, error)
	// EventFieldStats counts, per kind, the events with an id above after
	// and the empty watched fields among them; through is the highest id
	// counted (after when there is none).
	EventFieldStats(ctx context.Context, after int64) (stats []FieldStat, through int64, err error)
	// SaveHealth stores the state and queues the reports in one
	// transaction, so that a problem is reported once.
	SaveHealth(ctx context.Context, st HealthState, out []Announcement) error
}

// Rule health defaults.
const (
	DefaultRuleSilence = 30 * 24 * time.Hour // a rule matching nothing this long is reported
	healthMinBatch     = 5                   // new events of a kind needed to judge its fields
)

// HealthConfig configures a Health check.
type HealthConfig struct {
	Store HealthStore // required
	Rules []Rule
	// Silence is how long a rule may match nothing before it is reported;
	// 0: DefaultRuleSilence.
	Silence time.Duration
	// ReviewChannels maps a platform to the channel admins read; on a
	// platform in Platforms without one, admins get a direct message.
	ReviewChannels map[string]string
	Admins         []Recipient
	Platforms      []string // the enabled chat platforms
	Now            func() time.Time
	Log            *slog.Logger
}

// Health watches the rules: a rule whose events have matched nothing for
// a while, or whose events suddenly arrive with a field it needs missing
// (a changed webhook payload), is reported to the admins once, not every
// run; once the problem is gone it may be reported again if it returns.
type Health struct {
	cfg HealthConfig
}

// NewHealth returns a Health check.
func NewHealth(cfg HealthConfig) *Health {
	if cfg.Silence <= 0 {
		cfg.Silence = DefaultRuleSilence
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Health{cfg: cfg}
}

// HealthReport says what a check found.
type HealthReport struct {
	Problems  []string // every problem standing now, in words
	New       []string // those reported by this check
	Announced int      // report messages queued
}

// Check updates the rules' newest matches from a sweep's LastMatch,
// counts the fields of the events since the last check, and reports new
// problems.
func (h *Health) Check(ctx context.Context, lastMatch map[string]time.Time) (*HealthReport, error) {
	now := h.cfg.Now().UTC()
	st, err := h.cfg.Store.HealthState(ctx)
	if err != nil {
		return nil, err
	}
	if st.Rules == nil {
		st.Rules = map[string]RuleHealth{}
	}
	if st.Fields == nil {
		st.Fields = map[string]FieldHealth{}
	}
	rep := &HealthReport{}
	report := func(text string, fresh bool) {
		rep.Problems = append(rep.Problems, text)
		if fresh {
			rep.New = append(rep.New, text)
		}
	}

	rules := map[string]RuleHealth{}
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
				r.Name, eventNoun(r.Event, 1), what), !rh.Reported)
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
		for _, field := range HealthFields {
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
func (h *Health) fieldsNeeded() map[string][]string {
	out := map[string][]string{}
	add := func(r Rule, field string) { out[r.Event+" "+field] = append(out[r.Event+" "+field], r.Name) }
	for _, r := range h.cfg.Rules {
		add(r, FieldURL)
		if len(r.Repositories) > 0 {
			add(r, FieldRepository)
		}
		if len(r.Products) > 0 {
			add(r, FieldProduct)
		}
		if len(r.Components) > 0 {
			add(r, FieldComponent)
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

// announcements writes the new problems to each review channel, or as
// direct messages to the admins on platforms without one.
func (h *Health) announcements(problems []string) []Announcement {
	if len(problems) == 0 {
		return nil
	}
	m := Message{Title: "Rule health", Text: strings.Join(problems, "\n")}
	var out []Announcement
	platforms := append([]string(nil), h.cfg.Platforms...)
	sort.Strings(platforms)
	for _, p := range platforms {
		if ch := h.cfg.ReviewChannels[p]; ch != "" {
			out = append(out, Announcement{Platform: p, Channel: ch, Kind: KindHealth, Message: m})
			continue
		}
		for _, a := range h.cfg.Admins {
			if a.Platform == p {
				out = append(out, Announcement{Platform: p, Channel: dmChannel(a), Kind: KindHealth, Message: m})
			}
		}
	}
	if len(out) == 0 {
		h.cfg.Log.Warn("rule health: no review channel or admin on an enabled chat platform to tell", "problems", len(problems))
	}
	return out
}
