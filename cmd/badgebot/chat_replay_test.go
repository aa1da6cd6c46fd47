package main

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// signedSlash is a /badge command signed as Slack signs it, to send (and
// send again) as is.
func signedSlash(t *testing.T, user, text, team string, at time.Time) (body string, header http.Header) {
	t.Helper()
	body = url.Values{
		"command": {"/badge"}, "text": {text}, "user_id": {user}, "user_name": {"admin"},
		"team_id": {team}, "channel_id": {"C0GENERAL"}, "trigger_id": {"9.8.7"},
	}.Encode()
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(slackTestSecret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	header = http.Header{}
	header.Set("Content-Type", "application/x-www-form-urlencoded")
	header.Set("X-Slack-Request-Timestamp", ts)
	header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return body, header
}

func postRaw(t *testing.T, u, body string, header http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(body))
	req.Header = header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A captured `award` of a repeatable badge, replayed within the window to
// the same server or to another replica on the same database, is refused
// and awards once. Slack's team_ids and Discord's guild_ids refuse other
// workspaces and servers.
func TestChatReplayAndAllowListsEndToEnd(t *testing.T) {
	api := newFakeChat(t)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	shared := testStorage(t, dir) // one database for both replicas, SQLite or PostgreSQL
	adjust := func(c *config.Config) {
		c.Storage = shared
		c.Issuer.KeyDir = filepath.Join(dir, "keys")
		c.Slack.Enabled = true
		c.Slack.BotToken = "xoxb-test-token"
		c.Slack.SigningSecret = slackTestSecret
		c.Slack.APIURL = config.SecretURL(api.srv.URL + "/slack/")
		c.Slack.TeamIDs = []string{"T0001"}
		c.Discord.Enabled = true
		c.Discord.BotToken = "test-discord-token"
		c.Discord.ApplicationID = "80351110224678000"
		c.Discord.PublicKey = hex.EncodeToString(pub)
		c.Discord.APIURL = config.SecretURL(api.srv.URL + "/discord/")
		c.Discord.GuildIDs = []string{"1500000000000000001"}
		c.Admins = []string{"slack:U0ADMIN", "discord:80351110224678912"}
		for i := range c.Badges {
			if c.Badges[i].Slug == "helping-hand" {
				c.Badges[i].Repeatable = true
			}
		}
	}
	one := startApp(t, adjust)
	two := startApp(t, adjust) // a second replica on the same database

	body, header := signedSlash(t, "U0ADMIN", "award <@U0BOB|bob> helping-hand https://github.com/o/r/pull/1", "T0001", time.Now())
	if code, out := postRaw(t, one.URL+"/slack/commands", body, header); code != http.StatusOK {
		t.Fatalf("award: %d %s", code, out)
	}
	for name, app := range map[string]*testApp{"same replica": one, "other replica": two} {
		if code, out := postRaw(t, app.URL+"/slack/commands", body, header); code != http.StatusUnauthorized {
			t.Errorf("replay to the %s: %d %s, want 401", name, code, out)
		}
	}
	if as := awardsOf(t, one, "slack:U0BOB"); len(as) != 1 {
		t.Errorf("bob holds %d awards of the repeatable badge after one award and two replays, want 1", len(as))
	}

	// Another workspace is told so and changes nothing.
	body, header = signedSlash(t, "U0ADMIN", "award <@U0BOB|bob> helping-hand https://github.com/o/r/pull/2", "T0OTHER", time.Now())
	if code, out := postRaw(t, two.URL+"/slack/commands", body, header); code != http.StatusOK || !strings.Contains(out, "not set up for this workspace") {
		t.Errorf("command from another workspace: %d %s", code, out)
	}
	if as := awardsOf(t, one, "slack:U0BOB"); len(as) != 1 {
		t.Errorf("bob holds %d awards after a command from another workspace, want 1", len(as))
	}

	// Discord: one interaction, replayed; and one from another server.
	discord := func(app *testApp, guild string, at time.Time) (int, string) {
		in := fmt.Sprintf(`{"id":"1500000000000000009","type":2,"token":"tok","channel_id":"1500000000000000002","guild_id":%q,`+
			`"member":{"user":{"id":"80351110224678912","username":"admin"}},`+
			`"data":{"name":"badge","options":[{"name":"mine","type":1}]}}`, guild)
		ts := strconv.FormatInt(at.Unix(), 10)
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("X-Signature-Timestamp", ts)
		h.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(priv, []byte(ts+in))))
		return postRaw(t, app.URL+"/discord/interactions", in, h)
	}
	at := time.Now()
	if code, out := discord(one, "1500000000000000001", at); code != http.StatusOK || strings.Contains(out, "not set up") {
		t.Fatalf("interaction: %d %s", code, out)
	}
	if code, out := discord(two, "1500000000000000001", at); code != http.StatusUnauthorized {
		t.Errorf("replayed interaction to the other replica: %d %s, want 401", code, out)
	}
	if code, out := discord(one, "1500000000000000666", at.Add(-time.Second)); code != http.StatusOK || !strings.Contains(out, "not set up for this server") {
		t.Errorf("interaction from another server: %d %s", code, out)
	}
}
