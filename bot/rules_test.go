package bot

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ev(kind, repo string, day int) Event {
	return Event{
		Kind: kind, Repository: repo, Key: kind + "/" + repo + "/" + strconv.Itoa(day),
		URL:        "https://github.com/" + repo + "/pull/" + strconv.Itoa(day),
		OccurredAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day),
	}
}

func TestRuleMatches(t *testing.T) {
	r := Rule{Name: "r", Badge: "b", Event: EventPRMerged, Threshold: 1, Repositories: []string{"octo/*"}}
	tests := []struct {
		e    Event
		want bool
	}{
		{Event{Kind: EventPRMerged, Repository: "octo/hello"}, true},
		{Event{Kind: EventPRMerged, Repository: "other/hello"}, false},
		{Event{Kind: EventReviewApproved, Repository: "octo/hello"}, false},
	}
	for _, tt := range tests {
		if got := r.Matches(&tt.e); got != tt.want {
			t.Errorf("Matches(%+v) = %t, want %t", tt.e, got, tt.want)
		}
	}
	bz := Rule{Name: "bz", Badge: "b", Event: EventBugFixed, Threshold: 1, Products: []string{"Firefox"}, Components: []string{"Gen*"}}
	if !bz.Matches(&Event{Kind: EventBugFixed, Product: "Firefox", Component: "General"}) {
		t.Error("product and component globs should match")
	}
	if bz.Matches(&Event{Kind: EventBugFixed, Product: "Firefox", Component: "DOM"}) {
		t.Error("component filter should exclude DOM")
	}
}

func TestRuleSatisfied(t *testing.T) {
	merged := func(days ...int) []Event {
		var es []Event
		for _, d := range days {
			es = append(es, ev(EventPRMerged, "octo/hello", d))
		}
		return es
	}
	tests := []struct {
		name      string
		threshold int
		window    time.Duration
		events    []Event
		wantDays  []int // days of the evidence, nil: not satisfied
	}{
		{"one is enough", 1, 0, merged(5), []int{5}},
		{"none", 1, 0, nil, nil},
		{"too few", 3, 0, merged(1, 2), nil},
		{"earliest run is evidence", 2, 0, merged(9, 1, 5), []int{1, 5}},
		{"window holds", 3, 30 * 24 * time.Hour, merged(1, 10, 20), []int{1, 10, 20}},
		{"window too wide apart", 3, 30 * 24 * time.Hour, merged(1, 20, 40), nil},
		{"later run fits the window", 3, 30 * 24 * time.Hour, merged(1, 40, 50, 60), []int{40, 50, 60}},
		{"other kinds do not count", 2, 0, append(merged(1), ev(EventReviewApproved, "octo/hello", 2)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Rule{Name: "r", Badge: "b", Event: EventPRMerged, Threshold: tt.threshold, Window: tt.window}
			got := r.satisfied(tt.events)
			if tt.wantDays == nil {
				if got != nil {
					t.Fatalf("satisfied = %d events, want none", len(got))
				}
				return
			}
			if len(got) != len(tt.wantDays) {
				t.Fatalf("satisfied = %d events, want %d", len(got), len(tt.wantDays))
			}
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i, d := range tt.wantDays {
				if want := base.AddDate(0, 0, d); !got[i].OccurredAt.Equal(want) {
					t.Errorf("evidence[%d] at %v, want %v", i, got[i].OccurredAt, want)
				}
			}
		})
	}
}

func TestRuleValidate(t *testing.T) {
	ok := Rule{Name: "r", Badge: "first-pr", Event: EventPRMerged, Threshold: 1}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid rule: %v", err)
	}
	for name, mutate := range map[string]func(*Rule){
		"no name":       func(r *Rule) { r.Name = "" },
		"bad badge":     func(r *Rule) { r.Badge = "Bad Badge" },
		"unknown event": func(r *Rule) { r.Event = "github.push" },
		"threshold 0":   func(r *Rule) { r.Threshold = 0 },
		"bad glob":      func(r *Rule) { r.Repositories = []string{"["} },
	} {
		r := ok
		mutate(&r)
		if err := r.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("%s: Validate() = %v, want EINVALID", name, err)
		}
	}
}

func TestEventEvidenceHidesPrivateTitles(t *testing.T) {
	for _, e := range []Event{
		{ID: 7, Kind: EventBugFixed, URL: "https://bugzilla.example.org/show_bug.cgi?id=7", Title: "secret exploit", Private: true},
		{ID: 9, Kind: EventPRMerged, URL: "https://github.com/acme/secret-merger-project/pull/9", Title: "Merge with Initech", Private: true},
	} {
		got := eventEvidence(e)
		want := Evidence{URL: PrivateEvidencePrefix + strconv.FormatInt(e.ID, 10), Name: privateEvidence[e.Kind], Genre: got.Genre}
		if diff := cmp.Diff(want, got); diff != "" || got.Genre == "" {
			t.Errorf("eventEvidence(private %s) (-want +got):\n%s", e.Kind, diff)
		}
		// It names the event, so a repeatable badge does not count it again.
		if !usedBy(map[string]bool{got.URL: true}, &e) {
			t.Errorf("evidence %s does not count its event as used", got.URL)
		}
		e.Private = false
		if got := eventEvidence(e); got.Name != e.Title || got.URL != e.URL {
			t.Errorf("eventEvidence(public) = %+v", got)
		}
	}
	if got := eventEvidence(Event{ID: 3, Kind: EventPRMerged, URL: "https://github.com/o/r/pull/3", Title: "Thanks carol@example.org"}); got.Name != "Thanks [address hidden]" {
		t.Errorf("a title's address: name %q", got.Name)
	}
	if got := eventEvidence(Event{ID: 4, Kind: EventBugFixed, URL: "https://bugs.example.org/x?who=carol%40example.org"}); got.URL != PrivateEvidencePrefix+"4" {
		t.Errorf("a URL with an address: evidence %q", got.URL)
	}
}
