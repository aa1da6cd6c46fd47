package bot_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/badgebot/badgebot/bot"
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
