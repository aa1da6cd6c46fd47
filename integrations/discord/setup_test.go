package discord

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAdminRegistersAndReadsApplication(t *testing.T) {
	fake := newFakeDiscord(t)
	a, err := NewAdmin(Config{BotToken: testToken, ApplicationID: testAppID, APIURL: fake.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	n, err := a.RegisterCommands(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("RegisterCommands = %d, %v; want 1 command", n, err)
	}
	want, _ := json.Marshal(CommandDefinitions())
	if diff := cmp.Diff(string(want), fake.lastCommands()); diff != "" {
		t.Errorf("PUT body (-want +got):\n%s", diff)
	}
	app, err := a.Application(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if app != (Application{ID: testAppID, Name: "Badges", InteractionsURL: "https://badges.example.org/discord/interactions"}) {
		t.Errorf("application %+v", app)
	}
	if diff := cmp.Diff([]string{"PUT /applications/" + testAppID + "/commands", "GET /oauth2/applications/@me"}, fake.log()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	other, _ := NewAdmin(Config{BotToken: testToken, ApplicationID: "1099999999999999999", APIURL: fake.srv.URL})
	if _, err := other.Application(context.Background()); err == nil || !strings.Contains(err.Error(), "not to application_id") {
		t.Errorf("token of another application: %v", err)
	}
	wrong, _ := NewAdmin(Config{BotToken: "wrong", ApplicationID: testAppID, APIURL: fake.srv.URL})
	if _, err := wrong.RegisterCommands(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong token: %v", err)
	}
}

func TestInviteURL(t *testing.T) {
	u, err := url.Parse(InviteURL(testAppID))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "discord.com" || u.Path != "/oauth2/authorize" || q.Get("client_id") != testAppID ||
		q.Get("scope") != "bot applications.commands" || q.Get("permissions") != "19456" {
		t.Errorf("invite URL %s", u)
	}
}
