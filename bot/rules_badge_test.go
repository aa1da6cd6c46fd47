package bot_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
)

// countingStore counts the badge reads of the rules engine.
type countingStore struct {
	bot.RuleStore
	reads atomic.Int64
}

func (s *countingStore) Badge(ctx context.Context, slug string) (*bot.Badge, error) {
	s.reads.Add(1)
	return s.RuleStore.Badge(ctx, slug)
}

// TestRulesKeepBadgeUntilEdited: awarding reads a badge (with its
// artwork) once, not per evaluation, and an edit through the store is
// used at once.
func TestRulesKeepBadgeUntilEdited(t *testing.T) {
	e := newEnv(t)
	store := &countingStore{RuleStore: e.DB}
	rules := bot.NewRules([]bot.Rule{{Name: "first-merged-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1}}, store, e.Svc)
	merged := func(login string, n int) {
		t.Helper()
		url := fmt.Sprintf("https://github.com/octo/hello/pull/%d", n)
		ev := bot.Event{Source: bot.PlatformGitHub, Kind: bot.EventPRMerged, Key: url[len("https://"):],
			Actor: bot.Recipient{Platform: bot.PlatformGitHub, ID: login}, Repository: "octo/hello", URL: url, OccurredAt: e.Clock.Now()}
		stored, err := e.DB.CompleteDelivery(e.Ctx, saved(t, e, fmt.Sprintf("d%d", n)), []bot.Event{ev}, "")
		if err != nil || len(stored) != 1 {
			t.Fatalf("CompleteDelivery = %d events, %v", len(stored), err)
		}
		if err := rules.OnEvents(e.Ctx, stored); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		merged(fmt.Sprintf("user-%d", i), i+1)
	}
	if n := store.reads.Load(); n != 1 {
		t.Errorf("5 awards read the badge %d times, want once", n)
	}
	if as := e.Awards("github:user-0"); len(as) != 1 {
		t.Fatalf("user-0 has %d awards, want 1", len(as))
	}

	// Made repeatable through the store: the next merge awards again.
	b, err := e.DB.Badge(e.Ctx, "first-pr")
	if err != nil {
		t.Fatal(err)
	}
	b.Repeatable = true
	if err := e.Svc.SaveBadge(e.Ctx, b); err != nil {
		t.Fatal(err)
	}
	merged("user-0", 100)
	if as := e.Awards("github:user-0"); len(as) != 2 {
		t.Errorf("after the badge became repeatable user-0 has %d awards, want 2: the edit was not seen", len(as))
	}
}

// saved stores a delivery and returns it as stored.
func saved(t *testing.T, e *env, id string) bot.WebhookDelivery {
	t.Helper()
	d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: id, Type: "pull_request", Body: []byte("{}")}
	if _, err := e.DB.SaveDelivery(e.Ctx, d); err != nil {
		t.Fatal(err)
	}
	ds, err := e.DB.PendingDeliveriesAfter(e.Ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ds {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("delivery %s not pending", id)
	return d
}

// pastBarrier holds each of the first want PastAwards reads until all of
// them were made: evaluations that overlap, as two workers (or a worker
// and a sweep, or two replicas) may. Later reads pass. A read that waited
// a few seconds in vain goes on and is counted in missed: the test then
// fails for want of overlap instead of hanging.
type pastBarrier struct {
	bot.RuleStore
	want   int32
	reads  atomic.Int32
	all    chan struct{} // closed by the want-th read
	missed atomic.Int32
}

func newPastBarrier(store bot.RuleStore, want int32) *pastBarrier {
	return &pastBarrier{RuleStore: store, want: want, all: make(chan struct{})}
}

func (s *pastBarrier) PastAwards(ctx context.Context, badge string, person int64) (bot.PastAwards, error) {
	past, err := s.RuleStore.PastAwards(ctx, badge, person)
	switch n := s.reads.Add(1); {
	case n == s.want:
		close(s.all)
	case n < s.want:
		select {
		case <-s.all:
		case <-time.After(5 * time.Second):
			s.missed.Add(1)
		}
	}
	return past, err
}

// TestRulesOverlappingEvaluationsShareNoEvidence: two evaluations of a
// repeatable badge for one person that read the person's awards before
// either wrote do not both award from the same evidence; the one refused
// judges again, and awards from what is left when that is enough.
func TestRulesOverlappingEvaluationsShareNoEvidence(t *testing.T) {
	for _, tt := range []struct {
		merged, want int // pull requests merged, awards (2 each)
	}{{2, 1}, {3, 1}, {4, 2}} {
		t.Run(fmt.Sprintf("%d merged", tt.merged), func(t *testing.T) {
			e := newEnv(t)
			b := bottest.Badge("sprinter", "Sprinter")
			b.Repeatable = true
			if err := e.Svc.SaveBadge(e.Ctx, b); err != nil {
				t.Fatal(err)
			}
			store := newPastBarrier(e.DB, 2)
			rules := bot.NewRules([]bot.Rule{{Name: "sprint", Badge: "sprinter", Event: bot.EventPRMerged, Threshold: 2}}, store, e.Svc)
			var stored []bot.Event
			for n := range tt.merged {
				url := fmt.Sprintf("https://github.com/octo/hello/pull/%d", n+1)
				ev := bot.Event{Source: bot.PlatformGitHub, Kind: bot.EventPRMerged, Key: url[len("https://"):],
					Actor: bot.Recipient{Platform: bot.PlatformGitHub, ID: "sam"}, Repository: "octo/hello", URL: url, OccurredAt: e.Clock.Now()}
				evs, err := e.DB.CompleteDelivery(e.Ctx, saved(t, e, fmt.Sprintf("d%d", n)), []bot.Event{ev}, "")
				if err != nil || len(evs) != 1 {
					t.Fatalf("CompleteDelivery = %d events, %v", len(evs), err)
				}
				stored = append(stored, evs...)
			}
			// The workers of the last two deliveries evaluate once both
			// events are stored: both read every event and no award.
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range 2 {
				wg.Go(func() { errs[i] = rules.OnEvents(e.Ctx, stored[tt.merged-2+i:tt.merged-1+i]) })
			}
			wg.Wait()
			if n := store.missed.Load(); n > 0 {
				t.Fatalf("%d evaluations read past awards alone: they never overlapped", n)
			}
			for _, err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			as := e.Awards("github:sam")
			if len(as) != tt.want {
				t.Errorf("sam holds %d Sprinter awards, want %d", len(as), tt.want)
			}
			used := map[string]string{}
			for _, a := range as {
				for _, ev := range a.Evidence {
					if other, ok := used[ev.URL]; ok {
						t.Errorf("%s is evidence of awards %s and %s", ev.URL, other, a.ID)
					}
					used[ev.URL] = a.ID
				}
			}
		})
	}
}
