package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/internal/golden"
)

// reset forgets the remembered DM channels.
func (c *dmCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

const (
	testToken = "MTIzNDU2Nzg5MDEyMzQ1Njc4.test-bot-token-do-not-log"
	testAppID = "1012345678901234567"
	// Users and channels of the fake Discord.
	alice      = "80351110224678912" // the caller
	bob        = "80351110224678913" // a nominee
	carol      = "80351110224678914" // a user with no DM yet
	announce   = "1100000000000000001"
	review     = "1100000000000000002"
	limited    = "1429429429429429429" // answers 429
	nobody     = "1999999999999999999" // neither channel nor user
	buttonMsg  = "1200000000000000001"
	testNowSec = 1_780_000_000
)

// fakeRouter records what it was asked and answers with fixed replies.
type fakeRouter struct {
	mu       sync.Mutex
	commands []bot.Command
	clicks   []bot.Click
	reply    bot.Reply
}

func (r *fakeRouter) Handle(_ context.Context, c bot.Command) bot.Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commands = append(r.commands, c)
	return r.reply
}

func (r *fakeRouter) Click(_ context.Context, c bot.Click) bot.Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clicks = append(r.clicks, c)
	return r.reply
}

func (r *fakeRouter) commandTexts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.commands {
		out = append(out, c.Text)
	}
	return out
}

func (r *fakeRouter) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.commands) + len(r.clicks)
}

// fakeBadges serves a fixed list, or an error.
type fakeBadges struct {
	list []*bot.Badge
	err  error
}

func (b fakeBadges) Badges(context.Context) ([]*bot.Badge, error) { return b.list, b.err }

// fixture is an Adapter wired to fakes, with the key Discord would sign with.
type fixture struct {
	a      *Adapter
	router *fakeRouter
	key    ed25519.PrivateKey
	logs   *lockedBuffer
	rest   *fakeDiscord // nil unless asked for
}

// setup is what fixture options change before the adapter is built.
type setup struct {
	cfg    Config
	badges fakeBadges
	rest   bool
}

type fixtureOpt func(*setup)

// withREST points the adapter at a fake Discord REST server.
func withREST() fixtureOpt { return func(s *setup) { s.rest = true } }

func withGateway() fixtureOpt { return func(s *setup) { s.cfg.Gateway = true; s.rest = true } }

func withGuilds(ids ...string) fixtureOpt { return func(s *setup) { s.cfg.GuildIDs = ids } }

func withSeen(seen Seen) fixtureOpt { return func(s *setup) { s.cfg.Seen = seen } }

func withBadges(list []*bot.Badge, err error) fixtureOpt {
	return func(s *setup) { s.badges = fakeBadges{list: list, err: err} }
}

func newFixture(t testing.TB, opts ...fixtureOpt) *fixture {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := setup{cfg: Config{BotToken: testToken, ApplicationID: testAppID, PublicKey: hex.EncodeToString(pub),
		Seen: &bottest.Seen{Now: func() time.Time { return time.Unix(testNowSec, 0) }}}}
	for _, o := range opts {
		o(&s)
	}
	f := &fixture{key: priv, logs: &lockedBuffer{}}
	if s.rest {
		f.rest = newFakeDiscord(t)
		s.cfg.APIURL = f.rest.srv.URL
	}
	f.router = &fakeRouter{reply: bot.Reply{Message: bot.Message{Text: "ok"}}}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.a, err = New(s.cfg, f.router, s.badges, log)
	if err != nil {
		t.Fatal(err)
	}
	f.a.now = func() time.Time { return time.Unix(testNowSec, 0) }
	t.Cleanup(func() {
		if strings.Contains(f.logs.String(), "test-bot-token") {
			t.Errorf("the bot token appears in the log:\n%s", f.logs)
		}
	})
	return f
}

// lockedBuffer lets log handlers in several goroutines share a buffer.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// signedRequest builds a POST signed the way Discord signs interactions.
func (f *fixture) signedRequest(body []byte, ts int64) *http.Request {
	stamp := strconv.FormatInt(ts, 10)
	sig := ed25519.Sign(f.key, append([]byte(stamp), body...))
	r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
	r.Header.Set("X-Signature-Timestamp", stamp)
	return r
}

// post sends a signed interaction and returns the status and decoded body.
func (f *fixture) post(t *testing.T, body any) (int, map[string]any) {
	t.Helper()
	code, raw := f.postRaw(t, body)
	var out map[string]any
	if code == http.StatusOK {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("response is not JSON: %v\n%s", err, raw)
		}
	}
	return code, out
}

// postRaw sends a signed interaction and returns the status and body.
func (f *fixture) postRaw(t *testing.T, body any) (int, []byte) {
	t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	w := httptest.NewRecorder()
	f.a.Interactions(w, f.signedRequest(raw, testNowSec))
	if ct := w.Header().Get("Content-Type"); w.Code == http.StatusOK && ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	return w.Code, w.Body.Bytes()
}

// golden compares got with testdata/name, or rewrites it with -update.
func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// indented re-indents raw JSON, keeping its order and escapes.
func indented(t *testing.T, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	return append(b.Bytes(), '\n')
}

// Interaction payloads as Discord sends them.

func memberOf(id, username, nick string) map[string]any {
	return map[string]any{
		"user": map[string]any{"id": id, "username": username, "global_name": nil, "discriminator": "0"},
		"nick": nick, "roles": []string{}, "joined_at": "2024-01-01T00:00:00.000000+00:00",
	}
}

func commandInteraction(options []any, resolved map[string]any) map[string]any {
	data := map[string]any{"id": "1300000000000000001", "name": "badge", "type": 1, "options": options}
	if resolved != nil {
		data["resolved"] = resolved
	}
	return map[string]any{
		"id": "1400000000000000001", "application_id": testAppID, "type": 2, "token": "aW50ZXJhY3Rpb24tdG9rZW4",
		"version": 1, "guild_id": "1500000000000000001", "channel_id": announce,
		"member": memberOf(alice, "alice", "Ali"), "data": data, "locale": "en-US",
	}
}

func sub(name string, opts ...any) map[string]any {
	return map[string]any{"name": name, "type": 1, "options": opts}
}

func group(name string, subs ...any) map[string]any {
	return map[string]any{"name": name, "type": 2, "options": subs}
}

func str(name, value string) map[string]any {
	return map[string]any{"name": name, "type": 3, "value": value}
}

func usr(name, id string) map[string]any {
	return map[string]any{"name": name, "type": 6, "value": id}
}

func focused(name, value string) map[string]any {
	return map[string]any{"name": name, "type": 3, "value": value, "focused": true}
}

func resolvedUser(id, username, globalName, nick string) map[string]any {
	r := map[string]any{"users": map[string]any{id: map[string]any{"id": id, "username": username, "global_name": globalName}}}
	if nick != "" {
		r["members"] = map[string]any{id: map[string]any{"nick": nick, "roles": []string{}}}
	}
	return r
}

func buttonInteraction(customID string) map[string]any {
	return map[string]any{
		"id": "1400000000000000002", "application_id": testAppID, "type": 3, "token": "dG9rZW4",
		"version": 1, "channel_id": review, "member": memberOf(alice, "alice", ""),
		"message": map[string]any{"id": buttonMsg, "channel_id": review, "content": ""},
		"data":    map[string]any{"custom_id": customID, "component_type": 2},
	}
}

// noMentions is the allowed_mentions of a reply that mentions nobody, as
// decoded from JSON.
var noMentions = map[string]any{"parse": []any{}, "replied_user": false}
