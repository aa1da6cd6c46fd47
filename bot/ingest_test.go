package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

// normalizePR is the tests' GitHub normaliser: a body names the login
// whose pull request was merged. "bad" makes an event without a key, which
// the store refuses; "panic" panics.
func normalizePR(d bot.WebhookDelivery) (bot.Normalized, error) {
	login := string(d.Body)
	switch login {
	case "panic":
		panic("malformed payload")
	case "bad":
		return bot.Normalized{Events: []bot.Event{{Kind: bot.EventPRMerged, Actor: bot.Recipient{Platform: bot.PlatformGitHub, ID: "bad"}}}}, nil
	}
	url := "https://github.com/octo/hello/pull/" + login
	return bot.Normalized{Events: []bot.Event{{
		Kind: bot.EventPRMerged, Key: strings.TrimPrefix(url, "https://"),
		Actor: bot.Recipient{Platform: bot.PlatformGitHub, ID: login}, Repository: "octo/hello",
		URL: url, Title: "PR by " + login, OccurredAt: d.ReceivedAt,
	}}}, nil
}

func newIngestor(e *env) *bot.Ingestor {
	in := bot.NewIngestor(e.DB, slog.New(slog.DiscardHandler))
	in.Register(bot.PlatformGitHub, normalizePR)
	in.OnEvents(e.Cfg.Rules.OnEvents)
	return in
}

// accept stores a delivery with the body, failing the test on error.
func accept(e *env, in *bot.Ingestor, id, body string) (dup bool) {
	e.T.Helper()
	dup, err := in.Accept(e.Ctx, bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: id, Type: "pull_request", Body: []byte(body)})
	if err != nil {
		e.T.Fatalf("Accept(%s): %v", id, err)
	}
	return dup
}

func pendingIDs(e *env) []string {
	e.T.Helper()
	ds, err := e.DB.PendingDeliveriesAfter(e.Ctx, 0, 1000)
	if err != nil {
		e.T.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return ids
}

// TestIngestorProcessPending processes more deliveries than one read
// returns, with as many workers as it takes: each becomes one award, with
// a status index of its own.
func TestIngestorProcessPending(t *testing.T) {
	e := newEnv(t)
	in := newIngestor(e)
	const n = 300
	for i := range n {
		if accept(e, in, fmt.Sprintf("d%d", i), fmt.Sprintf("user-%d", i)) {
			t.Fatalf("delivery d%d reported as a duplicate", i)
		}
	}
	if !accept(e, in, "d7", "user-7") {
		t.Error("a second d7 was not reported as a duplicate")
	}
	accept(e, in, "p", "panic") // processed, with a problem, and nothing else
	got, err := in.ProcessPending(e.Ctx)
	if err != nil || got != n+1 {
		t.Fatalf("ProcessPending = %d, %v; want %d, nil", got, err, n+1)
	}
	all, err := e.DB.Awards(e.Ctx, bot.AwardFilter{Badge: "first-pr"})
	if err != nil {
		t.Fatal(err)
	}
	holders := map[string]int{}
	indexes := map[int]string{}
	for _, a := range all {
		holders[a.Recipient.String()]++
		if other, ok := indexes[a.StatusIndex]; ok {
			t.Errorf("awards %s and %s share status index %d", a.ID, other, a.StatusIndex)
		}
		indexes[a.StatusIndex] = a.ID
	}
	for i := range n {
		if who := fmt.Sprintf("github:user-%d", i); holders[who] != 1 {
			t.Errorf("%s holds first-pr %d times, want once", who, holders[who])
		}
	}
	if len(all) != n {
		t.Errorf("%d first-pr awards, want %d", len(all), n)
	}
	if p := pendingIDs(e); len(p) != 0 {
		t.Errorf("still pending: %v", p)
	}
	if got, err := in.ProcessPending(e.Ctx); err != nil || got != 0 {
		t.Errorf("second ProcessPending = %d, %v; want 0, nil", got, err)
	}
}

// TestIngestorLeavesFailingDeliveryPending: a delivery the store refuses
// stays pending and is reported; the ones after it are processed.
func TestIngestorLeavesFailingDeliveryPending(t *testing.T) {
	e := newEnv(t)
	in := newIngestor(e)
	for i, body := range []string{"ada", "bob", "bad", "carol", "dan"} {
		accept(e, in, fmt.Sprintf("d%d", i), body)
	}
	for range 2 { // the second pass tries the failing one again
		got, err := in.ProcessPending(e.Ctx)
		if err == nil || !strings.Contains(err.Error(), "1 deliveries failed") || bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("ProcessPending error = %v; want 1 delivery failed, EINVALID", err)
		}
		if diff := cmp.Diff([]string{"d2"}, pendingIDs(e)); diff != "" {
			t.Errorf("pending (-want +got):\n%s", diff)
		}
		if got > 4 {
			t.Errorf("ProcessPending processed %d, want at most 4", got)
		}
	}
	for _, who := range []string{"github:ada", "github:bob", "github:carol", "github:dan"} {
		if as := e.Awards(who); len(as) != 1 {
			t.Errorf("%s has %d awards, want 1", who, len(as))
		}
	}
}

