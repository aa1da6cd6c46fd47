// Package storetest is the conformance suite of badgebot's stores: every
// behaviour the core relies on, run against the SQLite store (package
// storage) and the PostgreSQL one (storage/postgres) by their own tests,
// so that the two engines cannot drift apart. What is about one engine's
// internals (SQLite's group commit, WAL and query plans) stays in that
// engine's package.
package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
)

// DB is a store under test: every interface the core and cmd/badgebot use,
// and a few hooks each engine's test wrapper adds.
type DB interface {
	bot.Store
	bot.IngestStore
	bot.LinkStore
	bot.RouterStore
	bot.OutboxWorkerStore
	bot.SweepStore
	bot.HealthStore
	bot.BackfillStore
	bot.DigestStore
	bot.RuleStore
	bot.AuditStore
	FirstSeen(ctx context.Context, platform string, key []byte, expires time.Time) (bool, error)
	SigningKeys(ctx context.Context) (keys map[string]string, anyAward bool, err error)
	AwardPrograms(ctx context.Context) (map[string]string, error)
	NextStatusIndex(ctx context.Context) (int, error)
	DropDeliveryBodies(ctx context.Context, cutoff time.Time) (int64, error)
	SetNow(now func() time.Time)
	Close() error

	// Source returns the store's issuer.Source for baseURL.
	Source(baseURL string) issuer.Source
	// Exec and QueryRow run SQL written for both engines, with ?
	// placeholders, for checks the interfaces do not expose.
	// Exec maps its error as the store does, saying what was done.
	Exec(ctx context.Context, what, query string, args ...any) error
	QueryRow(ctx context.Context, query string, args ...any) Row
	// Reopen opens a second handle on the same database, as a second
	// process (or replica) would; it is closed when the test ends.
	Reopen(t testing.TB) DB
}

// Row is a row QueryRow read.
type Row = interface{ Scan(dest ...any) error }

// Opener opens a fresh, empty, migrated database for one test and closes
// it when the test ends.
type Opener func(t testing.TB) DB

// Run runs the whole suite against the stores open makes.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Badges", testBadges},
		{"NextStatusIndex", testNextStatusIndex},
		{"CreateAward", testCreateAward},
		{"SigningKeysRecordedWithAwards", testSigningKeysRecordedWithAwards},
		{"AwardsOnceIndex", testAwardsOnceIndex},
		{"CreateAwardConcurrent", testCreateAwardConcurrent},
		{"RuleAwardsUseEvidenceOnce", testRuleAwardsUseEvidenceOnce},
		{"AwardsFilter", testAwardsFilter},
		{"RevokeAward", testRevokeAward},
		{"StoreEventsSkipsKnownKeys", testStoreEventsSkipsKnownKeys},
		{"BackfillSourceState", testBackfillSourceState},
		{"DigestAwards", testDigestAwards},
		{"RecordDigestOncePerWeek", testRecordDigestOncePerWeek},
		{"DeliveryEvents", testDeliveryEvents},
		{"SaveDeliveryConcurrent", testSaveDeliveryConcurrent},
		{"PendingDeliveriesAfter", testPendingDeliveriesAfter},
		{"PendingDeliveriesAfterCapsBytes", testPendingDeliveriesAfterCapsBytes},
		{"CompleteDelivery", testCompleteDelivery},
		{"DeliveryExtracts", testDeliveryExtracts},
		{"IssuerSource", testIssuerSource},
		{"Programs", testPrograms},
		{"CreateNomination", testCreateNomination},
		{"NominationLimitCountsSupports", testNominationLimitCountsSupports},
		{"SupportersAndApprovals", testSupportersAndApprovals},
		{"ApprovalInvariants", testApprovalInvariants},
		{"ReviewUpdatesAndDecision", testReviewUpdatesAndDecision},
		{"DecisionDropsUnpostedReviews", testDecisionDropsUnpostedReviews},
		{"NominationsFilter", testNominationsFilter},
		{"ReplacedMessageOfRevocation", testReplacedMessageOfRevocation},
		{"SetAnnounceAndLeaderboard", testSetAnnounceAndLeaderboard},
		{"Outbox", testOutbox},
		{"EnsurePerson", testEnsurePerson},
		{"PersonLookups", testPersonLookups},
		{"EnsurePersonConcurrent", testEnsurePersonConcurrent},
		{"LinkIdentities", testLinkIdentities},
		{"ScanPersonEvents", testScanPersonEvents},
		{"HeldAwardsAndSweepState", testHeldAwardsAndSweepState},
		{"HealthStore", testHealthStore},
		{"FirstSeenOnceAcrossHandles", testFirstSeenOnceAcrossHandles},
		{"FirstSeenConcurrent", testFirstSeenConcurrent},
		{"Replicas", testReplicas},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

