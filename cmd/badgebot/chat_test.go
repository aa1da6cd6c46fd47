package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const slackTestSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// fakeSlackAPI answers the Slack Web API calls badgebot makes, in Slack's
// JSON, and records the messages posted.
type fakeSlackAPI struct {
	*httptest.Server
	mu    sync.Mutex
	posts []url.Values
}

func newFakeSlackAPI(t *testing.T) *fakeSlackAPI {
	f := &fakeSlackAPI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/users.info"):
			u := r.Form.Get("user")
			fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"name":"u","profile":{"email":"%s@example.org","display_name":"U"}}}`, u, strings.ToLower(u))
		case strings.HasSuffix(r.URL.Path, "/chat.postMessage"), strings.HasSuffix(r.URL.Path, "/chat.update"):
			f.mu.Lock()
			f.posts = append(f.posts, r.Form)
			f.mu.Unlock()
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, r.Form.Get("channel"), len(f.posts))
		case strings.HasSuffix(r.URL.Path, "/conversations.open"):
			io.WriteString(w, `{"ok":true,"channel":{"id":"D0DM"}}`)
		default:
			io.WriteString(w, `{"ok":true}`)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// slashCommand posts a /badge command signed the way Slack signs it.
func slashCommand(t *testing.T, base, user, text string, signedAt time.Time, secret string) (int, map[string]any) {
	t.Helper()
	body := url.Values{
		"command": {"/badge"}, "text": {text}, "user_id": {user}, "user_name": {"ada"},
		"team_id": {"T0001"}, "channel_id": {"C0GENERAL"}, "response_url": {base + "/unused"}, "trigger_id": {"1.2.3"},
	}.Encode()
	ts := strconv.FormatInt(signedAt.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	req, _ := http.NewRequest("POST", base+"/slack/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestSlackEndToEnd(t *testing.T) {
	api := newFakeSlackAPI(t)
	app := startApp(t, func(c *Config) {
		c.Slack.Enabled = true
		c.Slack.BotToken = "xoxb-test-token"
		c.Slack.SigningSecret = slackTestSecret
		c.Slack.APIURL = api.URL + "/"
		c.Slack.AnnounceChannel = "C0ANNOUNCE"
		c.Slack.ReviewChannel = "C0REVIEW"
		c.Admins = []string{"slack:U0ADMIN"}
	})
	now := time.Now()
	code, out := slashCommand(t, app.URL, "U0ADA", "list", now, slackTestSecret)
	if code != 200 || !strings.Contains(fmt.Sprint(out), "first-pr") {
		t.Fatalf("/badge list: %d %v", code, out)
	}
	// Forged, stale and future requests are refused and do nothing.
	for name, tc := range map[string]struct {
		at     time.Time
		secret string
	}{
		"wrong secret": {now, "not-the-secret"},
		"stale":        {now.Add(-6 * time.Minute), slackTestSecret},
		"future":       {now.Add(6 * time.Minute), slackTestSecret},
	} {
		if code, _ := slashCommand(t, app.URL, "U0ADA", "nominate @slack:U0BOB helping-hand forged", tc.at, tc.secret); code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, code)
		}
	}
	// A nomination goes to the review channel with buttons, through the
	// outbox; approval awards and announces.
	if code, out := slashCommand(t, app.URL, "U0ADA", "nominate <@U0BOB|bob> helping-hand Untangled the release notes", now, slackTestSecret); code != 200 || !strings.Contains(fmt.Sprint(out), "Nomination #1") {
		t.Fatalf("nominate: %d %v", code, out)
	}
	app.DeliverNow(t.Context())
	api.mu.Lock()
	var review url.Values
	for _, p := range api.posts {
		if p.Get("channel") == "C0REVIEW" {
			review = p
		}
	}
	api.mu.Unlock()
	if review == nil || !strings.Contains(review.Get("blocks"), `"action_id":"approve"`) {
		t.Fatalf("no review message with an approve button in C0REVIEW: %v", review)
	}
	if code, out := slashCommand(t, app.URL, "U0ADMIN", "approve 1", now, slackTestSecret); code != 200 {
		t.Fatalf("approve: %d %v", code, out)
	}
	if as := awardsOf(t, app, "slack:U0BOB"); len(as) != 1 || as[0].Badge != "helping-hand" {
		t.Fatalf("awards of the nominee = %+v", as)
	}
	app.DeliverNow(t.Context())
	api.mu.Lock()
	announced := false
	for _, p := range api.posts {
		if p.Get("channel") == "C0ANNOUNCE" && strings.Contains(p.Get("blocks"), "Helping Hand") {
			announced = true
		}
	}
	api.mu.Unlock()
	if !announced {
		t.Error("the award was not announced in C0ANNOUNCE")
	}
}