// damagedStore reads the delivery "d1" back as the store reads a body it
// cannot decode.
type damagedStore struct{ bot.IngestStore }

func (s damagedStore) PendingDeliveriesAfter(ctx context.Context, after int64, limit int) ([]bot.WebhookDelivery, error) {
	ds, err := s.IngestStore.PendingDeliveriesAfter(ctx, after, limit)
	for i := range ds {
		if ds[i].ID == "d1" {
			ds[i].Body, ds[i].Unreadable = nil, "storage: stored body: corrupt input"
		}
	}
	return ds, err
}

// lendingStore lends each delivery's body as a store with a buffer pool
// does, and records when a body is given back.
type lendingStore struct {
	bot.IngestStore
	mu       sync.Mutex
	released map[string]int
	lent     map[string]bool // lent and not given back
}

func (s *lendingStore) PendingDeliveriesAfter(ctx context.Context, after int64, limit int) ([]bot.WebhookDelivery, error) {
	ds, err := s.IngestStore.PendingDeliveriesAfter(ctx, after, limit)
	for i := range ds {
		id := ds[i].ID
		s.mu.Lock()
		s.lent[id] = true
		s.mu.Unlock()
		ds[i].Release = func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.released[id]++
			delete(s.lent, id)
		}
	}
	return ds, err
}

// TestIngestorReleasesBodies: the Ingestor gives each processed
// delivery's body back once, and only after its normaliser read it.
func TestIngestorReleasesBodies(t *testing.T) {
	e := newEnv(t)
	store := &lendingStore{IngestStore: e.DB, released: map[string]int{}, lent: map[string]bool{}}
	in := bot.NewIngestor(store, slog.New(slog.DiscardHandler))
	in.Register(bot.PlatformGitHub, func(d bot.WebhookDelivery) (bot.Normalized, error) {
		store.mu.Lock()
		lent := store.lent[d.ID]
		store.mu.Unlock()
		if !lent {
			t.Errorf("delivery %s: normalised after its body was given back", d.ID)
		}
		return normalizePR(d)
	})
	in.OnEvents(e.Cfg.Rules.OnEvents)
	for i := range 40 {
		accept(e, in, fmt.Sprintf("d%d", i), fmt.Sprintf("user-%d", i))
	}
	accept(e, in, "p", "panic")
	if got, err := in.ProcessPending(e.Ctx); err != nil || got != 41 {
		t.Fatalf("ProcessPending = %d, %v; want 41, nil", got, err)
	}
	if len(store.released) != 41 || len(store.lent) != 0 {
		t.Errorf("released %d bodies, %d still lent; want 41 and 0", len(store.released), len(store.lent))
	}
	for id, n := range store.released {
		if n != 1 {
			t.Errorf("delivery %s: body given back %d times", id, n)
		}
	}
}

