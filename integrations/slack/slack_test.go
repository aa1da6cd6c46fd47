package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/google/go-cmp/cmp"
)

var announcement = bot.Message{
	Title:    "New badge: First Pull Request",
	Text:     "{{slack:U024BE7LH}} earned the *First Pull Request* badge!",
	Link:     "https://badges.example.org/awards/1",
	Mentions: map[string]string{"slack:U024BE7LH": "ada"},
}

func blocksJSON(t *testing.T, m bot.Message) string {
	t.Helper()
	b, err := json.Marshal(render(m))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"http mode", Config{BotToken: "xoxb-1", SigningSecret: "s", Seen: &bottest.Seen{}}, true},
		{"socket mode", Config{BotToken: "xoxb-1", AppToken: "xapp-1", Seen: &bottest.Seen{}}, true},
		{"fake api", Config{BotToken: "xoxb-1", SigningSecret: "s", APIURL: "http://127.0.0.1:1/", Seen: &bottest.Seen{}}, true},
		{"team ids", Config{BotToken: "xoxb-1", SigningSecret: "s", TeamIDs: []string{"T0001", "E0ORG"}, Seen: &bottest.Seen{}}, true},
		{"no bot token", Config{SigningSecret: "s", Seen: &bottest.Seen{}}, false},
		{"no secret, no app token", Config{BotToken: "xoxb-1", Seen: &bottest.Seen{}}, false},
		{"api url without slash", Config{BotToken: "xoxb-1", SigningSecret: "s", APIURL: "http://127.0.0.1:1/api", Seen: &bottest.Seen{}}, false},
		{"no seen store", Config{BotToken: "xoxb-1", SigningSecret: "s"}, false},
		{"bad team id", Config{BotToken: "xoxb-1", SigningSecret: "s", TeamIDs: []string{"example.slack.com"}, Seen: &bottest.Seen{}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.cfg, &fakeRouter{}, nil)
			if (err == nil) != tt.ok {
				t.Fatalf("New: err = %v, want ok = %v", err, tt.ok)
			}
			if err != nil && (strings.Contains(err.Error(), "xoxb-1") || strings.Contains(err.Error(), "xapp-1")) {
				t.Errorf("error %q shows a token", err)
			}
			if a != nil && a.Name() != "slack" {
				t.Errorf("Name() = %q, want slack", a.Name())
			}
		})
	}
}

func TestPostToChannel(t *testing.T) {
	fs := newFakeSlack(t, nil)
	a := newTestAdapter(t, fs, &fakeRouter{})
	id, err := a.Post(context.Background(), "C0ANNOUNCE", announcement)
	if err != nil {
		t.Fatal(err)
	}
	if id != "1700000000.000100" {
		t.Errorf("message id = %q, want the ts Slack returned", id)
	}
	calls := fs.seen("")
	if len(calls) != 1 || calls[0].Method != "chat.postMessage" {
		t.Fatalf("calls = %+v, want one chat.postMessage", calls)
	}
	f := calls[0].Form
	if got := f.Get("channel"); got != "C0ANNOUNCE" {
		t.Errorf("channel = %q", got)
	}
	if diff := cmp.Diff(blocksJSON(t, announcement), f.Get("blocks")); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
	if got, want := f.Get("text"), "New badge: First Pull Request: <@U024BE7LH> earned the *First Pull Request* badge!"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
}

func TestPostDirectMessage(t *testing.T) {
	fs := newFakeSlack(t, nil)
	a := newTestAdapter(t, fs, &fakeRouter{})
	ctx := context.Background()
	for range 2 {
		if _, err := a.Post(ctx, "U024BE7LH", announcement); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Update(ctx, "U024BE7LH", "1700000000.000100", announcement); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range fs.seen("") {
		got = append(got, c.Method+" "+c.Form.Get("users")+c.Form.Get("channel"))
	}
	want := []string{
		"conversations.open U024BE7LH", // once: the channel is remembered
		"chat.postMessage D024BE7LH",
		"chat.postMessage D024BE7LH",
		"chat.update D024BE7LH",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestUpdate(t *testing.T) {
	fs := newFakeSlack(t, nil)
	a := newTestAdapter(t, fs, &fakeRouter{})
	if err := a.Update(context.Background(), "C0REVIEW", "1700000000.000900", announcement); err != nil {
		t.Fatal(err)
	}
	calls := fs.seen("chat.update")
	if len(calls) != 1 {
		t.Fatalf("chat.update calls = %d, want 1", len(calls))
	}
	f := calls[0].Form
	if f.Get("channel") != "C0REVIEW" || f.Get("ts") != "1700000000.000900" {
		t.Errorf("chat.update channel=%q ts=%q", f.Get("channel"), f.Get("ts"))
	}
	if diff := cmp.Diff(blocksJSON(t, announcement), f.Get("blocks")); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
}

func TestPostErrors(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		wantRetry time.Duration // > 0: want a *bot.RateLimitError
		wantErr   string
	}{
		{"rate limited", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			http.Error(w, `{"ok":false,"error":"ratelimited"}`, http.StatusTooManyRequests)
		}, 7 * time.Second, ""},
		{"rate limited without Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTooManyRequests)
		}, defaultRetryAfter, ""},
		{"slack error", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"ok":false,"error":"channel_not_found"}`))
		}, 0, "slack: post message: channel_not_found"},
		{"server error", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "oops", http.StatusInternalServerError)
		}, 0, "slack: post message: slack server error: 500 Internal Server Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeSlack(t, map[string]http.HandlerFunc{"/chat.postMessage": tt.handler, "/chat.update": tt.handler})
			a := newTestAdapter(t, fs, &fakeRouter{})
			_, postErr := a.Post(context.Background(), "C1", announcement)
			updateErr := a.Update(context.Background(), "C1", "1.2", announcement)
			for _, err := range []error{postErr, updateErr} {
				if tt.wantRetry > 0 {
					rl, ok := err.(*bot.RateLimitError)
					if !ok {
						t.Fatalf("err = %T %v, want *bot.RateLimitError", err, err)
					}
					if rl.RetryAfter != tt.wantRetry {
						t.Errorf("RetryAfter = %s, want %s", rl.RetryAfter, tt.wantRetry)
					}
					continue
				}
				var rl *bot.RateLimitError
				if err == nil || errors.As(err, &rl) {
					t.Fatalf("err = %v, want a plain error", err)
				}
			}
			if tt.wantErr != "" && postErr.Error() != tt.wantErr {
				t.Errorf("Post error = %q, want %q", postErr, tt.wantErr)
			}
		})
	}
}

func TestPostNoChannel(t *testing.T) {
	fs := newFakeSlack(t, nil)
	a := newTestAdapter(t, fs, &fakeRouter{})
	if _, err := a.Post(context.Background(), "", announcement); err == nil {
		t.Fatal("Post to no channel succeeded")
	}
	if n := len(fs.seen("")); n != 0 {
		t.Errorf("%d calls to Slack, want none", n)
	}
}
