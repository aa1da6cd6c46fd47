package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// A source without its secret refuses every request with 401 and a
// reason, stores nothing and awards nothing; the server still starts.
// The attack: a merged PR signed with the old built-in change-me.
func TestWebhooksOffWithoutSecret(t *testing.T) {
	app := startApp(t, func(c *config.Config) { c.GitHub.WebhookSecret, c.Bugzilla.Secret = "", "" })
	body := githubPayload(t, "pull_request.closed.merged.json")
	for _, secret := range []string{"change-me", testSecret, ""} {
		code, reply := postGitHub(t, app.URL, "pull_request", "d-"+secret, body, secret)
		if code != http.StatusUnauthorized || !strings.Contains(reply, "github.webhook_secret") {
			t.Errorf("GitHub delivery signed with %q: %d %s, want 401 naming github.webhook_secret", secret, code, reply)
		}
	}
	req, _ := http.NewRequest("POST", app.URL+"/webhooks/bugzilla", strings.NewReader(`{"bug":{"id":1}}`))
	req.Header.Set("X-Badgebot-Token", "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(reply), "bugzilla.secret") {
		t.Errorf("Bugzilla delivery: %d %s, want 401 naming bugzilla.secret", resp.StatusCode, reply)
	}
	settle(t, app)
	if ds, err := app.DB.PendingDeliveriesAfter(context.Background(), 0, 10); err != nil || len(ds) != 0 {
		t.Errorf("pending deliveries %d (%v), want none stored", len(ds), err)
	}
	if as := awardsOf(t, app, "github:codertocat"); len(as) != 0 {
		t.Errorf("awards of codertocat = %d, want none", len(as))
	}
}

// serve says once, at start, which sources are off and why.
func TestWebhooksOffLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	cfg := config.Default()
	a := &App{Config: cfg, Log: log, Ingestor: bot.NewIngestor(nil, log)}
	if _, _, err := a.webhooks(); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"github.webhook_secret", "bugzilla.secret"} {
		if n := strings.Count(logs.String(), key+" is empty"); n != 1 {
			t.Errorf("log names %s %d times, want once:\n%s", key, n, logs.String())
		}
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	token := strings.Repeat("t", config.MinTokenBytes)
	app := startApp(t, func(c *config.Config) { c.Server.AdminToken = config.Secret(token) })
	link := app.URL + "/api/v1/links"
	for _, tc := range []struct {
		auth string
		ok   bool
	}{
		{"Bearer " + token, true},
		{"bearer " + token, true},
		{"BEARER " + token, true},
		{"bEaReR  " + token, true},
		{"Bearer " + token[1:], false},
		{"Bearer " + token + "x", false},
		{"Basic " + token, false},
		{"Bearer" + token, false},
		{token, false},
		{"", false},
	} {
		req, _ := http.NewRequest("POST", link, strings.NewReader(`{"a":"github:octocat","b":"slack:U1"}`))
		req.Header.Set("Authorization", tc.auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if refused := resp.StatusCode == http.StatusUnauthorized; refused == tc.ok {
			t.Errorf("Authorization %q: %d, want it accepted: %v", strings.ReplaceAll(tc.auth, token, "TOKEN"), resp.StatusCode, tc.ok)
		}
	}
}

// /metrics is open without server.metrics_token and needs it when set.
func TestMetricsToken(t *testing.T) {
	metrics := func(url, auth string) (int, string) {
		req, _ := http.NewRequest("GET", url+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	open := startApp(t, nil)
	if code, body := metrics(open.URL, ""); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics without a metrics_token: %d, want 200 with the metrics", code)
	}

	token := strings.Repeat("m", config.MinTokenBytes)
	closed := startApp(t, func(c *config.Config) { c.Server.MetricsToken = config.Secret(token) })
	for _, auth := range []string{"", "Bearer wrong", "Bearer " + token[1:], "Basic " + token} {
		if code, body := metrics(closed.URL, auth); code != http.StatusUnauthorized || strings.Contains(body, "go_goroutines") {
			t.Errorf("/metrics with Authorization %q: %d, want 401 and no metrics", strings.ReplaceAll(auth, token, "TOKEN"), code)
		}
	}
	if code, body := metrics(closed.URL, "bearer "+token); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics with the token: %d, want 200 with the metrics", code)
	}
}

// The expiry job deletes the bodies of processed deliveries older than
// privacy.delivery_retention (Bugzilla's carry e-mail addresses) and
// keeps newer ones.
func TestExpiryJobDropsOldDeliveryBodies(t *testing.T) {
	logs := &lockedBuffer{}
	app := startAppLogging(t, func(c *config.Config) { c.Privacy.DeliveryRetention = "30d" }, logs)
	ctx := context.Background()
	body := githubPayload(t, "pull_request.closed.merged.json")
	// In the order they arrived: retention walks deliveries by id and stops
	// at the first one still within the retention.
	for _, c := range []struct {
		id  string
		age time.Duration
	}{{"old", 31 * 24 * time.Hour}, {"new", time.Hour}} {
		d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: c.id, Type: "pull_request", Body: body, ReceivedAt: time.Now().Add(-c.age)}
		if _, err := app.DB.SaveDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, app)
	if err := app.expiryJob(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "delivery bodies deleted") || !strings.Contains(logs.String(), "count=1 ") {
		t.Errorf("expiry job log does not report one body deleted:\n%s", logs.String())
	}
	if n, err := app.DB.DropDeliveryBodies(ctx, time.Now().Add(-30*24*time.Hour)); err != nil || n != 0 {
		t.Errorf("after the expiry job, %d more old bodies to drop (%v), want 0", n, err)
	}
	if n, err := app.DB.DropDeliveryBodies(ctx, time.Now()); err != nil || n != 1 {
		t.Errorf("the recent delivery's body: dropped %d (%v) with a cutoff of now, want it kept until then (1)", n, err)
	}
}

// mountSmallDisk mounts a 16 MiB tmpfs for a test, or skips when this
// process may not mount (it needs root and CAP_SYS_ADMIN).
func mountSmallDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small disk to fill (%v: %s)", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// /readyz fails with a reason on a full disk, where the database answers
// reads but cannot take writes, and recovers once there is room.
func TestReadyzFailsOnFullDisk(t *testing.T) {
	disk := mountSmallDisk(t)
	// SQLite's file on the small disk, whatever BADGEBOT_TEST_PG says: a
	// PostgreSQL server's disk is not this process's to fill.
	app := startApp(t, func(c *config.Config) {
		c.Storage = config.StorageConfig{Driver: driverSQLite, Path: filepath.Join(disk, "badgebot.db")}
	})
	app.readiness.mu.Lock()
	app.readiness.ttl = 0 // a fresh verdict on every request
	app.readiness.mu.Unlock()
	readyz := func() (int, string) {
		resp, body := get(t, app.URL+"/readyz", "")
		return resp.StatusCode, string(body)
	}
	if code, body := readyz(); code != http.StatusOK {
		t.Fatalf("/readyz before the disk filled: %d %s", code, body)
	}

	filler := filepath.Join(disk, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break // ENOSPC: full
		}
	}
	f.Close()
	if code, body := readyz(); code != http.StatusServiceUnavailable || !strings.Contains(body, "cannot take writes") {
		t.Errorf("/readyz on a full disk: %d %q, want 503 with a reason", code, body)
	}
	if resp, _ := get(t, app.URL+"/healthz", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz on a full disk: %d, want 200 (alive, not ready)", resp.StatusCode)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if code, body := readyz(); code != http.StatusOK {
		t.Errorf("/readyz once there is room again: %d %s", code, body)
	}
}
