package discord

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

var pingBody = []byte(`{"id":"1400000000000000009","application_id":"` + testAppID + `","type":1,"token":"dG9r","version":1}`)

func TestInteractionsRefusesBadSignatures(t *testing.T) {
	f := newFixture(t)
	_, otherKey, _ := ed25519.GenerateKey(nil)
	cmdBody, _ := json.Marshal(commandInteraction([]any{sub("mine")}, nil))
	sign := func(key ed25519.PrivateKey, ts string, body []byte) string {
		return hex.EncodeToString(ed25519.Sign(key, append([]byte(ts), body...)))
	}
	now := strconv.Itoa(testNowSec)
	for _, tc := range []struct {
		name   string
		modify func(r *http.Request, body *[]byte)
	}{
		{"no signature", func(r *http.Request, _ *[]byte) { r.Header.Del("X-Signature-Ed25519") }},
		{"no timestamp", func(r *http.Request, _ *[]byte) { r.Header.Del("X-Signature-Timestamp") }},
		{"signature not hex", func(r *http.Request, _ *[]byte) { r.Header.Set("X-Signature-Ed25519", "zz") }},
		{"short signature", func(r *http.Request, _ *[]byte) { r.Header.Set("X-Signature-Ed25519", "abcd") }},
		{"other key", func(r *http.Request, b *[]byte) { r.Header.Set("X-Signature-Ed25519", sign(otherKey, now, *b)) }},
		{"altered body", func(_ *http.Request, b *[]byte) { *b = bytes.Replace(*b, []byte(`"mine"`), []byte(`"list"`), 1) }},
		{"altered timestamp", func(r *http.Request, _ *[]byte) { r.Header.Set("X-Signature-Timestamp", strconv.Itoa(testNowSec+1)) }},
		{"stale timestamp", func(r *http.Request, b *[]byte) {
			ts := strconv.Itoa(testNowSec - 301)
			r.Header.Set("X-Signature-Timestamp", ts)
			r.Header.Set("X-Signature-Ed25519", sign(f.key, ts, *b))
		}},
		{"future timestamp", func(r *http.Request, b *[]byte) {
			ts := strconv.Itoa(testNowSec + 301)
			r.Header.Set("X-Signature-Timestamp", ts)
			r.Header.Set("X-Signature-Ed25519", sign(f.key, ts, *b))
		}},
		{"timestamp not a number", func(r *http.Request, b *[]byte) {
			r.Header.Set("X-Signature-Timestamp", "2026-11-26T12:00:00Z")
			r.Header.Set("X-Signature-Ed25519", sign(f.key, "2026-11-26T12:00:00Z", *b))
		}},
		{"huge timestamp", func(r *http.Request, b *[]byte) {
			r.Header.Set("X-Signature-Timestamp", "9223372036854775807")
			r.Header.Set("X-Signature-Ed25519", sign(f.key, "9223372036854775807", *b))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Clone(cmdBody)
			r := f.signedRequest(body, testNowSec)
			tc.modify(r, &body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			w := httptest.NewRecorder()
			f.a.Interactions(w, r)
			if w.Code != http.StatusUnauthorized {
				t.Errorf("status %d, want 401; body %s", w.Code, w.Body)
			}
			if n := f.router.calls(); n != 0 {
				t.Errorf("router called %d times on a refused request", n)
			}
		})
	}
}

func TestInteractionsAcceptsTimestampsWithinWindow(t *testing.T) {
	f := newFixture(t)
	for _, ts := range []int64{testNowSec - 300, testNowSec + 300, testNowSec} {
		w := httptest.NewRecorder()
		f.a.Interactions(w, f.signedRequest(pingBody, ts))
		if w.Code != http.StatusOK {
			t.Errorf("timestamp now%+d: status %d, want 200", ts-testNowSec, w.Code)
		}
	}
}

func TestInteractionsPing(t *testing.T) {
	f := newFixture(t)
	code, got := f.post(t, pingBody)
	if code != http.StatusOK {
		t.Fatalf("status %d, want 200", code)
	}
	if diff := cmp.Diff(map[string]any{"type": 1.0}, got); diff != "" {
		t.Errorf("PING answer (-want +got):\n%s", diff)
	}
}

func TestInteractionsBodyLimitAndMethod(t *testing.T) {
	f := newFixture(t)
	big := append([]byte(`{"type":1,"pad":"`), bytes.Repeat([]byte("x"), MaxBodyBytes)...)
	w := httptest.NewRecorder()
	f.a.Interactions(w, f.signedRequest(append(big, `"}`...), testNowSec))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d, want 413", w.Code)
	}
	w = httptest.NewRecorder()
	f.a.Interactions(w, httptest.NewRequest(http.MethodGet, "/discord/interactions", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", w.Code)
	}
}

func TestInteractionsBadRequests(t *testing.T) {
	f := newFixture(t)
	noUser := commandInteraction([]any{sub("mine")}, nil)
	delete(noUser, "member")
	noData := commandInteraction(nil, nil)
	delete(noData, "data")
	for _, tc := range []struct {
		name string
		body any
	}{
		{"not JSON", []byte("type=1")},
		{"unknown type", []byte(`{"type":9,"id":"1"}`)},
		{"modal submit", []byte(`{"type":5,"data":{"custom_id":"x","components":[]}}`)},
		{"no user", noUser},
		{"no data", noData},
		{"missing required option", commandInteraction([]any{sub("show")}, nil)},
		{"user option not an id", commandInteraction([]any{sub("of", usr("user", "@everyone"))}, nil)},
		{"string option a number", commandInteraction([]any{sub("show", map[string]any{"name": "badge", "type": 3, "value": 7})}, nil)},
		{"select menu", func() map[string]any {
			b := buttonInteraction("approve:n-1")
			b["data"] = map[string]any{"custom_id": "pick", "component_type": 3, "values": []string{"a"}}
			return b
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _ := f.post(t, tc.body); code != http.StatusBadRequest {
				t.Errorf("status %d, want 400", code)
			}
		})
	}
	if n := f.router.calls(); n != 0 {
		t.Errorf("router called %d times on bad requests", n)
	}
}

func TestSlashCommandsBecomeTextCommands(t *testing.T) {
	bobNames := map[string]string{"discord:" + bob: "Bobby"}
	bobResolved := resolvedUser(bob, "bob", "Bob B", "Bobby")
	for _, tc := range []struct {
		name     string
		options  []any
		resolved map[string]any
		text     string
		names    map[string]string
	}{
		{"help", []any{sub("help")}, nil, "help", nil},
		{"help command", []any{sub("help", str("command", "nominate"))}, nil, "help nominate", nil},
		{"list", []any{sub("list")}, nil, "list", nil},
		{"list program", []any{sub("list", str("program", "docs"))}, nil, "list docs", nil},
		{"show", []any{sub("show", str("badge", "first-pr"))}, nil, "show first-pr", nil},
		{"nominate", []any{sub("nominate", usr("user", bob), str("badge", "first-pr"), str("reason", "  great\nwork  "))}, bobResolved,
			"nominate @discord:" + bob + " first-pr great work", bobNames},
		{"nominate options in any order", []any{sub("nominate", str("reason", "thanks <@!"+carol+">"), str("badge", "first-pr"), usr("user", bob))},
			resolvedUser(bob, "bob", "", ""), "nominate @discord:" + bob + " first-pr thanks @discord:" + carol, map[string]string{"discord:" + bob: "bob"}},
		{"nominate global name", []any{sub("nominate", usr("user", bob), str("badge", "first-pr"), str("reason", "x"))},
			resolvedUser(bob, "bob", "Bob B", ""), "nominate @discord:" + bob + " first-pr x", map[string]string{"discord:" + bob: "Bob B"}},
		{"approve", []any{sub("approve", str("id", "n-42"))}, nil, "approve n-42", nil},
		{"reject with reason", []any{sub("reject", str("id", "n-42"), str("reason", "not yet"))}, nil, "reject n-42 not yet", nil},
		{"reject without reason", []any{sub("reject", str("id", "n-42"))}, nil, "reject n-42", nil},
		{"award with evidence", []any{sub("award", usr("user", bob), str("badge", "docs-hero"), str("evidence", "https://example.org/pr/1"))}, bobResolved,
			"award @discord:" + bob + " docs-hero https://example.org/pr/1", bobNames},
		{"award without evidence", []any{sub("award", usr("user", bob), str("badge", "docs-hero"))}, bobResolved,
			"award @discord:" + bob + " docs-hero", bobNames},
		{"revoke", []any{sub("revoke", str("award_id", "01JD7Z8W"), str("reason", "granted by mistake"))}, nil, "revoke 01JD7Z8W granted by mistake", nil},
		{"mine", []any{sub("mine")}, nil, "mine", nil},
		{"of", []any{sub("of", usr("user", bob))}, bobResolved, "of @discord:" + bob, bobNames},
		{"of unresolved", []any{sub("of", usr("user", bob))}, nil, "of @discord:" + bob, nil},
		{"progress", []any{sub("progress")}, nil, "progress", nil},
		{"progress badge", []any{sub("progress", str("badge", "first-pr"))}, nil, "progress first-pr", nil},
		{"why", []any{sub("why", usr("user", bob), str("badge", "first-pr"))}, bobResolved, "why @discord:" + bob + " first-pr", bobNames},
		{"link github", []any{group("link", sub("github", str("login", "octocat")))}, nil, "link github octocat", nil},
		{"link bugzilla", []any{group("link", sub("bugzilla", str("email", "dev@example.org")))}, nil, "link bugzilla dev@example.org", nil},
		{"leaderboard", []any{sub("leaderboard")}, nil, "leaderboard", nil},
		{"leaderboard program", []any{sub("leaderboard", str("program", "docs"))}, nil, "leaderboard docs", nil},
		{"settings", []any{group("settings", sub("show"))}, nil, "settings", nil},
		{"settings announce", []any{group("settings", sub("announce", str("where", "dm")))}, nil, "settings announce dm", nil},
		{"digest", []any{sub("digest")}, nil, "digest now", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			code, _ := f.post(t, commandInteraction(tc.options, tc.resolved))
			if code != http.StatusOK {
				t.Fatalf("status %d, want 200", code)
			}
			want := []bot.Command{{
				Platform: bot.PlatformDiscord, Caller: bot.Recipient{Platform: bot.PlatformDiscord, ID: alice},
				CallerName: "Ali", Channel: announce, Text: tc.text, Names: tc.names,
			}}
			if diff := cmp.Diff(want, f.router.commands); diff != "" {
				t.Errorf("command (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSlashCommandInDirectMessage(t *testing.T) {
	f := newFixture(t)
	in := commandInteraction([]any{sub("mine")}, nil)
	delete(in, "member")
	in["user"] = map[string]any{"id": alice, "username": "alice", "global_name": "Alice L"}
	in["channel_id"] = "1800000000000000001"
	if code, _ := f.post(t, in); code != http.StatusOK {
		t.Fatalf("status %d, want 200", code)
	}
	want := bot.Command{Platform: bot.PlatformDiscord, Caller: bot.Recipient{Platform: bot.PlatformDiscord, ID: alice},
		CallerName: "Alice L", Channel: "1800000000000000001", Text: "mine"}
	if diff := cmp.Diff([]bot.Command{want}, f.router.commands); diff != "" {
		t.Errorf("command (-want +got):\n%s", diff)
	}
}

func TestSlashCommandUsageErrorsAnswerPrivately(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		in   map[string]any
		want string
	}{
		{"badge with a space", commandInteraction([]any{sub("show", str("badge", "first pr"))}, nil), "badge must be one word, e.g. /badge show first-pr."},
		{"empty login", commandInteraction([]any{group("link", sub("github", str("login", "  ")))}, nil), "login is empty: type /badge link github octocat."},
		{"unknown choice", commandInteraction([]any{group("settings", sub("announce", str("where", "loud")))}, nil), "where: choose public, dm, off."},
		{"unknown subcommand", commandInteraction([]any{sub("dance")}, nil), "Unknown command: type /badge help to see what badgebot can do."},
		{"other command", func() map[string]any {
			in := commandInteraction([]any{sub("help")}, nil)
			in["data"].(map[string]any)["name"] = "kudos"
			return in
		}(), "Unknown command: type /badge help to see what badgebot can do."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, got := f.post(t, tc.in)
			if code != http.StatusOK {
				t.Fatalf("status %d, want 200", code)
			}
			want := map[string]any{"type": 4.0, "data": map[string]any{
				"embeds": []any{map[string]any{"description": tc.want}}, "components": []any{}, "flags": 64.0, "allowed_mentions": noMentions,
			}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
	if n := f.router.calls(); n != 0 {
		t.Errorf("router called %d times for usage errors", n)
	}
}

func TestSlashCommandReplies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		private bool
	}{{"public", false}, {"private", true}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.router.reply = bot.Reply{Message: nominationReview, Private: tc.private}
			code, got := f.postRaw(t, commandInteraction([]any{sub("list")}, nil))
			if code != http.StatusOK {
				t.Fatalf("status %d, want 200", code)
			}
			goldenFile(t, "interactions/reply-"+tc.name+".json", indented(t, got))
		})
	}
}

func TestAutocompleteBadges(t *testing.T) {
	var many []*bot.Badge
	for i := range 30 {
		many = append(many, &bot.Badge{Slug: "streak-" + strconv.Itoa(i), Name: "Streak " + strconv.Itoa(i)})
	}
	list := append([]*bot.Badge{
		{Slug: "first-pr", Name: "First Pull Request", Nominations: true},
		{Slug: "bug-hunter", Name: "Bug Hunter", Nominations: true},
		{Slug: "bug-squasher", Name: "Bug Squasher"}, // not open to nominations
		{Slug: "docs-hero", Name: "Fine Docs"},
		nil,
	}, many...)
	auto := func(opts ...any) map[string]any {
		in := commandInteraction(opts, nil)
		in["type"] = 4
		return in
	}
	for _, tc := range []struct {
		name  string
		in    map[string]any
		err   error
		slugs []string
	}{
		{"slug prefix", auto(sub("show", focused("badge", "fi"))), nil, []string{"first-pr", "docs-hero"}},
		{"name prefix, any case", auto(sub("show", focused("badge", "BUG"))), nil, []string{"bug-hunter", "bug-squasher"}},
		{"nominate offers nominable badges", auto(sub("nominate", usr("user", bob), focused("badge", "bug"))), nil, []string{"bug-hunter"}},
		{"at most 25", auto(sub("progress", focused("badge", ""))), nil, nil},
		{"no match", auto(sub("show", focused("badge", "zzz"))), nil, []string{}},
		{"focused option not a badge", auto(sub("reject", focused("id", "n"))), nil, []string{}},
		{"unknown subcommand", auto(sub("dance", focused("badge", ""))), nil, []string{}},
		{"store fails", auto(sub("show", focused("badge", "fi"))), errors.New("database is locked"), []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, withBadges(list, tc.err))
			code, got := f.post(t, tc.in)
			if code != http.StatusOK {
				t.Fatalf("status %d, want 200", code)
			}
			if got["type"] != 8.0 {
				t.Errorf("type %v, want 8", got["type"])
			}
			choices, ok := got["data"].(map[string]any)["choices"].([]any)
			if !ok {
				t.Fatalf("no choices array in %v", got)
			}
			if tc.slugs == nil {
				if len(choices) != maxChoices {
					t.Errorf("%d choices, want %d", len(choices), maxChoices)
				}
				return
			}
			slugs := []string{}
			for _, c := range choices {
				slugs = append(slugs, c.(map[string]any)["value"].(string))
			}
			if diff := cmp.Diff(tc.slugs, slugs); diff != "" {
				t.Errorf("choices (-want +got):\n%s", diff)
			}
		})
	}
	f := newFixture(t, withBadges(list, nil))
	_, got := f.post(t, auto(sub("show", focused("badge", "first"))))
	want := []any{map[string]any{"name": "First Pull Request (first-pr)", "value": "first-pr"}}
	if diff := cmp.Diff(want, got["data"].(map[string]any)["choices"]); diff != "" {
		t.Errorf("choice (-want +got):\n%s", diff)
	}
}

func TestButtonClickUpdatesMessage(t *testing.T) {
	f := newFixture(t)
	f.router.reply = bot.Reply{Message: bot.Message{Text: "Approved."}, Update: &decidedNomination}
	code, got := f.postRaw(t, buttonInteraction("approve:n-42:x"))
	if code != http.StatusOK {
		t.Fatalf("status %d, want 200", code)
	}
	want := []bot.Click{{
		Platform: bot.PlatformDiscord, Caller: bot.Recipient{Platform: bot.PlatformDiscord, ID: alice}, CallerName: "alice",
		Action: "approve", Value: "n-42:x", Channel: review, MessageID: buttonMsg,
	}}
	if diff := cmp.Diff(want, f.router.clicks); diff != "" {
		t.Errorf("click (-want +got):\n%s", diff)
	}
	goldenFile(t, "interactions/click-update.json", indented(t, got))
}

func TestButtonClickReplyIsPrivate(t *testing.T) {
	f := newFixture(t)
	f.router.reply = bot.Reply{Message: bot.Message{Text: "Only owners of First Pull Request can approve."}}
	code, got := f.post(t, buttonInteraction("approve:n-42"))
	if code != http.StatusOK {
		t.Fatalf("status %d, want 200", code)
	}
	want := map[string]any{"type": 4.0, "data": map[string]any{
		"embeds":     []any{map[string]any{"description": "Only owners of First Pull Request can approve."}},
		"components": []any{}, "flags": 64.0, "allowed_mentions": noMentions,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	if c := f.router.clicks[0]; c.Action != "approve" || c.Value != "n-42" {
		t.Errorf("click %+v, want approve n-42", c)
	}
}

func TestCommandDefinitionsGolden(t *testing.T) {
	defs := CommandDefinitions()
	raw := mustJSON(t, defs)
	goldenFile(t, "commands.json", raw)
	var cmds []map[string]any
	if err := json.Unmarshal(raw, &cmds); err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		if p := checkCommand(c, 0); p != "" {
			t.Errorf("Discord would refuse the commands: %s", p)
		}
	}
	// Every subcommand of DESIGN section 4 is there once.
	var words []string
	for _, s := range subcommands() {
		words = append(words, s.words)
	}
	want := "help list show nominate approve reject award revoke mine of progress why link github link bugzilla leaderboard settings settings announce digest now"
	if got := strings.Join(words, " "); got != want {
		t.Errorf("subcommands:\n got %s\nwant %s", got, want)
	}
}
