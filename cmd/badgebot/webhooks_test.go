package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

const testSecret = "test-webhook-secret" // startApp's github.webhook_secret

// githubPayload reads one of the real example payloads of the receiver.
func githubPayload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../integrations/github/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postGitHub delivers a payload the way GitHub does.
func postGitHub(t *testing.T, url, event, delivery string, body []byte, secret string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	if secret != "" {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}

// settle processes whatever the ingestor has stored.
func settle(t *testing.T, app *testApp) {
	t.Helper()
	if _, err := app.Ingestor.ProcessPending(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func awardsOf(t *testing.T, app *testApp, to string) []*bot.Award {
	t.Helper()
	r, err := bot.ParseRecipient(to)
	if err != nil {
		t.Fatal(err)
	}
	as, err := app.DB.Awards(context.Background(), bot.AwardFilter{Recipient: r})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func TestGitHubMergedPullRequestAwards(t *testing.T) {
	app := startApp(t, nil)
	body := githubPayload(t, "pull_request.closed.merged.json")
	if code, resp := postGitHub(t, app.URL, "pull_request", "d-1", body, testSecret); code != http.StatusAccepted {
		t.Fatalf("delivery: %d %s", code, resp)
	}
	settle(t, app)
	as := awardsOf(t, app, "github:codertocat")
	if len(as) != 1 || as[0].Badge != "first-pr" {
		t.Fatalf("awards of codertocat = %+v, want one first-pr", as)
	}
	a := as[0]
	if a.Source != bot.SourceRule || len(a.Evidence) != 1 || a.Evidence[0].URL != "https://github.com/Codertocat/Hello-World/pull/2" {
		t.Errorf("award source %q evidence %+v, want the rule and the PR URL", a.Source, a.Evidence)
	}
	// The credential carries the PR as evidence.
	resp, cred := get(t, app.URL+"/awards/"+a.ID+"/credential.json", "")
	if resp.StatusCode != 200 || !bytes.Contains(cred, []byte("https://github.com/Codertocat/Hello-World/pull/2")) {
		t.Errorf("credential %d does not carry the PR as evidence", resp.StatusCode)
	}
	// A redelivery of the same delivery id is acknowledged and changes nothing.
	if code, resp := postGitHub(t, app.URL, "pull_request", "d-1", body, testSecret); code != http.StatusOK || !strings.Contains(resp, "duplicate") {
		t.Errorf("redelivery: %d %s, want 200 duplicate", code, resp)
	}
	// The same PR under a new delivery id (GitHub resends, or a backfill)
	// is stored as a delivery but yields no second event or award.
	if code, _ := postGitHub(t, app.URL, "pull_request", "d-2", body, testSecret); code != http.StatusAccepted {
		t.Errorf("second delivery id: %d", code)
	}
	settle(t, app)
	if n := len(awardsOf(t, app, "github:codertocat")); n != 1 {
		t.Errorf("awards after the same PR again = %d, want 1", n)
	}
}

func TestGitHubConcurrentDuplicatesProcessedOnce(t *testing.T) {
	app := startApp(t, nil)
	body := githubPayload(t, "pull_request.closed.merged.json")
	const copies = 30
	codes := make([]int, copies)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range copies {
		wg.Go(func() {
			<-start
			codes[i], _ = postGitHub(t, app.URL, "pull_request", "same-delivery", body, testSecret)
		})
	}
	close(start)
	wg.Wait()
	accepted := 0
	for _, c := range codes {
		switch c {
		case http.StatusAccepted:
			accepted++
		case http.StatusOK:
		default:
			t.Errorf("copy answered %d", c)
		}
	}
	if accepted != 1 {
		t.Errorf("%d copies stored, want exactly 1", accepted)
	}
	settle(t, app)
	if n := len(awardsOf(t, app, "github:codertocat")); n != 1 {
		t.Errorf("awards = %d, want 1", n)
	}
}

func TestGitHubBadInputChangesNothing(t *testing.T) {
	app := startApp(t, nil)
	body := githubPayload(t, "pull_request.closed.merged.json")
	tests := []struct {
		name   string
		body   []byte
		secret string
		want   int
	}{
		{"no signature", body, "", http.StatusUnauthorized},
		{"wrong secret", body, "not-the-secret", http.StatusUnauthorized},
		{"altered body", bytes.Replace(body, []byte("Codertocat"), []byte("Mallory"), 1), "", http.StatusUnauthorized},
		{"malformed JSON, valid signature", []byte(`{"action": "closed", "pull_request": `), testSecret, http.StatusBadRequest},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := tt.secret
			sig := body // altered body: signed as the original
			if tt.name != "altered body" {
				sig = tt.body
			}
			req, _ := http.NewRequest("POST", app.URL+"/webhooks/github", bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "pull_request")
			req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("bad-%d", i))
			if secret != "" || tt.name == "altered body" {
				if secret == "" {
					secret = testSecret
				}
				mac := hmac.New(sha256.New, []byte(secret))
				mac.Write(sig)
				req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	pending, err := app.DB.PendingDeliveriesAfter(context.Background(), 0, 10)
	if err != nil || len(pending) != 0 {
		t.Errorf("stored %d deliveries (%v), want none", len(pending), err)
	}
	if resp, _ := get(t, app.URL+"/healthz", ""); resp.StatusCode != 200 {
		t.Errorf("server unhealthy after bad input: %d", resp.StatusCode)
	}
}

func TestGitHubCommentProvesIdentity(t *testing.T) {
	app := startApp(t, nil)
	ctx := context.Background()
	// Codertocat's merged PR arrives before the link: the award waits on
	// the unlinked identity.
	postGitHub(t, app.URL, "pull_request", "pr", githubPayload(t, "pull_request.closed.merged.json"), testSecret)
	settle(t, app)

	chat := bot.Recipient{Platform: bot.PlatformSlack, ID: "U024BE7LH"}
	code, err := app.Linker.Start(ctx, chat, bot.Recipient{Platform: bot.PlatformGitHub, ID: "codertocat"})
	if err != nil {
		t.Fatal(err)
	}
	var comment map[string]any
	if err := json.Unmarshal(githubPayload(t, "issue_comment.created.json"), &comment); err != nil {
		t.Fatal(err)
	}
	comment["comment"].(map[string]any)["body"] = "Linking my badges: " + code.Code
	body, _ := json.Marshal(comment)
	if status, resp := postGitHub(t, app.URL, "issue_comment", "comment-1", body, testSecret); status != http.StatusAccepted {
		t.Fatalf("comment delivery: %d %s", status, resp)
	}
	settle(t, app)
	as := awardsOf(t, app, chat.String())
	if len(as) != 1 || as[0].Badge != "first-pr" {
		t.Fatalf("awards of the linked chat user = %+v, want the first-pr award", as)
	}
	// The code works once.
	if _, err := app.DB.TakeLinkCode(ctx, code.Code, code.Target, time.Now()); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("code still usable: %v", err)
	}
}

func TestBugzillaFixedBugCreditsAssignee(t *testing.T) {
	app := startApp(t, func(c *config.Config) {
		c.Bugzilla.URL = "https://bugzilla.example.org"
		c.Bugzilla.Secret = "bz-secret"
	})
	body, err := os.ReadFile("../../integrations/bugzilla/testdata/bug.modify.fixed.json")
	if err != nil {
		t.Fatal(err)
	}
	post := func(secret string) int {
		req, _ := http.NewRequest("POST", app.URL+"/webhooks/bugzilla", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set(app.Config.Bugzilla.SecretHeader, secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d, want 401", code)
	}
	if code := post(""); code != http.StatusUnauthorized {
		t.Errorf("no secret: %d, want 401", code)
	}
	if code := post("bz-secret"); code != http.StatusOK {
		t.Fatalf("delivery: %d", code)
	}
	if code := post("bz-secret"); code != http.StatusOK {
		t.Fatalf("redelivery: %d", code)
	}
	settle(t, app)
	as := awardsOf(t, app, "bugzilla:ada@example.org")
	if len(as) != 1 || as[0].Badge != "bug-squasher" {
		t.Fatalf("awards of the assignee = %+v, want one bug-squasher", as)
	}
	if !strings.HasPrefix(as[0].Evidence[0].URL, "https://bugzilla.example.org/show_bug.cgi?id=") {
		t.Errorf("evidence %+v, want the bug URL", as[0].Evidence)
	}
}