// TestIngestorCompletesUnreadableDelivery: a delivery whose stored body is
// damaged is completed with its problem and logged, and holds up nothing.
func TestIngestorCompletesUnreadableDelivery(t *testing.T) {
	e := newEnv(t)
	var log strings.Builder
	in := bot.NewIngestor(damagedStore{e.DB}, slog.New(slog.NewTextHandler(&log, nil)))
	in.Register(bot.PlatformGitHub, normalizePR)
	in.OnEvents(e.Cfg.Rules.OnEvents)
	for i, body := range []string{"ada", "bob", "carol"} {
		accept(e, in, fmt.Sprintf("d%d", i), body)
	}
	if got, err := in.ProcessPending(e.Ctx); err != nil || got != 3 {
		t.Fatalf("ProcessPending = %d, %v; want 3, nil", got, err)
	}
	if p := pendingIDs(e); len(p) != 0 {
		t.Errorf("still pending: %v", p)
	}
	for who, want := range map[string]int{"github:ada": 1, "github:bob": 0, "github:carol": 1} {
		if as := e.Awards(who); len(as) != want {
			t.Errorf("%s has %d awards, want %d", who, len(as), want)
		}
	}
	if !strings.Contains(log.String(), "stored delivery unreadable") || !strings.Contains(log.String(), "delivery=d1") {
		t.Errorf("the damaged delivery was not logged:\n%s", log.String())
	}
}

