package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/badgebot/badgebot/bot"
)

// fakeChat is a Slack Web API (under /slack/) and a Discord REST API
// (under /discord/) in one test server, answering in their JSON and
// recording what is posted: Slack's chat.postMessage and chat.update
// forms, Discord's message JSON. A Slack method it does not know gets
// Slack's unknown_method error, so an unexpected call shows.
type fakeChat struct {
	srv   *httptest.Server
	mu    sync.Mutex
	posts []chatPost
}

type chatPost struct {
	Platform, Channel string
	Body              map[string]any
}

func newFakeChat(t *testing.T) *fakeChat {
	t.Helper()
	f := &fakeChat{}
	mux := http.NewServeMux()
	slackPost := func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body := map[string]any{"text": r.Form.Get("text")}
		var blocks any
		if err := json.Unmarshal([]byte(r.Form.Get("blocks")), &blocks); err == nil {
			body["blocks"] = blocks
		}
		n := f.add(chatPost{bot.PlatformSlack, r.Form.Get("channel"), body})
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, r.Form.Get("channel"), n)
	}
	mux.HandleFunc("POST /slack/chat.postMessage", slackPost)
	mux.HandleFunc("POST /slack/chat.update", slackPost)
	mux.HandleFunc("/slack/users.info", func(w http.ResponseWriter, r *http.Request) {
		u := r.FormValue("user")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"name":"u","profile":{"email":"%s@example.org","display_name":"U"}}}`, u, strings.ToLower(u))
	})
	mux.HandleFunc("/slack/conversations.open", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true,"channel":{"id":"D0DM"}}`)
	})
	mux.HandleFunc("/slack/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
	})
	mux.HandleFunc("POST /discord/channels/{channel}/messages", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ch := r.PathValue("channel")
		n := f.add(chatPost{bot.PlatformDiscord, ch, body})
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"%d","channel_id":%q}`, 1_600_000_000_000_000_000+n, ch)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeChat) add(p chatPost) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts = append(f.posts, p)
	return len(f.posts)
}

// to returns the posts to a channel.
func (f *fakeChat) to(channel string) []chatPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []chatPost
	for _, p := range f.posts {
		if p.Channel == channel {
			out = append(out, p)
		}
	}
	return out
}

// titled returns the posts whose Slack header or Discord embed title
// starts with prefix.
func (f *fakeChat) titled(prefix string) []chatPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []chatPost
	for _, p := range f.posts {
		if strings.HasPrefix(fmt.Sprint(p.Body["text"]), prefix) || strings.Contains(fmt.Sprint(p.Body["embeds"]), "title:"+prefix) {
			out = append(out, p)
		}
	}
	return out
}
