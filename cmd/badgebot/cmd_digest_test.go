package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
	"github.com/badgebot/badgebot/storage"
	"github.com/google/go-cmp/cmp"
)

const testDiscordKey = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"

// enableChat turns Slack and Discord on in a CLI test config, against f.
func enableChat(t *testing.T, e *cliEnv, f *fakeChat) {
	t.Helper()
	buf, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(buf)
	for _, r := range []struct{ old, new string }{
		{"[slack]\nenabled = false\nbot_token = \"\"", "[slack]\nenabled = true\nbot_token = \"xoxb-test\""},
		{"signing_secret = \"\"", "signing_secret = \"test-secret\""},
		{"api_url = \"\"                          # empty: Slack", "api_url = \"" + f.srv.URL + "/slack/\" # empty: Slack"},
		{"announce_channel = \"\"", "announce_channel = \"C0ANNOUNCE\""},
		{"[discord]\nenabled = false\nbot_token = \"\"\napplication_id = \"\"\npublic_key = \"\"",
			"[discord]\nenabled = true\nbot_token = \"discord-test\"\napplication_id = \"123456789012345678\"\npublic_key = \"" + testDiscordKey + "\""},
		{"api_url = \"\"                          # empty: Discord", "api_url = \"" + f.srv.URL + "/discord/\" # empty: Discord"},
		{"announce_channel = \"\"", "announce_channel = \"1100000000000000001\""},
	} {
		if !strings.Contains(cfg, r.old) {
			t.Fatalf("example config has moved on: %q not found", r.old)
		}
		cfg = strings.Replace(cfg, r.old, r.new, 1)
	}
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// storeEvents stores events in the CLI's database, as a backfill would:
// no rule has run on them.
func storeEvents(t *testing.T, e *cliEnv, events ...bot.Event) {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(e.dir, "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.StoreEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
}

func mergedPR(login string, n int) bot.Event {
	at := time.Now().UTC().Add(-time.Hour)
	return bot.Event{
		Source: bot.PlatformGitHub, Kind: bot.EventPRMerged, Key: fmt.Sprintf("github.com/octo/hello/pull/%d", n),
		Actor: bot.Recipient{Platform: bot.PlatformGitHub, ID: login}, Repository: "octo/hello",
		URL: fmt.Sprintf("https://github.com/octo/hello/pull/%d", n), Title: fmt.Sprintf("PR %d", n),
		OccurredAt: at, ReceivedAt: at,
	}
}

func TestCLIRulesRunAndDigest(t *testing.T) {
	chat := newFakeChat(t)
	e := newCLI(t)
	enableChat(t, e, chat)
	storeEvents(t, e, mergedPR("octocat", 1), mergedPR("octocat", 2))

	code, out, errs := e.run("rules", "run", "--dry-run")
	if code != 0 {
		t.Fatalf("rules run --dry-run: %d %s", code, errs)
	}
	want := "would award first-pr to github:octocat (rule first-merged-pr: PR 1 https://github.com/octo/hello/pull/1)\n" +
		"dry run: 1 badge would be awarded (1 people, 2 events read); nothing was changed\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("rules run --dry-run (-want +got):\n%s", diff)
	}
	if _, out, _ := e.run("awards", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("a dry run awarded: %s", out)
	}

	code, out, errs = e.run("rules", "run", "--json")
	var got []sweepResultJSON
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("rules run --json: %d %q %s", code, out, errs)
	}
	if len(got) != 1 || got[0].Badge != "first-pr" || got[0].Recipient != "github:octocat" || got[0].AwardID == "" ||
		len(got[0].Evidence) != 1 || got[0].Rules[0] != "first-merged-pr" {
		t.Errorf("rules run --json: %+v", got)
	}
	// The award was announced on both platforms before the command exited.
	if n := len(chat.titled("New badge: First Pull Request")); n != 2 {
		t.Errorf("%d award announcements, want 2 (Slack and Discord)", n)
	}
	if code, out, _ := e.run("rules", "run"); code != 0 || !strings.Contains(out, ": 0 badges awarded") {
		t.Errorf("second rules run: %d %q", code, out)
	}
	if code, _, errs := e.run("rules", "run", "--rule", "nope"); code != 1 || !strings.Contains(errs, `no rule "nope"`) {
		t.Errorf("rules run --rule nope: %d %q", code, errs)
	}

	code, out, errs = e.run("digest", "--dry-run")
	if code != 0 || !strings.Contains(out, "Weekly badge digest") || !strings.Contains(out, "First Pull Request: @octocat") ||
		!strings.Contains(out, "nothing was posted") {
		t.Fatalf("digest --dry-run: %d %q %s", code, out, errs)
	}
	if n := len(chat.titled("Weekly badge digest")); n != 0 {
		t.Fatalf("a dry run posted %d digests", n)
	}
	code, out, errs = e.run("digest")
	if code != 0 || !strings.Contains(out, "Posted the digest for") || !strings.Contains(out, "to 2 channels") {
		t.Fatalf("digest: %d %q %s", code, out, errs)
	}
	if n := len(chat.titled("Weekly badge digest")); n != 2 {
		t.Errorf("%d digests posted, want one on Slack and one on Discord", n)
	}
	if code, out, _ := e.run("digest"); code != 0 || !strings.Contains(out, "posted already") {
		t.Errorf("second digest: %d %q", code, out)
	}
	if code, out, _ := e.run("digest", "--force"); code != 0 || !strings.Contains(out, "+force1 to 2 channels") {
		t.Errorf("digest --force: %d %q", code, out)
	}
	if n := len(chat.titled("Weekly badge digest")); n != 4 {
		t.Errorf("%d digests posted after --force, want 4", n)
	}
	if code, out, _ := e.run("digest", "--dry-run", "--force"); code != 0 || strings.Contains(out, "only with --force") ||
		!strings.Contains(out, "with --force a real run would post it again to 2 channels") {
		t.Errorf("digest --dry-run --force: %d %q", code, out)
	}

	if code, out, _ := e.run("schedule", "list"); code != 0 || !strings.Contains(out, "digest    0 16 * * FRI") {
		t.Errorf("schedule list: %d %q", code, out)
	}
	if code, out, errs := e.run("schedule", "run", "sweep"); code != 0 || !strings.HasPrefix(out, "ran sweep") {
		t.Errorf("schedule run sweep: %d %q %s", code, out, errs)
	}
	code, out, _ = e.run("schedule", "list")
	if sweep := lineWith(out, "sweep "); code != 0 || !strings.Contains(sweep, " last ") || !strings.HasSuffix(sweep, ", ok)") {
		t.Errorf("schedule list after a sweep: the sweep line %q does not show its last run and outcome (%d)", sweep, code)
	}
	if expiry := lineWith(out, "expiry "); !strings.HasSuffix(expiry, "never run") {
		t.Errorf("schedule list: the expiry line %q, want never run", expiry)
	}
	if code, _, errs := e.run("schedule", "run", "nope"); code != 2 || !strings.Contains(errs, `no job "nope"`) {
		t.Errorf("schedule run nope: %d %q", code, errs)
	}
}

