package discord

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
)

// A captured interaction sent again within the window is refused and
// reaches the router once, however its signature is spelled; the same
// command sent anew (Discord signs each with its own id and timestamp)
// is accepted.
func TestReplayedInteractionRefused(t *testing.T) {
	f := newFixture(t)
	body, _ := json.Marshal(commandInteraction([]any{sub("mine")}, nil))
	if code, raw := f.postRaw(t, body); code != http.StatusOK {
		t.Fatalf("first: %d %s", code, raw)
	}
	if code, raw := f.postRaw(t, body); code != http.StatusUnauthorized {
		t.Errorf("replay: %d %s, want 401", code, raw)
	}
	upper := f.signedRequest(body, testNowSec)
	upper.Header.Set("X-Signature-Ed25519", strings.ToUpper(upper.Header.Get("X-Signature-Ed25519")))
	w := httptest.NewRecorder()
	f.a.Interactions(w, upper)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("replay with the signature in upper case: %d, want 401", w.Code)
	}
	if n := f.router.calls(); n != 1 {
		t.Errorf("router saw %d commands, want 1", n)
	}
	w = httptest.NewRecorder()
	f.a.Interactions(w, f.signedRequest(body, testNowSec-1)) // as Discord would sign a new one
	if w.Code != http.StatusOK {
		t.Errorf("a new request: %d, want 200", w.Code)
	}
}

// When the record of accepted interactions cannot be written, they are
// refused with 503 rather than accepted unrecorded.
func TestReplayStoreDown(t *testing.T) {
	f := newFixture(t, withSeen(&bottest.Seen{Err: errors.New("disk I/O error")}))
	if code, raw := f.post(t, commandInteraction([]any{sub("mine")}, nil)); code != http.StatusServiceUnavailable {
		t.Errorf("status %d %v, want 503", code, raw)
	}
	if n := f.router.calls(); n != 0 {
		t.Errorf("router saw %d commands, want none", n)
	}
}

// With guild_ids set, commands and clicks from other servers and from
// direct messages get a short private answer and never reach the router;
// autocomplete offers nothing; Discord's ping is still answered. The
// listed server is served.
func TestGuildAllowList(t *testing.T) {
	f := newFixture(t, withGuilds("1500000000000000001"), withBadges([]*bot.Badge{{Slug: "first-pr", Name: "First"}}, nil))
	inGuild := func(in map[string]any, guild string) map[string]any {
		if guild == "" {
			delete(in, "guild_id")
			in["user"] = in["member"].(map[string]any)["user"]
			delete(in, "member")
		} else {
			in["guild_id"] = guild
		}
		return in
	}
	for name, in := range map[string]map[string]any{
		"command from another server": inGuild(commandInteraction([]any{sub("mine")}, nil), "1500000000000000666"),
		"command in a direct message": inGuild(commandInteraction([]any{sub("list")}, nil), ""),
		"click from another server":   inGuild(buttonInteraction("approve:n-42"), "1500000000000000666"),
	} {
		code, got := f.post(t, in)
		data, _ := got["data"].(map[string]any)
		if code != http.StatusOK || data == nil || data["flags"] != 64.0 || !strings.Contains(mustString(t, data), notServed) {
			t.Errorf("%s: %d %v, want a private %q", name, code, got, notServed)
		}
	}
	auto := inGuild(map[string]any{"type": 4, "member": memberOf(alice, "alice", ""), "data": map[string]any{"name": "badge",
		"options": []any{sub("show", focused("badge", "fi"))}}}, "1500000000000000666")
	if code, got := f.post(t, auto); code != http.StatusOK || mustString(t, got["data"]) != `{"choices":[]}` {
		t.Errorf("autocomplete from another server: %d %v, want no choices", code, got)
	}
	if n := f.router.calls(); n != 0 {
		t.Fatalf("router saw %d requests from outside the listed server", n)
	}
	if code, got := f.postRaw(t, pingBody); code != http.StatusOK || !strings.Contains(string(got), `"type":1`) {
		t.Errorf("ping: %d %s", code, got)
	}
	if code, got := f.post(t, commandInteraction([]any{sub("mine")}, nil)); code != http.StatusOK || strings.Contains(mustString(t, got), notServed) {
		t.Errorf("command from the listed server: %d %v", code, got)
	}
	if n := f.router.calls(); n != 1 {
		t.Errorf("router saw %d commands from the listed server, want 1", n)
	}
}

func mustString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
