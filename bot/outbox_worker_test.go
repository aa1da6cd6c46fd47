package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/storage"
)

func TestBackoff(t *testing.T) {
	want := map[int]time.Duration{
		-1: time.Second, 0: time.Second, 1: 2 * time.Second, 2: 4 * time.Second, 5: 32 * time.Second,
		11: 2048 * time.Second, 12: time.Hour, 40: time.Hour, 1000: time.Hour,
	}
	for failures, d := range want {
		if got := bot.Backoff(failures); got != d {
			t.Errorf("Backoff(%d) = %v, want %v", failures, got, d)
		}
	}
}

// enqueue queues one announcement to the recording Slack platform.
func (e *env) enqueue(channel, text string) bot.Announcement {
	e.T.Helper()
	a := []bot.Announcement{{Platform: bot.PlatformSlack, Channel: channel, Kind: bot.KindDigest, Message: bottest.Message(text)}}
	if err := e.DB.Enqueue(e.Ctx, a); err != nil {
		e.T.Fatalf("Enqueue: %v", err)
	}
	return a[0]
}

func TestDeliverHonoursRetryAfter(t *testing.T) {
	e := newEnv(t)
	e.enqueue("C1", "one")
	e.enqueue("C1", "two")
	e.Slack.RateLimitNext(1, 30*time.Second)
	if n := e.Deliver(); n != 0 {
		t.Fatalf("delivered %d while rate limited", n)
	}
	// The second one waited with the first instead of hitting the limit.
	if calls := e.Slack.Calls(); calls != 1 {
		t.Errorf("%d calls to a rate-limited platform, want 1", calls)
	}
	e.Clock.Advance(29 * time.Second)
	if n := e.Deliver(); n != 0 {
		t.Errorf("delivered %d before Retry-After passed", n)
	}
	e.Clock.Advance(time.Second)
	if n := e.Deliver(); n != 2 {
		t.Errorf("delivered %d after Retry-After, want 2", n)
	}
	if got := len(e.Slack.Posts()); got != 2 {
		t.Errorf("%d posts, want 2", got)
	}
}

func TestDeliverBacksOffExponentially(t *testing.T) {
	e := newEnv(t)
	e.enqueue("C1", "hello")
	e.Slack.FailNext(4, errors.New("slack: post message: connection refused"))
	var retries []time.Duration
	start := e.Clock.Now()
	for len(e.Slack.Posts()) == 0 && e.Clock.Now().Sub(start) < time.Hour {
		before := e.Slack.Calls()
		e.Deliver()
		if e.Slack.Calls() > before {
			retries = append(retries, e.Clock.Now().Sub(start))
		}
		e.Clock.Advance(100 * time.Millisecond)
	}
	// Attempts at 0, then 1s, 2s, 4s and 8s after each failure.
	want := []time.Duration{0, time.Second, 3 * time.Second, 7 * time.Second, 15 * time.Second}
	if len(retries) != len(want) {
		t.Fatalf("attempts at %v, want %v", retries, want)
	}
	for i := range want {
		if d := retries[i] - want[i]; d < 0 || d > 200*time.Millisecond {
			t.Errorf("attempt %d at %v, want %v", i, retries[i], want[i])
		}
	}
	if got := len(e.Slack.Posts()); got != 1 {
		t.Errorf("%d posts after the outage, want exactly 1", got)
	}
}

