package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/slack-go/slack/slacktest"
)

const (
	testBotToken = "xoxb-test-bot-token-0123456789"
	testAppToken = "xapp-test-app-token-0123456789"
	testSecret   = "8f742231b10e8888abcd99yyyzzz85a5"
)

// fakeRouter records what the adapter hands the core and answers with
// canned replies.
type fakeRouter struct {
	mu       sync.Mutex
	commands []bot.Command
	clicks   []bot.Click
	reply    bot.Reply     // answer to Handle
	click    bot.Reply     // answer to Click
	block    chan struct{} // when set, Handle waits for it to close
}

func (f *fakeRouter) Handle(ctx context.Context, c bot.Command) bot.Reply {
	f.mu.Lock()
	f.commands = append(f.commands, c)
	block, reply := f.block, f.reply
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	return reply
}

func (f *fakeRouter) Click(ctx context.Context, c bot.Click) bot.Reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clicks = append(f.clicks, c)
	return f.click
}

func (f *fakeRouter) calls() ([]bot.Command, []bot.Click) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bot.Command(nil), f.commands...), append([]bot.Click(nil), f.clicks...)
}

// apiCall is one request the fake Slack received on an endpoint the
// tests watch.
type apiCall struct {
	Method string
	Form   url.Values     // Web API methods: form-encoded
	JSON   map[string]any // response_url posts: JSON
}

// fakeSlack is slacktest's server with recording handlers for the
// endpoints the adapter uses that slacktest lacks (chat.update,
// conversations.open, response_url) or answers without recording, and with
// Slack's real ts format ("1700000000.000100") so ids differ per post.
type fakeSlack struct {
	*slacktest.Server
	mu    sync.Mutex
	calls []apiCall
	seq   int
}

// newFakeSlack starts the fake; override replaces endpoints ("/users.info")
// for one test.
func newFakeSlack(t testing.TB, override map[string]http.HandlerFunc) *fakeSlack {
	t.Helper()
	f := &fakeSlack{}
	bind := func(c slacktest.Customize) {
		for pattern, h := range override {
			c.Handle(pattern, h)
		}
		c.Handle("/chat.postMessage", f.record("chat.postMessage", func(v url.Values) string {
			return fmt.Sprintf(`{"ok":true,"channel":%q,"ts":%q}`, v.Get("channel"), f.nextTS())
		}))
		c.Handle("/chat.update", f.record("chat.update", func(v url.Values) string {
			return fmt.Sprintf(`{"ok":true,"channel":%q,"ts":%q,"text":%q}`, v.Get("channel"), v.Get("ts"), v.Get("text"))
		}))
		c.Handle("/chat.postEphemeral", f.record("chat.postEphemeral", func(v url.Values) string {
			return fmt.Sprintf(`{"ok":true,"message_ts":%q}`, f.nextTS())
		}))
		c.Handle("/conversations.open", f.record("conversations.open", func(v url.Values) string {
			return fmt.Sprintf(`{"ok":true,"channel":{"id":"D%s"}}`, strings.TrimPrefix(v.Get("users"), "U"))
		}))
		c.Handle("/response/", func(w http.ResponseWriter, r *http.Request) {
			var body map[string]any
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			f.mu.Lock()
			f.calls = append(f.calls, apiCall{Method: "response_url", JSON: body})
			f.mu.Unlock()
			_, _ = io.WriteString(w, "ok")
		})
	}
	f.Server = slacktest.NewTestServer(bind)
	f.Start()
	t.Cleanup(f.Stop)
	return f
}

func (f *fakeSlack) record(method string, answer func(url.Values) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.calls = append(f.calls, apiCall{Method: method, Form: r.PostForm})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer(r.PostForm))
	}
}

func (f *fakeSlack) nextTS() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	return fmt.Sprintf("1700000000.%06d", f.seq*100)
}

// seen returns the recorded calls, optionally only those of one method.
func (f *fakeSlack) seen(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeSlack) responseURL() string { return f.GetAPIURL() + "response/T1/1234/abcd" }

// syncBuffer is a log sink safe for the adapter's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestAdapter returns an adapter talking to fs, with its log in a
// buffer that the cleanup checks for leaked secrets.
func newTestAdapter(t testing.TB, fs *fakeSlack, r Router, opts ...func(*Config)) *Adapter {
	t.Helper()
	logs := &syncBuffer{}
	cfg := Config{BotToken: testBotToken, SigningSecret: testSecret, APIURL: fs.GetAPIURL(), Seen: &bottest.Seen{}}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := New(cfg, r,
		slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.Wait()
		out := logs.String()
		for _, secret := range []string{testBotToken, testAppToken, testSecret, "response/T1/1234/abcd"} {
			if strings.Contains(out, secret) {
				t.Errorf("log contains the secret %q:\n%s", secret, out)
			}
		}
	})
	return a
}

// sign signs body exactly as Slack does: v0=hex(HMAC-SHA256(secret,
// "v0:" + timestamp + ":" + body)).
func sign(secret string, ts time.Time, body string) (timestamp, signature string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", timestamp, body)
	return timestamp, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// slackRequest builds a request as Slack sends it, signed now.
func slackRequest(path, contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	ts, sig := sign(testSecret, time.Now(), body)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", sig)
	return r
}

const formType = "application/x-www-form-urlencoded"

// triggers numbers the slash commands of the tests: Slack gives each its
// own trigger_id, so no two are the same request.
var triggers atomic.Int64

// slashBody is a slash command form as Slack posts it.
func slashBody(text, responseURL string) string {
	return url.Values{
		"token":        {"legacy-verification-token"},
		"team_id":      {"T0001"},
		"team_domain":  {"example"},
		"channel_id":   {"C2147483705"},
		"channel_name": {"general"},
		"user_id":      {"U2147483697"},
		"user_name":    {"steve"},
		"command":      {"/badge"},
		"text":         {text},
		"response_url": {responseURL},
		"trigger_id":   {fmt.Sprintf("13345224609.738474920.%d", triggers.Add(1))},
		"api_app_id":   {"A123456"},
	}.Encode()
}

// serve runs h on r and returns the recorded response.
func serve(h http.HandlerFunc, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h(w, r)
	return w
}
