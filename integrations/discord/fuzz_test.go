package discord

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/badgebot/badgebot/bot"
)

// FuzzInteractions feeds arbitrary bodies, correctly signed, through the
// endpoint: nothing may panic, and every answer is a 200 with a JSON
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
	}
	for _, s := range seeds {
		b, ok := s.([]byte)
		if !ok {
			b, _ = json.Marshal(s)
		}
		f.Add(b)
	}
	fx := newFixture(f)
	fx.router.reply = bot.Reply{Message: nominationReview, Update: &decidedNomination}
	fx.a.badges = fakeBadges{list: []*bot.Badge{{Slug: "first-pr", Name: "First"}, nil}}
	f.Fuzz(func(t *testing.T, body []byte) {
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
	})
}