// TestServeCatchesUpMissedDigest: cron does not run what it missed, so a
// server that was down at digest time posts that period's digest when it
// starts: the period that ended then, not the awards made since.
func TestServeCatchesUpMissedDigest(t *testing.T) {
	chat := newFakeChat(t)
	e := newCLI(t)
	enableChat(t, e, chat)
	// The digest is "0 16 * * FRI" UTC: an award an hour before the last
	// one (missed), and one made now (the next digest's).
	last := time.Now().UTC().Truncate(time.Hour)
	for last.Weekday() != time.Friday || last.Hour() != 16 {
		last = last.Add(-time.Hour)
	}
	app := NewApp(mustLoad(t, e.config), quietLog())
	if err := app.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, req := range []bot.AwardRequest{
		{Badge: "first-pr", To: bot.Recipient{Platform: bot.PlatformGitHub, ID: "octocat"}, Source: bot.SourceManual, Narrative: "First PR.", At: last.Add(-time.Hour)},
		{Badge: "first-pr", To: bot.Recipient{Platform: bot.PlatformGitHub, ID: "hubot"}, Source: bot.SourceManual, Narrative: "First PR."},
	} {
		if _, err := app.Service.Award(t.Context(), req); err != nil {
			t.Fatal(err)
		}
	}
	app.DeliverNow(t.Context())
	app.Close()
	if n := len(chat.titled("Weekly badge digest")); n != 0 {
		t.Fatalf("%d digests before serve started", n)
	}

	startApp(t, func(c *config.Config) {
		cfg := mustLoad(t, e.config)
		cfg.Server.Listen = c.Server.Listen
		*c = cfg
	})
	deadline := time.Now().Add(20 * time.Second)
	for len(chat.titled("Weekly badge digest")) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	posts := chat.titled("Weekly badge digest")
	if len(posts) != 2 {
		t.Fatalf("serve posted %d digests (%v), want the missed one on Slack and Discord", len(posts), posts)
	}
	for _, p := range posts {
		if body := fmt.Sprint(p.Body); !strings.Contains(body, "1 badge was awarded") || !strings.Contains(body, "octocat") || strings.Contains(body, "hubot") {
			t.Errorf("%s digest: want octocat's award only, of the period that ended %s:\n%s", p.Platform, last, body)
		}
	}
	if code, out, _ := e.run("digest"); code != 0 || !strings.Contains(out, "posted already") {
		t.Errorf("digest after the catch-up: %d %q", code, out)
	}
}

// lineWith returns the first line of out that starts with prefix.
func lineWith(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// A job's failure is recorded with its message for schedule list to show,
// and the job's own error still reaches the scheduler.
func TestRecordRunKeepsOutcome(t *testing.T) {
	app := startApp(t, nil)
	boom := errors.New("bugzilla answered 502")
	job := app.recordRun("backfill", func(context.Context) error { return boom })
	if err := job(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("job returned %v, want its own error", err)
	}
	runs, err := app.DB.JobRuns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, ok := runs["backfill"]
	if !ok || !strings.Contains(r.Err, "bugzilla answered 502") || r.Start.IsZero() {
		t.Errorf("recorded run %+v (found %v), want the failure and its start", r, ok)
	}
	if err := app.recordRun("backfill", func(context.Context) error { return nil })(context.Background()); err != nil {
		t.Fatal(err)
	}
	if runs, _ := app.DB.JobRuns(context.Background()); runs["backfill"].Err != "" {
		t.Errorf("after a good run the record still says %q", runs["backfill"].Err)
	}
}