// TestIngestorReadsExtractsAndStaleOnesBodies: a delivery stored with an
// extract is normalised from it; one whose extract the normaliser calls
// stale is normalised from its body, read back from the store.
func TestIngestorReadsExtractsAndStaleOnesBodies(t *testing.T) {
	e := newEnv(t)
	in := bot.NewIngestor(e.DB, slog.New(slog.DiscardHandler))
	var mu sync.Mutex
	read := map[string]string{} // delivery: what it was normalised from
	in.Register(bot.PlatformGitHub, func(d bot.WebhookDelivery) (bot.Normalized, error) {
		mu.Lock()
		defer mu.Unlock()
		from := "body"
		if d.Extract != nil {
			old, ok := strings.CutPrefix(string(d.Extract), "v1:")
			if !ok {
				return bot.Normalized{}, fmt.Errorf("normalise %s: %w", d.ID, bot.ErrStaleExtract)
			}
			from, d.Body = "extract", []byte(old)
		}
		read[d.ID] = from
		return normalizePR(d)
	})
	in.OnEvents(e.Cfg.Rules.OnEvents)
	for _, d := range []struct{ id, body, extract string }{
		{"fresh", "ignored", "v1:ada"},
		{"stale", "bob", "v0:nobody"},
		{"none", "carol", ""},
	} {
		var x []byte
		if d.extract != "" {
			x = []byte(d.extract)
		}
		if _, err := in.Accept(e.Ctx, bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: d.id, Type: "pull_request", Body: []byte(d.body), Extract: x}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := in.ProcessPending(e.Ctx); err != nil || got != 3 {
		t.Fatalf("ProcessPending = %d, %v; want 3, nil", got, err)
	}
	if diff := cmp.Diff(map[string]string{"fresh": "extract", "stale": "body", "none": "body"}, read); diff != "" {
		t.Errorf("normalised from (-want +got):\n%s", diff)
	}
	for who, want := range map[string]int{"github:ada": 1, "github:bob": 1, "github:carol": 1, "github:nobody": 0} {
		if as := e.Awards(who); len(as) != want {
			t.Errorf("%s has %d awards, want %d", who, len(as), want)
		}
	}
}

// TestIngestorRun processes what Accept stores once deliveries pause, and
// stops with its context.
func TestIngestorRun(t *testing.T) {
	synctest.Test(t, testIngestorRun)
}

func testIngestorRun(t *testing.T) {
	e := newEnv(t)
	in := newIngestor(e)
	ctx, cancel := context.WithCancel(e.Ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- in.Run(ctx) }()
	for _, who := range []string{"ada", "bob", "carol"} {
		accept(e, in, "d-"+who, who)
	}
	awarded := func() int {
		as, err := e.DB.Awards(e.Ctx, bot.AwardFilter{Badge: "first-pr"})
		if err != nil {
			t.Fatal(err)
		}
		return len(as)
	}
	// In the bubble, the sleep returns once every goroutine is blocked
	// and the pause has passed on the bubble's clock; Wait, once Run
	// processed what the pause released.
	time.Sleep(time.Minute)
	synctest.Wait()
	if got := awarded(); got != 3 {
		t.Errorf("%d awarded once deliveries paused, want 3", got)
	}
	cancel()
	if err := <-stopped; err != nil {
		t.Errorf("Run: %v", err)
	}
	for _, who := range []string{"github:ada", "github:bob", "github:carol"} {
		if as := e.Awards(who); len(as) != 1 {
			t.Errorf("%s has %d awards, want 1", who, len(as))
		}
	}
	if p := pendingIDs(e); len(p) != 0 {
		t.Errorf("still pending: %v", p)
	}
}

// TestIngestorFinishesDeliveriesTaken: a delivery being processed when
// the context ends (shutdown) is processed to its end: its events were
// stored, and its award is still made, not left for the next sweep.
func TestIngestorFinishesDeliveriesTaken(t *testing.T) {
	e := newEnv(t)
	in := newIngestor(e)
	ctx, cancel := context.WithCancel(e.Ctx)
	taken, resume := make(chan struct{}), make(chan struct{})
	in.OnEvents(func(ctx context.Context, events []bot.Event) error {
		close(taken)
		<-resume
		return e.Cfg.Rules.OnEvents(ctx, events)
	})
	accept(e, in, "d-ada", "ada")
	done := make(chan error, 1)
	go func() {
		_, err := in.ProcessPending(ctx)
		done <- err
	}()
	<-taken
	cancel()
	close(resume)
	<-done
	if as := e.Awards("github:ada"); len(as) != 1 {
		t.Errorf("github:ada has %d awards after a shutdown during processing, want 1", len(as))
	}
}

// stallingStore holds the storing of delivery "d-stall" until stall is
// closed: a commit that takes its time.
type stallingStore struct {
	bot.IngestStore
	stall chan struct{}
}

func (s stallingStore) SaveDelivery(ctx context.Context, d bot.WebhookDelivery) (bool, error) {
	if d.ID == "d-stall" {
		<-s.stall
	}
	return s.IngestStore.SaveDelivery(ctx, d)
}

// TestIngestorRunWaitsOutSlowCommits: a delivery still being stored means
// deliveries are arriving, however long its commit takes, so processing
// does not start in the middle of a burst; it starts once the burst
// paused.
func TestIngestorRunWaitsOutSlowCommits(t *testing.T) {
	synctest.Test(t, testIngestorRunWaitsOutSlowCommits)
}

func testIngestorRunWaitsOutSlowCommits(t *testing.T) {
	e := newEnv(t)
	stall := make(chan struct{})
	in := bot.NewIngestor(stallingStore{e.DB, stall}, slog.New(slog.DiscardHandler))
	in.Register(bot.PlatformGitHub, normalizePR)
	in.OnEvents(e.Cfg.Rules.OnEvents)
	ctx, cancel := context.WithCancel(e.Ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- in.Run(ctx) }()
	// Run's first pass (what a crash left) ends before ada's delivery
	// comes; otherwise it may take that delivery, which is right but not
	// what this test is about.
	synctest.Wait()

	accept(e, in, "d-ada", "ada")
	stalled := make(chan error, 1) // FailNow belongs to the test's goroutine
	go func() {
		_, err := in.Accept(e.Ctx, bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "d-stall", Type: "pull_request", Body: []byte("bob")})
		stalled <- err
	}()
	time.Sleep(5 * time.Second) // 25 pauses' worth, all of it in the one commit
	synctest.Wait()
	if got := len(e.Awards("github:ada")); got != 0 {
		t.Errorf("ada awarded %d times while a delivery was still being stored; want processing to wait", got)
	}
	if p := pendingIDs(e); !slices.Equal(p, []string{"d-ada"}) {
		t.Errorf("pending during the slow commit: %v, want [d-ada]", p)
	}

	close(stall)
	if err := <-stalled; err != nil {
		t.Fatalf("Accept(d-stall): %v", err)
	}
	time.Sleep(time.Minute)
	synctest.Wait()
	for _, who := range []string{"github:ada", "github:bob"} {
		if as := e.Awards(who); len(as) != 1 {
			t.Errorf("%s has %d awards once deliveries paused, want 1", who, len(as))
		}
	}
	cancel()
	if err := <-stopped; err != nil {
		t.Errorf("Run: %v", err)
	}
}
