package slack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

// eachEndpoint lists the HTTP handlers with a valid body for each.
func eachEndpoint(a *Adapter, fs *fakeSlack) []struct {
	name, contentType, body string
	h                       http.HandlerFunc
} {
	return []struct {
		name, contentType, body string
		h                       http.HandlerFunc
	}{
		{"commands", formType, slashBody("list", fs.responseURL()), a.Commands},
		{"interactions", formType, interactionBody(false, fs.responseURL()), a.Interactions},
		{"events", "application/json", mentionEvent("<@UBOT0001> list"), a.Events},
	}
}

func TestSignatureRejected(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		tamper func(r *http.Request, body string)
	}{
		{"no headers", func(r *http.Request, _ string) {
			r.Header.Del("X-Slack-Signature")
			r.Header.Del("X-Slack-Request-Timestamp")
		}},
		{"no signature", func(r *http.Request, _ string) { r.Header.Del("X-Slack-Signature") }},
		{"no timestamp", func(r *http.Request, _ string) { r.Header.Del("X-Slack-Request-Timestamp") }},
		{"wrong secret", func(r *http.Request, body string) {
			ts, sig := sign("another-secret", now, body)
			r.Header.Set("X-Slack-Request-Timestamp", ts)
			r.Header.Set("X-Slack-Signature", sig)
		}},
		{"not hex", func(r *http.Request, _ string) { r.Header.Set("X-Slack-Signature", "v0=zz") }},
		{"v1 scheme", func(r *http.Request, _ string) {
			r.Header.Set("X-Slack-Signature", strings.Replace(r.Header.Get("X-Slack-Signature"), "v0=", "v1=", 1))
		}},
		{"timestamp not a number", func(r *http.Request, _ string) { r.Header.Set("X-Slack-Request-Timestamp", "yesterday") }},
		{"timestamp changed after signing", func(r *http.Request, _ string) {
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix()-1, 10))
		}},
		{"old timestamp", func(r *http.Request, body string) {
			ts, sig := sign(testSecret, now.Add(-6*time.Minute), body)
			r.Header.Set("X-Slack-Request-Timestamp", ts)
			r.Header.Set("X-Slack-Signature", sig)
		}},
		{"future timestamp", func(r *http.Request, body string) {
			ts, sig := sign(testSecret, now.Add(6*time.Minute), body)
			r.Header.Set("X-Slack-Request-Timestamp", ts)
			r.Header.Set("X-Slack-Signature", sig)
		}},
		{"altered body", func(r *http.Request, body string) {
			altered := body + " "
			*r = *httptest.NewRequest(http.MethodPost, r.URL.Path, strings.NewReader(altered)).WithContext(r.Context())
			ts, sig := sign(testSecret, now, body) // signature of the original
			r.Header.Set("Content-Type", formType)
			r.Header.Set("X-Slack-Request-Timestamp", ts)
			r.Header.Set("X-Slack-Signature", sig)
		}},
	}
	fs := newFakeSlack(t, nil)
	router := &fakeRouter{reply: bot.Reply{Message: bot.Message{Text: "hi"}}, click: bot.Reply{Message: bot.Message{Text: "hi"}}}
	a := newTestAdapter(t, fs, router)
	for _, ep := range eachEndpoint(a, fs) {
		for _, tt := range tests {
			t.Run(ep.name+"/"+tt.name, func(t *testing.T) {
				r := slackRequest("/slack/"+ep.name, ep.contentType, ep.body)
				tt.tamper(r, ep.body)
				w := serve(ep.h, r)
				if w.Code != http.StatusUnauthorized {
					t.Errorf("status = %d, want 401", w.Code)
				}
			})
		}
	}
	if cmds, clicks := router.calls(); len(cmds)+len(clicks) != 0 {
		t.Errorf("router called %d times for rejected requests", len(cmds)+len(clicks))
	}
	if n := len(fs.seen("")); n != 0 {
		t.Errorf("%d Slack calls for rejected requests", n)
	}
}

func TestSignatureAcceptedWithinWindow(t *testing.T) {
	fs := newFakeSlack(t, nil)
	a := newTestAdapter(t, fs, &fakeRouter{reply: bot.Reply{Message: bot.Message{Text: "hi"}}})
	for _, skew := range []time.Duration{-4 * time.Minute, 4 * time.Minute} {
		body := slashBody("help", "")
		r := slackRequest("/slack/commands", formType, body)
		ts, sig := sign(testSecret, time.Now().Add(skew), body)
		r.Header.Set("X-Slack-Request-Timestamp", ts)
		r.Header.Set("X-Slack-Signature", sig)
		if w := serve(a.Commands, r); w.Code != http.StatusOK {
			t.Errorf("skew %s: status = %d, want 200", skew, w.Code)
		}
	}
}