func TestDeliverOutageThenRestartLosesAndRepeatsNothing(t *testing.T) {
	ctx := context.Background()
	clock := bottest.NewClock(bottest.T0())
	path := filepath.Join(t.TempDir(), "badgebot.db")
	open := func() *storage.DB {
		db, err := storage.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		db.SetNow(clock.Now)
		return db
	}
	db := open()
	out := []bot.Announcement{
		{Platform: bot.PlatformSlack, Channel: "C1", Kind: bot.KindDigest, Message: bottest.Message("one")},
		{Platform: bot.PlatformSlack, Channel: "C1", Kind: bot.KindDigest, Message: bottest.Message("two")},
	}
	if err := db.Enqueue(ctx, out); err != nil {
		t.Fatal(err)
	}
	slack := bottest.NewPlatform(bot.PlatformSlack)
	slack.FailNext(2, errors.New("slack is down"))
	log := slog.New(slog.DiscardHandler)
	d := bot.NewOutboxWorker(bot.OutboxWorkerConfig{Store: db, Platforms: []bot.Platform{slack}, Now: clock.Now, Log: log})
	if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("during the outage: %d, %v", n, err)
	}
	// The process dies; a new one starts on the same database.
	db.Close()
	clock.Advance(time.Second)
	db = open()
	defer db.Close()
	d = bot.NewOutboxWorker(bot.OutboxWorkerConfig{Store: db, Platforms: []bot.Platform{slack}, Now: clock.Now, Log: log})
	if n, err := d.DeliverDue(ctx); err != nil || n != 2 {
		t.Fatalf("after recovery: %d, %v; want 2", n, err)
	}
	clock.Advance(time.Hour)
	db.Close()
	db = open()
	d = bot.NewOutboxWorker(bot.OutboxWorkerConfig{Store: db, Platforms: []bot.Platform{slack}, Now: clock.Now, Log: log})
	if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("after a restart: %d, %v; want nothing", n, err)
	}
	var texts []string
	for _, p := range slack.Posts() {
		texts = append(texts, p.Message.Text)
	}
	if strings.Join(texts, ",") != "one,two" {
		t.Errorf("posted %q, want one and two, once each", texts)
	}
}

func TestDeliverGivesUpOnUnknownPlatform(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.MaxAttempts = 3 })
	if err := e.DB.Enqueue(e.Ctx, []bot.Announcement{{Platform: bot.PlatformDiscord, Channel: "123456789012345678", Kind: bot.KindDigest, Message: bottest.Message("hi")}}); err != nil {
		t.Fatal(err)
	}
	e.enqueue("C1", "fine")
	if n := e.Deliver(); n != 1 {
		t.Errorf("delivered %d, want the Slack one", n)
	}
	for range 10 {
		e.Clock.Advance(time.Hour)
		if n := e.Deliver(); n != 0 {
			t.Errorf("delivered %d to a platform that is not enabled", n)
		}
	}
	// Given up on after 3 attempts: it is never due again.
	due, err := e.DB.DueAnnouncements(e.Ctx, e.Clock.Now().AddDate(100, 0, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 0 {
		t.Errorf("still due: %+v", due)
	}
}

func TestRevokeUpdatesTheAnnouncement(t *testing.T) {
	e := newEnv(t)
	wantText(t, e.Cmd(owner, "award @slack:U0ADA first-pr merged the parser"), "Awarded")
	e.Deliver()
	posts := postsTo(e.Slack, "C0ANNOUNCE")
	if len(posts) != 1 {
		t.Fatalf("%d announcements, want 1", len(posts))
	}
	a := e.Awards(ada)[0]
	wantText(t, e.Cmd(admin, "revoke "+a.ID+" given by mistake"), "Revoked award")
	e.Deliver()
	u := e.Slack.Updates()
	if len(u) != 1 || u[0].ID != posts[0].ID || !strings.HasPrefix(u[0].Message.Title, "Badge revoked") {
		t.Errorf("updates %+v, want the announcement %s replaced by the revocation", u, posts[0].ID)
	}
	if got := len(e.Slack.Posts()); got != 1 {
		t.Errorf("%d posts, want no new one", got)
	}
}

func TestRunDeliversWhenKicked(t *testing.T) {
	// In a bubble, Wait returns once Run is blocked: what it delivers
	// after that, with the interval an hour away, only a kick can start.
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		d := bot.NewOutboxWorker(bot.OutboxWorkerConfig{Store: e.DB, Platforms: []bot.Platform{e.Slack}, Now: e.Clock.Now, Interval: time.Hour})
		ctx, cancel := context.WithCancel(e.Ctx)
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		synctest.Wait() // Run's first pass found nothing and waits
		e.enqueue("C1", "kicked")
		synctest.Wait()
		if got := len(e.Slack.Posts()); got != 0 {
			t.Fatalf("%d posts before the kick", got)
		}
		d.Kick()
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if got := len(e.Slack.Posts()); got != 1 {
			t.Errorf("%d posts after the kick, want 1", got)
		}
	})
}
