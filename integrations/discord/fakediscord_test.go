package discord

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeDiscord is a stateful stand-in for Discord's REST API (v9, the
// version discordgo speaks): it knows some channels and users, stores the
// messages posted, opens DM channels, checks registered commands like
// Discord does, answers 429 for one channel, and serves a gateway.
type fakeDiscord struct {
	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	requests  []string                     // "METHOD /path"
	channels  map[string]bool              // text channels
	users     map[string]bool              // users the bot may DM
	dms       map[string]string            // user id -> DM channel id
	messages  map[string]map[string][]byte // channel -> message id -> last JSON sent
	commands  []byte                       // last PUT body
	callbacks chan []byte                  // interaction responses
	gateway   *fakeGateway
	nextID    int64
}

func newFakeDiscord(t testing.TB) *fakeDiscord {
	f := &fakeDiscord{
		t:         t,
		channels:  map[string]bool{announce: true, review: true, limited: true},
		users:     map[string]bool{alice: true, bob: true, carol: true},
		dms:       map[string]string{},
		messages:  map[string]map[string][]byte{},
		callbacks: make(chan []byte, 10),
		nextID:    1_600_000_000_000_000_000,
	}
	f.gateway = &fakeGateway{t: t, interactions: make(chan []byte, 1), identified: make(chan identify, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /channels/{channel}/messages", f.createMessage)
	mux.HandleFunc("PATCH /channels/{channel}/messages/{message}", f.editMessage)
	mux.HandleFunc("POST /users/@me/channels", f.createDM)
	mux.HandleFunc("PUT /applications/{app}/commands", f.putCommands)
	mux.HandleFunc("GET /oauth2/applications/@me", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"id": testAppID, "name": "Badges", "bot_public": true,
			"interactions_endpoint_url": "https://badges.example.org/discord/interactions", "flags": 0})
	})
	mux.HandleFunc("POST /interactions/{id}/{token}/callback", f.callback)
	mux.HandleFunc("GET /gateway", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws"})
	})
	mux.HandleFunc("GET /ws/", f.gateway.serve) // discordgo adds the slash
	f.srv = httptest.NewServer(f.auth(mux))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDiscord) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		if !strings.HasPrefix(r.URL.Path, "/ws") && r.Header.Get("Authorization") != "Bot "+testToken {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401: Unauthorized", "code": 0})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (f *fakeDiscord) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func (f *fakeDiscord) message(channel, id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var m map[string]any
	if err := json.Unmarshal(f.messages[channel][id], &m); err != nil {
		f.t.Fatalf("no message %s in channel %s: %v", id, channel, err)
	}
	return m
}

func (f *fakeDiscord) dmOf(user string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dms[user]
}

func (f *fakeDiscord) lastCommands() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.commands)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func unknown(w http.ResponseWriter, what string, code int) {
	writeJSON(w, http.StatusNotFound, map[string]any{"message": "Unknown " + what, "code": code})
}

// isChannel reports whether id is a text or DM channel; f.mu held.
func (f *fakeDiscord) isChannel(id string) bool {
	if f.channels[id] {
		return true
	}
	for _, dm := range f.dms {
		if dm == id {
			return true
		}
	}
	return false
}

func (f *fakeDiscord) createMessage(w http.ResponseWriter, r *http.Request) {
	ch := r.PathValue("channel")
	if ch == limited {
		w.Header().Set("Retry-After", "2")
		w.Header().Set("X-RateLimit-Scope", "user")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": 1.5, "global": false})
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.isChannel(ch) {
		unknown(w, "Channel", 10003)
		return
	}
	f.nextID++
	id := strconv.FormatInt(f.nextID, 10)
	if f.messages[ch] == nil {
		f.messages[ch] = map[string][]byte{}
	}
	f.messages[ch][id] = body
	writeJSON(w, http.StatusOK, messageObject(id, ch, body))
}

func (f *fakeDiscord) editMessage(w http.ResponseWriter, r *http.Request) {
	ch, id := r.PathValue("channel"), r.PathValue("message")
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.isChannel(ch) {
		unknown(w, "Channel", 10003)
		return
	}
	if _, ok := f.messages[ch][id]; !ok {
		unknown(w, "Message", 10008)
		return
	}
	f.messages[ch][id] = body
	writeJSON(w, http.StatusOK, messageObject(id, ch, body))
}

// messageObject is the message Discord answers with: what was sent plus
// the fields Discord adds.
func messageObject(id, channel string, sent []byte) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(sent, &m)
	m["id"], m["channel_id"], m["type"] = id, channel, 0
	m["author"] = map[string]any{"id": testAppID, "username": "badgebot", "bot": true}
	m["timestamp"] = "2026-11-26T12:00:00.000000+00:00"
	m["mentions"], m["attachments"], m["pinned"], m["tts"] = []any{}, []any{}, false, false
	return m
}

func (f *fakeDiscord) createDM(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.users[req.RecipientID] {
		unknown(w, "User", 10013)
		return
	}
	dm, ok := f.dms[req.RecipientID]
	if !ok {
		f.nextID++
		dm = strconv.FormatInt(f.nextID, 10)
		f.dms[req.RecipientID] = dm
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": dm, "type": 1, "last_message_id": nil, "flags": 0,
		"recipients": []any{map[string]any{"id": req.RecipientID, "username": "user" + req.RecipientID[len(req.RecipientID)-2:]}},
	})
}

var commandNamePattern = regexp.MustCompile(`^[-_\p{Ll}\p{N}]{1,32}$`)

// putCommands checks the commands the way Discord's form validation does
// and answers them with ids.
func (f *fakeDiscord) putCommands(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("app") != testAppID {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "Missing Access", "code": 50001})
		return
	}
	body, _ := io.ReadAll(r.Body)
	var cmds []map[string]any
	if err := json.Unmarshal(body, &cmds); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035})
		return
	}
	for i, c := range cmds {
		if problem := checkCommand(c, 0); problem != "" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": fmt.Sprintf("Invalid Form Body: %d: %s", i, problem), "code": 50035})
			return
		}
		c["id"], c["application_id"], c["version"] = strconv.Itoa(1_700_000_000_000_000_000+i), testAppID, "1"
	}
	f.mu.Lock()
	f.commands = body
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, cmds)
}

// checkCommand applies Discord's limits to a command or an option.
func checkCommand(c map[string]any, depth int) string {
	name, _ := c["name"].(string)
	desc, _ := c["description"].(string)
	switch {
	case !commandNamePattern.MatchString(name):
		return fmt.Sprintf("name %q", name)
	case len([]rune(desc)) < 1 || len([]rune(desc)) > 100:
		return fmt.Sprintf("%s: description of %d characters", name, len([]rune(desc)))
	case depth > 3:
		return name + ": nested too deep"
	}
	opts, _ := c["options"].([]any)
	if len(opts) > 25 {
		return name + ": more than 25 options"
	}
	seenOptional := false
	for _, o := range opts {
		om, _ := o.(map[string]any)
		required, _ := om["required"].(bool)
		if required && seenOptional {
			return fmt.Sprintf("%s: required option %v after an optional one", name, om["name"])
		}
		seenOptional = seenOptional || !required
		if choices, _ := om["choices"].([]any); len(choices) > 0 && om["autocomplete"] == true {
			return fmt.Sprintf("%s: %v has choices and autocomplete", name, om["name"])
		}
		if p := checkCommand(om, depth+1); p != "" {
			return p
		}
	}
	return ""
}

func (f *fakeDiscord) callback(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.callbacks <- body
	w.WriteHeader(http.StatusNoContent)
}
