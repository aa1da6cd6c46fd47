package storage

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
)

// t0 is the tests' "now".
var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// openTest opens a fresh database in a directory that does not exist yet,
// with the clock stopped at t0.
func openTest(t testing.TB) *DB {
	t.Helper()
	db := openPath(t, filepath.Join(t.TempDir(), "data", "badgebot.db"))
	db.now = func() time.Time { return t0 }
	return db
}

func openPath(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
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

func addBadge(t testing.TB, db *DB, slug string, repeatable bool) *bot.Badge {
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
func newAward(t testing.TB, db *DB, badge string, to bot.Recipient) *bot.Award {
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

func createAward(t testing.TB, db *DB, badge string, to bot.Recipient, at time.Time) *bot.Award {
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
func count(t testing.TB, db *DB, table, where string, args ...any) int {
	t.Helper()
	q := "SELECT count(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	if err := db.r.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// processDelivery stores a delivery and completes it with events, as a
// webhook and the processor do (SaveDelivery, then CompleteDelivery), and
// returns the events that were new.
func processDelivery(t testing.TB, db *DB, d bot.WebhookDelivery, events ...bot.Event) []bot.Event {
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
