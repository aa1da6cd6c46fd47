package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/slack-go/slack"
)

// BotScopes are the OAuth scopes of the bot token, one for each thing the
// adapter does: answer /badge (commands), post, edit and post ephemeral
// replies (chat:write), open DMs (im:write, conversations.open), look up the
// caller (users:read, users.info) and their verified e-mail
// (users:read.email), and hear app mentions (app_mentions:read).
var BotScopes = []string{"app_mentions:read", "chat:write", "commands", "im:write", "users:read", "users:read.email"}

// manifest is the part of Slack's app manifest that badgebot fills in.
type manifest struct {
	Display  manifestDisplay  `json:"display_information"`
	Features manifestFeatures `json:"features"`
	OAuth    manifestOAuth    `json:"oauth_config"`
	Settings manifestSettings `json:"settings"`
}

type manifestDisplay struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type manifestFeatures struct {
	BotUser       manifestBotUser        `json:"bot_user"`
	SlashCommands []manifestSlashCommand `json:"slash_commands"`
}

type manifestBotUser struct {
	DisplayName  string `json:"display_name"`
	AlwaysOnline bool   `json:"always_online"`
}

type manifestSlashCommand struct {
	Command      string `json:"command"`
	URL          string `json:"url,omitempty"`
	Description  string `json:"description"`
	UsageHint    string `json:"usage_hint,omitempty"`
	ShouldEscape bool   `json:"should_escape"`
}

type manifestOAuth struct {
	Scopes struct {
		Bot []string `json:"bot"`
	} `json:"scopes"`
}

type manifestSettings struct {
	EventSubscriptions manifestEvents        `json:"event_subscriptions"`
	Interactivity      manifestInteractivity `json:"interactivity"`
	OrgDeployEnabled   bool                  `json:"org_deploy_enabled"`
	SocketModeEnabled  bool                  `json:"socket_mode_enabled"`
	TokenRotation      bool                  `json:"token_rotation_enabled"`
}

type manifestEvents struct {
	RequestURL string   `json:"request_url,omitempty"`
	BotEvents  []string `json:"bot_events"`
}

type manifestInteractivity struct {
	IsEnabled  bool   `json:"is_enabled"`
	RequestURL string `json:"request_url,omitempty"`
}

// Manifest returns the JSON app manifest to paste at app creation: the
// /badge command, interactivity (the Approve/Reject buttons), the
// app_mention event and the bot scopes. With socketMode the requests come
// over Socket Mode and the manifest names no URL; otherwise they go to
// publicURL + /slack/commands, /slack/interactions and /slack/events.
func Manifest(appName, publicURL string, socketMode bool) ([]byte, error) {
	publicURL = strings.TrimRight(publicURL, "/")
	if !socketMode && !strings.HasPrefix(publicURL, "https://") {
		return nil, fmt.Errorf("slack: Slack sends requests only to https URLs, and server.public_url is %q (set app_token for Socket Mode, or serve over https)", publicURL)
	}
	name := strings.TrimSpace(appName)
	if name == "" {
		name = "badgebot"
	}
	if r := []rune(name); len(r) > 35 {
		name = strings.TrimSpace(string(r[:35]))
	}
	m := manifest{
		Display: manifestDisplay{Name: name, Description: "Nominate, approve and award Open Badges."},
		Features: manifestFeatures{
			BotUser: manifestBotUser{DisplayName: "badgebot"},
			SlashCommands: []manifestSlashCommand{{
				Command:     "/badge",
				Description: "Nominate, approve and see badges",
				UsageHint:   "help | nominate @user BADGE REASON | mine | list",
				// Mentions arrive as <@U…> ids, which the router needs.
				ShouldEscape: true,
			}},
		},
		Settings: manifestSettings{
			EventSubscriptions: manifestEvents{BotEvents: []string{"app_mention"}},
			Interactivity:      manifestInteractivity{IsEnabled: true},
			SocketModeEnabled:  socketMode,
		},
	}
	m.OAuth.Scopes.Bot = append([]string(nil), BotScopes...)
	if !socketMode {
		m.Features.SlashCommands[0].URL = publicURL + "/slack/commands"
		m.Settings.Interactivity.RequestURL = publicURL + "/slack/interactions"
		m.Settings.EventSubscriptions.RequestURL = publicURL + "/slack/events"
	}
	return json.MarshalIndent(m, "", "  ")
}

// Identity is who a bot token belongs to, from auth.test.
type Identity struct {
	Team, User string
	// Scopes are the token's scopes (the x-oauth-scopes header); Missing
	// the BotScopes among them that it lacks.
	Scopes, Missing []string
}

// CheckToken calls auth.test with the bot token and reads the scopes Slack
// reports for it.
func CheckToken(ctx context.Context, botToken, apiURL string) (Identity, error) {
	if botToken == "" {
		return Identity{}, errors.New("slack: bot_token is empty")
	}
	rec := &scopeRecorder{next: http.DefaultTransport}
	opts := []slack.Option{slack.OptionHTTPClient(&http.Client{Timeout: apiTimeout, Transport: rec})}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	resp, err := slack.New(botToken, opts...).AuthTestContext(ctx)
	if err != nil {
		return Identity{}, fmt.Errorf("slack: auth.test: %w", err)
	}
	id := Identity{Team: resp.Team, User: resp.User}
	have := map[string]bool{}
	for _, s := range strings.Split(rec.scopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			id.Scopes = append(id.Scopes, s)
			have[s] = true
		}
	}
	sort.Strings(id.Scopes)
	for _, s := range BotScopes {
		if !have[s] {
			id.Missing = append(id.Missing, s)
		}
	}
	return id, nil
}

// scopeRecorder keeps the x-oauth-scopes header of the last answer.
type scopeRecorder struct {
	next   http.RoundTripper
	scopes string
}

func (r *scopeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err == nil {
		r.scopes = resp.Header.Get("X-OAuth-Scopes")
	}
	return resp, err
}
