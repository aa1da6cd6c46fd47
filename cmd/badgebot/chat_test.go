package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

const slackTestSecret = "8f742231b10e8888abcd99yyyzzz85a5"

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
	api := newFakeChat(t)
	app := startApp(t, func(c *config.Config) {
		c.Slack.Enabled = true
		c.Slack.BotToken = "xoxb-test-token"
		c.Slack.SigningSecret = slackTestSecret
		c.Slack.APIURL = config.SecretURL(api.srv.URL + "/slack/")
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
	review := api.to("C0REVIEW")
	if len(review) == 0 || !strings.Contains(fmt.Sprint(review[len(review)-1].Body["blocks"]), "action_id:approve") {
		t.Fatalf("no review message with an approve button in C0REVIEW: %v", review)
	}
	if code, out := slashCommand(t, app.URL, "U0ADMIN", "approve 1", now, slackTestSecret); code != 200 {
		t.Fatalf("approve: %d %v", code, out)
	}
	if as := awardsOf(t, app, "slack:U0BOB"); len(as) != 1 || as[0].Badge != "helping-hand" {
		t.Fatalf("awards of the nominee = %+v", as)
	}
	app.DeliverNow(t.Context())
	announced := false
	for _, p := range api.to("C0ANNOUNCE") {
		if strings.Contains(fmt.Sprint(p.Body["blocks"]), "Helping Hand") {
			announced = true
		}
	}
	if !announced {
		t.Error("the award was not announced in C0ANNOUNCE")
	}
}