func TestBadRequests(t *testing.T) {
	fs := newFakeSlack(t, nil)
	router := &fakeRouter{}
	a := newTestAdapter(t, fs, router)
	huge := strings.Repeat("a", maxBody+1)
	tests := []struct {
		name string
		h    http.HandlerFunc
		r    *http.Request
		want int
	}{
		{"oversized", a.Commands, slackRequest("/slack/commands", formType, huge), http.StatusRequestEntityTooLarge},
		{"oversized without length", a.Events, func() *http.Request {
			r := slackRequest("/slack/events", "application/json", huge)
			r.ContentLength = -1
			return r
		}(), http.StatusRequestEntityTooLarge},
		{"GET", a.Commands, httptest.NewRequest(http.MethodGet, "/slack/commands", nil), http.StatusMethodNotAllowed},
		{"command without user", a.Commands, slackRequest("/slack/commands", formType, "text=list"), http.StatusBadRequest},
		{"command with bad user", a.Commands, slackRequest("/slack/commands", formType, "text=list&user_id=bob"), http.StatusBadRequest},
		{"interaction without payload", a.Interactions, slackRequest("/slack/interactions", formType, "x=1"), http.StatusBadRequest},
		{"interaction not JSON", a.Interactions, slackRequest("/slack/interactions", formType, "payload=%7Bnope"), http.StatusBadRequest},
		{"event not JSON", a.Events, slackRequest("/slack/events", "application/json", "{nope"), http.StatusBadRequest},
		{"event we do not handle", a.Events, slackRequest("/slack/events", "application/json",
			`{"type":"event_callback","event":{"type":"no_such_event"}}`), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w := serve(tt.h, tt.r); w.Code != tt.want {
				t.Errorf("status = %d, want %d (%s)", w.Code, tt.want, w.Body)
			}
		})
	}
	if cmds, clicks := router.calls(); len(cmds)+len(clicks) != 0 {
		t.Errorf("router called for bad requests: %v %v", cmds, clicks)
	}
}

