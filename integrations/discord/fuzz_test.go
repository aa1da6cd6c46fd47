package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// forgetful accepts every request as new: the fuzzer runs an input more
// than once, and replays are tested on their own.
type forgetful struct{}

func (forgetful) FirstSeen(context.Context, string, []byte, time.Time) (bool, error) {
	return true, nil
}

// FuzzInteractions feeds arbitrary bodies, correctly signed, through the
// endpoint, of an adapter serving every server and of one serving a
// single server: nothing may panic, and every answer is a 200 with a JSON
// interaction response or a 400.
func FuzzInteractions(f *testing.F) {
	seeds := []any{
		pingBody,
		commandInteraction([]any{sub("nominate", usr("user", bob), str("badge", "first-pr"), str("reason", "great <@"+carol+">"))},
			resolvedUser(bob, "bob", "Bob", "Bobby")),
		commandInteraction([]any{group("link", sub("github", str("login", "octocat")))}, nil),
		commandInteraction([]any{group("settings", sub("announce", str("where", "dm")))}, nil),
		map[string]any{"type": 4, "member": memberOf(alice, "alice", ""), "data": map[string]any{"name": "badge",
			"options": []any{sub("show", focused("badge", "fi"))}}},
		buttonInteraction("approve:n-42"),
		[]byte(`{"type":2,"member":{"user":null},"data":{"name":"badge","options":[null,{"type":2,"options":[{"type":1}]}]}}`),
		[]byte(`{"type":3,"user":{"id":"80351110224678912"},"data":{"custom_id":":","component_type":2},"message":null}`),
		[]byte(`{"type":2,"user":{"id":"80351110224678912"},"data":{"name":"badge","options":[{"name":"of","type":1,"options":[{"name":"user","type":6,"value":{"x":1}}]}],"resolved":{"members":{"1":null},"users":null}}}`),
		[]byte(`[]`), []byte(`null`), []byte(`{"type":1e400}`), []byte(``),
		[]byte(`{"type":2,"guild_id":"1500000000000000001","user":{"id":"80351110224678912"},"data":{"name":"badge","options":[{"name":"mine","type":1}]}}`),
		[]byte(`{"type":4,"guild_id":"1500000000000000666","user":{"id":"80351110224678912"},"data":{"name":"badge"}}`),
		[]byte(`{"type":99,"guild_id":["x"]}`),
	}
	for _, s := range seeds {
		b, ok := s.([]byte)
		if !ok {
			b, _ = json.Marshal(s)
		}
		f.Add(b)
	}
	var fixtures []*fixture
	for _, opts := range [][]fixtureOpt{nil, {withGuilds("1500000000000000001")}} {
		fx := newFixture(f, append(opts, withSeen(forgetful{}))...)
		fx.router.reply = bot.Reply{Message: nominationReview, Update: &decidedNomination}
		fx.a.badges = fakeBadges{list: []*bot.Badge{{Slug: "first-pr", Name: "First"}, nil}}
		fixtures = append(fixtures, fx)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, fx := range fixtures {
			w := httptest.NewRecorder()
			fx.a.Interactions(w, fx.signedRequest(body, testNowSec))
			switch w.Code {
			case http.StatusOK:
				var resp struct {
					Type int `json:"type"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.Type == 0 {
					t.Fatalf("200 without an interaction response: %s", w.Body)
				}
			case http.StatusBadRequest:
			default:
				t.Fatalf("status %d for %q", w.Code, body)
			}
		}
	})
}

// FuzzVerify sends arbitrary signature headers: a timestamp of any form
// (huge, negative, signed, spaced) and either a signature of any form or
// a real one over that timestamp and body. Nothing may panic; a request
// is accepted only when really signed with a timestamp in the window,
// and is never accepted twice.
func FuzzVerify(f *testing.F) {
	now := strconv.FormatInt(testNowSec, 10)
	f.Add(now, "", []byte(pingBody), true)
	f.Add(now, "00", []byte(pingBody), false)
	f.Add("+"+now, "", []byte(pingBody), true)
	f.Add(" "+now, "", []byte(pingBody), true)
	f.Add("0"+now, "", []byte(pingBody), true)
	f.Add("9223372036854775807", "", []byte(pingBody), true)
	f.Add("-9223372036854775808", "", []byte(pingBody), true)
	f.Add(strconv.FormatInt(testNowSec-301, 10), "", []byte(pingBody), true)
	f.Add(now, string(make([]byte, 128)), []byte(`{}`), false)
	f.Add("", "zz", []byte(nil), false)
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte, sign bool) {
		r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
		if sign {
			sig = hex.EncodeToString(ed25519.Sign(fx.key, append([]byte(ts), body...)))
		}
		r.Header.Set("X-Signature-Timestamp", ts)
		r.Header.Set("X-Signature-Ed25519", sig)
		w := httptest.NewRecorder()
		fx.a.Interactions(w, r)
		secs, err := strconv.ParseInt(ts, 10, 64)
		inWindow := err == nil && secs >= testNowSec-300 && secs <= testNowSec+300
		switch {
		case w.Code == http.StatusUnauthorized:
		case !sign || !inWindow:
			t.Fatalf("status %d for a request signed %v with timestamp %q", w.Code, sign, ts)
		case w.Code != http.StatusOK && w.Code != http.StatusBadRequest:
			t.Fatalf("status %d for a signed request", w.Code)
		}
		if w.Code == http.StatusUnauthorized {
			return
		}
		// The same request again is a replay.
		r = httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
		r.Header.Set("X-Signature-Timestamp", ts)
		r.Header.Set("X-Signature-Ed25519", sig)
		w = httptest.NewRecorder()
		fx.a.Interactions(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("replay answered %d", w.Code)
		}
	})
}