// t0 is the tests' "now".
var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// fromMillis reads a stored time: both stores keep unix milliseconds.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// openAt opens a fresh database with the clock stopped at t0.
func openAt(t testing.TB, open Opener) DB {
	t.Helper()
	db := open(t)
	db.SetNow(func() time.Time { return t0 })
	return db
}

func recipient(t testing.TB, s string) bot.Recipient {
	t.Helper()
	r, err := bot.ParseRecipient(s)
	if err != nil {
		t.Fatalf("ParseRecipient(%q): %v", s, err)
	}
	return r
}

func addBadge(t testing.TB, db DB, slug string, repeatable bool) *bot.Badge {
	t.Helper()
	b := &bot.Badge{
		Slug:        slug,
		Name:        "Badge " + slug,
		Description: "The " + slug + " badge.",
		Criteria:    "Do " + slug + ".",
		Approvals:   1,
		Repeatable:  repeatable,
		Nominations: true,
	}
	if err := db.UpsertBadge(context.Background(), b); err != nil {
		t.Fatalf("UpsertBadge(%s): %v", slug, err)
	}
	return b
}

// newAward returns an award ready for CreateAward, with a fresh id and
// status index.
func newAward(t testing.TB, db DB, badge string, to bot.Recipient) *bot.Award {
	t.Helper()
	idx, err := db.NextStatusIndex(context.Background())
	if err != nil {
		t.Fatalf("NextStatusIndex: %v", err)
	}
	// Each award has evidence of its own, numbered by its status index:
	// the rules never award the same evidence twice.
	return &bot.Award{
		ID:           strings.ToLower(rand.Text()[:12]),
		Badge:        badge,
		Recipient:    to,
		IssuedAt:     t0,
		Evidence:     []bot.Evidence{{URL: fmt.Sprintf("https://github.com/o/r/pull/%d", idx+1), Name: fmt.Sprintf("PR #%d", idx+1), Genre: "Pull request"}},
		Narrative:    "Merged a first pull request.",
		Source:       bot.SourceRule,
		SourceRef:    "first-merged-pr",
		AwardedBy:    "badgebot",
		StatusIndex:  idx,
		IdentityType: issuer.RecipientURL,
		Identity:     "https://github.com/" + to.ID,
		Salt:         "salt-" + to.ID,
		Credential:   []byte(`{"type":["VerifiableCredential","OpenBadgeCredential"]}`),
		JWT:          "eyJhbGciOiJSUzI1NiJ9.e30.sig",
	}
}

func createAward(t testing.TB, db DB, badge string, to bot.Recipient, at time.Time) *bot.Award {
	t.Helper()
	a := newAward(t, db, badge, to)
	a.IssuedAt = at
	if err := db.CreateAward(context.Background(), a, false, nil); err != nil {
		t.Fatalf("CreateAward(%s to %s): %v", badge, to, err)
	}
	return a
}

// wantCode fails unless err carries the bot error code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := bot.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

// count returns SELECT count(*) FROM table WHERE where.
func count(t testing.TB, db DB, table, where string, args ...any) int {
	t.Helper()
	q := "SELECT count(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// processDelivery stores a delivery and completes it with events, as a
// webhook and the processor do (SaveDelivery, then CompleteDelivery), and
// returns the events that were new.
func processDelivery(t testing.TB, db DB, d bot.WebhookDelivery, events ...bot.Event) []bot.Event {
	t.Helper()
	ctx := context.Background()
	if dup, err := db.SaveDelivery(ctx, d); err != nil || dup {
		t.Fatalf("SaveDelivery(%s) = %v, %v", d.ID, dup, err)
	}
	pending, err := db.PendingDeliveriesAfter(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pending {
		if p.Source == d.Source && p.ID == d.ID {
			stored, err := db.CompleteDelivery(ctx, p, events, "")
			if err != nil {
				t.Fatalf("CompleteDelivery(%s): %v", d.ID, err)
			}
			return stored
		}
	}
	t.Fatalf("delivery %s is not pending after SaveDelivery", d.ID)
	return nil
}

// wantOneWin checks the outcome of racing calls: exactly one succeeded,
// and every other lost with ECONFLICT.
func wantOneWin(t *testing.T, errs []error, what string) {
	t.Helper()
	if wins := countWins(t, errs, bot.ECONFLICT, what); wins != 1 {
		t.Errorf("%d of %d racing calls (%s) won, want 1", wins, len(errs), what)
	}
}

// countWins counts the racing calls that succeeded; the others must have
// lost with the error code lose ("": none may fail).
func countWins(t *testing.T, errs []error, lose, what string) int {
	t.Helper()
	wins := 0
	for i, err := range errs {
		switch code := bot.ErrorCode(err); {
		case code == "":
			wins++
		case code != lose:
			t.Errorf("%s %d: %v", what, i, err)
		}
	}
	return wins
}