func TestCommandRoundTrip(t *testing.T) {
	reply := bot.Message{Text: "Nominated {{slack:U024BE7LH}} for *Docs Hero*.", Mentions: map[string]string{"slack:U024BE7LH": "ada"}}
	for _, private := range []bool{true, false} {
		t.Run(fmt.Sprintf("private=%v", private), func(t *testing.T) {
			fs := newFakeSlack(t, nil) // slacktest's users.info answers with an e-mail
			router := &fakeRouter{reply: bot.Reply{Message: reply, Private: private}}
			a := newTestAdapter(t, fs, router)
			w := serve(a.Commands, slackRequest("/slack/commands", formType,
				slashBody("nominate <@U024BE7LH|ada> docs-hero rewrote &lt;the&gt; guide", fs.responseURL())))
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d: %s", w.Code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			var blocks any
			_ = json.Unmarshal([]byte(blocksJSON(t, reply)), &blocks)
			kind := "in_channel"
			if private {
				kind = "ephemeral"
			}
			want := map[string]any{
				"response_type": kind, "text": "Nominated <@U024BE7LH> for *Docs Hero*.", "blocks": blocks,
				"replace_original": false, "delete_original": false,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			cmds, _ := router.calls()
			wantCmd := []bot.Command{{
				Platform:   "slack",
				Caller:     bot.Recipient{Platform: "slack", ID: "U2147483697"},
				CallerName: "steve",
				Channel:    "C2147483705",
				Text:       "nominate @slack:U024BE7LH docs-hero rewrote <the> guide",
				Names:      map[string]string{"slack:U024BE7LH": "ada"},
				Email:      "spengler@ghostbusters.example.com",
			}}
			if diff := cmp.Diff(wantCmd, cmds); diff != "" {
				t.Errorf("command (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommandEmptyReply(t *testing.T) {
	fs := newFakeSlack(t, nil)
	a := newTestAdapter(t, fs, &fakeRouter{})
	w := serve(a.Commands, slackRequest("/slack/commands", formType, slashBody("help", "")))
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("status %d body %q, want 200 and nothing", w.Code, w.Body)
	}
}

// countingUsersInfo answers users.info after delay and counts the calls.
func countingUsersInfo(calls *atomic.Int32, delay time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		time.Sleep(delay)
		_ = r.ParseForm()
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"name":"steve","profile":{"display_name":"Steve","email":"steve@example.org"}}}`, r.PostForm.Get("user"))
	}
}

func TestCommandProfileCachedPerUser(t *testing.T) {
	var calls atomic.Int32
	fs := newFakeSlack(t, map[string]http.HandlerFunc{"/users.info": countingUsersInfo(&calls, 0)})
	router := &fakeRouter{}
	a := newTestAdapter(t, fs, router)
	for range 3 {
		serve(a.Commands, slackRequest("/slack/commands", formType, slashBody("mine", "")))
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("users.info called %d times for one user, want 1", n)
	}
	cmds, _ := router.calls()
	for _, c := range cmds {
		if c.Email != "steve@example.org" {
			t.Errorf("Email = %q", c.Email)
		}
	}
}

func TestCommandProfileTimeout(t *testing.T) {
	var calls atomic.Int32
	fs := newFakeSlack(t, map[string]http.HandlerFunc{"/users.info": countingUsersInfo(&calls, 300*time.Millisecond)})
	router := &fakeRouter{reply: bot.Reply{Message: bot.Message{Text: "ok"}}}
	a := newTestAdapter(t, fs, router)
	a.profileBudget = 20 * time.Millisecond
	for range 2 {
		start := time.Now()
		w := serve(a.Commands, slackRequest("/slack/commands", formType, slashBody("mine", "")))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"ok"`) {
			t.Fatalf("status %d body %s", w.Code, w.Body)
		}
		if d := time.Since(start); d > 250*time.Millisecond {
			t.Errorf("answer took %s; the profile lookup should have given up", d)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("users.info called %d times; a failure should be remembered briefly", n)
	}
	cmds, _ := router.calls()
	if len(cmds) != 2 || cmds[0].Email != "" {
		t.Errorf("commands = %+v, want two without e-mail", cmds)
	}
}

func TestCommandSlowRouterAnswersThroughResponseURL(t *testing.T) {
	fs := newFakeSlack(t, nil)
	release := make(chan struct{})
	router := &fakeRouter{block: release, reply: bot.Reply{Message: bot.Message{Text: "Done at last."}, Private: true}}
	a := newTestAdapter(t, fs, router)
	a.answerBudget = 50 * time.Millisecond
	w := serve(a.Commands, slackRequest("/slack/commands", formType, slashBody("digest now", fs.responseURL())))
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("status %d body %q, want an empty 200 in time", w.Code, w.Body)
	}
	if n := len(fs.seen("response_url")); n != 0 {
		t.Fatalf("response_url used before the router answered")
	}
	close(release)
	a.Wait()
	calls := fs.seen("response_url")
	if len(calls) != 1 {
		t.Fatalf("response_url calls = %d, want 1", len(calls))
	}
	if got := calls[0].JSON; got["response_type"] != "ephemeral" || got["text"] != "Done at last." {
		t.Errorf("late reply = %v", got)
	}
}

// interactionBody is a block_actions payload for a click on Approve.
func interactionBody(ephemeral bool, responseURL string) string {
	payload := fmt.Sprintf(`{
		"type": "block_actions",
		"user": {"id": "U0ADMIN1", "username": "grace", "name": "grace", "team_id": "T1"},
		"api_app_id": "A1",
		"container": {"type": "message", "message_ts": "1700000000.000500", "channel_id": "C0REVIEW", "is_ephemeral": %v},
		"trigger_id": "1.2.3",
		"team": {"id": "T1", "domain": "example"},
		"channel": {"id": "C0REVIEW", "name": "badge-review"},
		"message": {"type": "message", "ts": "1700000000.000500", "text": "Nomination"},
		"response_url": %q,
		"actions": [{"action_id": "approve", "block_id": "b1", "text": {"type": "plain_text", "text": "Approve"},
			"value": "nom-42", "style": "primary", "type": "button", "action_ts": "1700000001.000000"}]
	}`, ephemeral, responseURL)
	return url.Values{"payload": {payload}}.Encode()
}

func TestInteractionRoundTrip(t *testing.T) {
	decided := bot.Message{Title: "Nomination approved: Docs Hero", Text: "Approved by {{slack:U0ADMIN1}}."}
	answer := bot.Message{Text: "Approved. The badge is on its way."}
	tests := []struct {
		name      string
		ephemeral bool
		private   bool
		want      []string // Slack calls: method channel/user
	}{
		{"private answer", false, true, []string{"chat.update C0REVIEW 1700000000.000500", "chat.postEphemeral C0REVIEW U0ADMIN1"}},
		{"public answer in thread", false, false, []string{"chat.update C0REVIEW 1700000000.000500", "chat.postMessage C0REVIEW 1700000000.000500"}},
		{"ephemeral message", true, true, []string{"response_url replace_original", "chat.postEphemeral C0REVIEW U0ADMIN1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeSlack(t, nil)
			router := &fakeRouter{click: bot.Reply{Message: answer, Private: tt.private, Update: &decided}}
			a := newTestAdapter(t, fs, router)
			w := serve(a.Interactions, slackRequest("/slack/interactions", formType, interactionBody(tt.ephemeral, fs.responseURL())))
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d: %s", w.Code, w.Body)
			}
			_, clicks := router.calls()
			wantClick := []bot.Click{{
				Platform: "slack", Caller: bot.Recipient{Platform: "slack", ID: "U0ADMIN1"}, CallerName: "grace",
				Action: "approve", Value: "nom-42", Channel: "C0REVIEW", MessageID: "1700000000.000500",
			}}
			if diff := cmp.Diff(wantClick, clicks); diff != "" {
				t.Errorf("click (-want +got):\n%s", diff)
			}
			var got []string
			for _, c := range fs.seen("") {
				switch c.Method {
				case "chat.update":
					got = append(got, c.Method+" "+c.Form.Get("channel")+" "+c.Form.Get("ts"))
					if diff := cmp.Diff(blocksJSON(t, decided), c.Form.Get("blocks")); diff != "" {
						t.Errorf("updated blocks (-want +got):\n%s", diff)
					}
				case "chat.postEphemeral":
					got = append(got, c.Method+" "+c.Form.Get("channel")+" "+c.Form.Get("user"))
				case "chat.postMessage":
					got = append(got, c.Method+" "+c.Form.Get("channel")+" "+c.Form.Get("thread_ts"))
				case "response_url":
					if c.JSON["replace_original"] == true {
						got = append(got, "response_url replace_original")
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Slack calls (-want +got):\n%s", diff)
			}
		})
	}
}

// mentionEvent is an event_callback carrying an app_mention.
func mentionEvent(text string) string {
	b, _ := json.Marshal(map[string]any{
		"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
		"event_id": "Ev0001", "event_time": 1700000000,
		"event": map[string]any{
			"type": "app_mention", "user": "U024BE7LH", "text": text, "ts": "1700000000.000200",
			"channel": "C0GENERAL", "event_ts": "1700000000.000200",
		},
	})
	return string(b)
}

func TestEventsURLVerification(t *testing.T) {
	fs := newFakeSlack(t, nil)
	a := newTestAdapter(t, fs, &fakeRouter{})
	body := `{"token":"legacy","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	w := serve(a.Events, slackRequest("/slack/events", "application/json", body))
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d", w.Code)
	}
	if got, want := strings.TrimSpace(w.Body.String()), `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestEventsAppMention(t *testing.T) {
	fs := newFakeSlack(t, nil)
	router := &fakeRouter{reply: bot.Reply{Message: bot.Message{Text: "Nominated."}}}
	a := newTestAdapter(t, fs, router)
	body := mentionEvent("<@UBOT0001> nominate <@U0GRACE01|grace> docs-hero great docs")
	if w := serve(a.Events, slackRequest("/slack/events", "application/json", body)); w.Code != http.StatusOK {
		t.Fatalf("status = %d", w.Code)
	}
	// A retry of the same delivery is acknowledged and not handled again.
	retry := slackRequest("/slack/events", "application/json", body)
	retry.Header.Set("X-Slack-Retry-Num", "1")
	retry.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	if w := serve(a.Events, retry); w.Code != http.StatusOK {
		t.Fatalf("retry status = %d", w.Code)
	}
	cmds, _ := router.calls()
	want := []bot.Command{{
		Platform: "slack", Caller: bot.Recipient{Platform: "slack", ID: "U024BE7LH"}, CallerName: "spengler", // the profile's display name
		Channel: "C0GENERAL", Text: "nominate @slack:U0GRACE01 docs-hero great docs",
		Names: map[string]string{"slack:U0GRACE01": "grace"}, Email: "spengler@ghostbusters.example.com",
	}}
	if diff := cmp.Diff(want, cmds); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	posts := fs.seen("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("posts = %d, want 1", len(posts))
	}
	if f := posts[0].Form; f.Get("channel") != "C0GENERAL" || f.Get("thread_ts") != "1700000000.000200" || f.Get("text") != "Nominated." {
		t.Errorf("reply posted as %v", f)
	}
}

func TestEventsFromBotsIgnored(t *testing.T) {
	fs := newFakeSlack(t, nil)
	router := &fakeRouter{reply: bot.Reply{Message: bot.Message{Text: "x"}}}
	a := newTestAdapter(t, fs, router)
	body := strings.Replace(mentionEvent("<@UBOT0001> help"), `"type":"app_mention"`, `"type":"app_mention","bot_id":"B1"`, 1)
	if w := serve(a.Events, slackRequest("/slack/events", "application/json", body)); w.Code != http.StatusOK {
		t.Fatalf("status = %d", w.Code)
	}
	if cmds, _ := router.calls(); len(cmds) != 0 {
		t.Errorf("a bot's mention reached the router: %+v", cmds)
	}
}
