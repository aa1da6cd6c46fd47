package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/google/go-cmp/cmp"
)

func TestNewChecksConfig(t *testing.T) {
	key := strings.Repeat("ab", 32)
	r, b := &fakeRouter{}, fakeBadges{}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no token", Config{ApplicationID: testAppID, PublicKey: key, Seen: &bottest.Seen{}}, "bot token is empty"},
		{"bare prefix", Config{BotToken: "Bot ", ApplicationID: testAppID, PublicKey: key, Seen: &bottest.Seen{}}, "bot token is empty"},
		{"bad app id", Config{BotToken: testToken, ApplicationID: "app", PublicKey: key, Seen: &bottest.Seen{}}, `application id "app"`},
		{"short key", Config{BotToken: testToken, ApplicationID: testAppID, PublicKey: "abcd"}, "got 4 characters"},
		{"key not hex", Config{BotToken: testToken, ApplicationID: testAppID, PublicKey: strings.Repeat("zz", 32)}, "got 64 characters"},
		{"bad api url", Config{BotToken: testToken, ApplicationID: testAppID, PublicKey: key, APIURL: "ftp://x", Seen: &bottest.Seen{}}, `api url "ftp://x"`},
		{"no seen store", Config{BotToken: testToken, ApplicationID: testAppID, PublicKey: key}, "no store for seen interactions"},
		{"bad guild id", Config{BotToken: testToken, ApplicationID: testAppID, PublicKey: key, GuildIDs: []string{"my-server"}, Seen: &bottest.Seen{}}, `guild id "my-server"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, r, b, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "test-bot-token") {
				t.Errorf("error shows the token: %v", err)
			}
		})
	}
	if _, err := New(Config{BotToken: "Bot " + testToken, ApplicationID: testAppID, PublicKey: key, Seen: &bottest.Seen{}}, r, b, nil); err != nil {
		t.Errorf("token with Bot prefix: %v", err)
	}
	if _, err := New(Config{BotToken: testToken, ApplicationID: testAppID, PublicKey: key, Seen: &bottest.Seen{}}, nil, b, nil); err == nil {
		t.Error("New without a router succeeded")
	}
}

func TestConfigHidesToken(t *testing.T) {
	c := Config{BotToken: testToken, ApplicationID: testAppID}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), c.LogValue().String()} {
		if strings.Contains(s, "test-bot-token") {
			t.Errorf("config printed with its token: %s", s)
		}
	}
}

func TestPostToChannel(t *testing.T) {
	f := newFixture(t, withREST())
	id, err := f.a.Post(context.Background(), review, nominationReview)
	if err != nil {
		t.Fatal(err)
	}
	got := f.rest.message(review, id)
	embeds := got["embeds"].([]any)
	if len(embeds) != 1 || embeds[0].(map[string]any)["title"] != "Nomination: First Pull Request" {
		t.Errorf("embeds = %v", embeds)
	}
	buttons := got["components"].([]any)[0].(map[string]any)["components"].([]any)
	var ids []string
	for _, b := range buttons {
		ids = append(ids, b.(map[string]any)["custom_id"].(string))
	}
	if diff := cmp.Diff([]string{"approve:n-42", "reject:n-42"}, ids); diff != "" {
		t.Errorf("button custom ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"POST /channels/" + review + "/messages"}, f.rest.log()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestPostDirectMessage(t *testing.T) {
	for _, tc := range []struct {
		name, target string
		want         []string
	}{
		{"mention", "<@" + bob + ">", []string{"POST /users/@me/channels", "POST /channels/DM/messages", "POST /channels/DM/messages"}},
		{"recipient", "discord:" + bob, []string{"POST /users/@me/channels", "POST /channels/DM/messages", "POST /channels/DM/messages"}},
		// A bare id is tried as a channel once; then the DM is remembered.
		{"bare user id", bob, []string{"POST /channels/" + bob + "/messages", "POST /users/@me/channels", "POST /channels/DM/messages", "POST /channels/DM/messages"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, withREST())
			first, err := f.a.Post(context.Background(), tc.target, awardAnnouncement)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.a.Post(context.Background(), tc.target, plainReply); err != nil {
				t.Fatal(err)
			}
			dm := f.rest.dmOf(bob)
			want := strings.Join(tc.want, "\n")
			got := strings.ReplaceAll(strings.Join(f.rest.log(), "\n"), dm, "DM")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			desc := f.rest.message(dm, first)["embeds"].([]any)[0].(map[string]any)["description"]
			if !strings.HasPrefix(desc.(string), "<@"+bob+"> earned") {
				t.Errorf("description %q, want a mention of bob", desc)
			}
		})
	}
}

func TestPostToNobody(t *testing.T) {
	f := newFixture(t, withREST())
	_, err := f.a.Post(context.Background(), nobody, plainReply)
	if err == nil || !strings.Contains(err.Error(), "neither a channel") {
		t.Fatalf("Post to an unknown id = %v, want neither a channel nor a user", err)
	}
	if _, err := f.a.Post(context.Background(), "#general", plainReply); err == nil {
		t.Error("Post to a channel name succeeded")
	}
}

func TestUpdate(t *testing.T) {
	for _, target := range []string{review, "<#" + review + ">", bob, "<@" + bob + ">"} {
		t.Run(target, func(t *testing.T) {
			f := newFixture(t, withREST())
			ctx := context.Background()
			id, err := f.a.Post(ctx, target, nominationReview)
			if err != nil {
				t.Fatal(err)
			}
			f.a.dms.reset() // as after a restart: Update finds the DM again
			if err := f.a.Update(ctx, target, id, decidedNomination); err != nil {
				t.Fatal(err)
			}
			ch := review
			if strings.Contains(target, bob) {
				ch = f.rest.dmOf(bob)
			}
			got := f.rest.message(ch, id)
			if diff := cmp.Diff([]any{}, got["components"]); diff != "" {
				t.Errorf("buttons left after the update (-want +got):\n%s", diff)
			}
			if title := got["embeds"].([]any)[0].(map[string]any)["title"]; title != decidedNomination.Title {
				t.Errorf("title %q, want %q", title, decidedNomination.Title)
			}
		})
	}
	f := newFixture(t, withREST())
	if err := f.a.Update(context.Background(), review, "1600000000000000999", plainReply); err == nil || !strings.Contains(err.Error(), "Unknown Message") {
		t.Errorf("Update of a missing message = %v, want Unknown Message", err)
	}
	if err := f.a.Update(context.Background(), review, "", plainReply); err == nil {
		t.Error("Update without a message id succeeded")
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, withREST())
	start := time.Now()
	_, err := f.a.Post(context.Background(), limited, awardAnnouncement)
	var rl *bot.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("Post = %v, want a *bot.RateLimitError", err)
	}
	if rl.RetryAfter != 1500*time.Millisecond {
		t.Errorf("RetryAfter = %s, want 1.5s", rl.RetryAfter)
	}
	if n := len(f.rest.log()); n != 1 {
		t.Errorf("%d requests, want 1: discordgo must not retry", n)
	}
	if time.Since(start) > time.Second {
		t.Errorf("Post took %s: it waited instead of returning", time.Since(start))
	}
	if err := f.a.Update(context.Background(), limited, "1600000000000000001", plainReply); errors.As(err, &rl) {
		t.Errorf("a PATCH that is not rate limited reported %v", err)
	}
}

func TestRegisterCommands(t *testing.T) {
	f := newFixture(t, withREST())
	if err := f.a.RegisterCommands(context.Background()); err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(CommandDefinitions())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), f.rest.lastCommands()); diff != "" {
		t.Errorf("PUT body (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"PUT /applications/" + testAppID + "/commands"}, f.rest.log()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestRESTHonoursContext(t *testing.T) {
	f := newFixture(t, withREST())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.a.Post(ctx, review, plainReply); !errors.Is(err, context.Canceled) {
		t.Errorf("Post with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestWrongTokenIsAnErrorWithoutTheToken(t *testing.T) {
	f := newFixture(t, withREST())
	f.a.session.Token = "Bot wrong-token-value"
	_, err := f.a.Post(context.Background(), review, plainReply)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Post with a wrong token = %v, want a 401 error", err)
	}
	if strings.Contains(err.Error(), "wrong-token-value") {
		t.Errorf("error shows the token: %v", err)
	}
}
