package bottest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// T0 is the tests' usual "now": a Thursday noon, UTC.
func T0() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }

// Recipient parses "PLATFORM:ID" or fails the test.
func Recipient(t testing.TB, s string) bot.Recipient {
	t.Helper()
	r, err := bot.ParseRecipient(s)
	if err != nil {
		t.Fatalf("ParseRecipient(%q): %v", s, err)
	}
	return r
}

// Badge returns a valid badge open to nominations, needing one approval,
// owned by owners.
func Badge(slug, name string, owners ...bot.Recipient) *bot.Badge {
	return &bot.Badge{
		Slug:        slug,
		Name:        name,
		Description: "The " + name + " badge.",
		Criteria:    "Earn " + name + ".",
		Owners:      owners,
		Approvals:   1,
		Nominations: true,
	}
}

// Message returns a small message for outbox tests.
func Message(text string) bot.Message {
	return bot.Message{Title: "Test", Text: text}
}

// DigestMessage is the weekly digest the core renders for platform, as
// bot/jobs' golden files pin it (bot/jobs/testdata/digest), for the adapters'
// rendering tests.
func DigestMessage(t testing.TB, platform string) bot.Message {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	buf, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "jobs", "testdata", "digest", platform+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m bot.Message
	if err := json.Unmarshal(buf, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
