package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/bwmarrin/discordgo"
)

// InvitePermissions are the channel permissions the bot needs: see the
// announce and review channels, post in them and show embeds. Editing its
// own messages and DMs need none.
const InvitePermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionEmbedLinks

// InviteScopes are the OAuth2 scopes of the invite link: the bot user, and
// the application's commands in the guild.
const InviteScopes = "bot applications.commands"

// InviteURL returns the link that adds the application to a guild with
// InviteScopes and InvitePermissions.
func InviteURL(applicationID string) string {
	q := url.Values{}
	q.Set("client_id", applicationID)
	q.Set("scope", InviteScopes)
	q.Set("permissions", strconv.FormatInt(InvitePermissions, 10))
	return "https://discord.com/oauth2/authorize?" + q.Encode()
}

// Application is what Discord says of the application a bot token belongs
// to.
type Application struct {
	ID, Name string
	// InteractionsURL is the Interactions Endpoint URL set in the
	// developer portal; empty when none is.
	InteractionsURL string
}

// Admin makes the one-off calls of `badgebot setup discord` and `doctor`:
// it needs the bot token and application id only.
type Admin struct {
	session *discordgo.Session
	appID   string
}

// NewAdmin checks cfg's bot token and application id.
func NewAdmin(cfg Config) (*Admin, error) {
	s, err := newSession(cfg)
	if err != nil {
		return nil, err
	}
	return &Admin{session: s, appID: cfg.ApplicationID}, nil
}

// RegisterCommands replaces the application's global commands with /badge
// (a bulk overwrite: PUT /applications/{id}/commands), and returns how many
// Discord now has.
func (a *Admin) RegisterCommands(ctx context.Context) (int, error) {
	cmds, err := a.session.ApplicationCommandBulkOverwrite(a.appID, "", CommandDefinitions(), discordgo.WithContext(ctx))
	if err != nil {
		return 0, mapError("register commands", err)
	}
	return len(cmds), nil
}

// Application reads the token's application (GET
// /oauth2/applications/@me) and checks it is the configured one.
func (a *Admin) Application(ctx context.Context) (Application, error) {
	body, err := a.session.RequestWithBucketID("GET", discordgo.EndpointOAuth2Application("@me"), nil,
		discordgo.EndpointOAuth2Application(""), discordgo.WithContext(ctx))
	if err != nil {
		return Application{}, mapError("read application", err)
	}
	var app struct {
		ID              string `json:"id"`
		Name            string `json:"name"`
		InteractionsURL string `json:"interactions_endpoint_url"`
	}
	if err := json.Unmarshal(body, &app); err != nil {
		return Application{}, fmt.Errorf("discord: read application: %w", err)
	}
	if app.ID != a.appID {
		return Application{}, fmt.Errorf("discord: the bot token belongs to application %s (%s), not to application_id %s", app.ID, app.Name, a.appID)
	}
	return Application{ID: app.ID, Name: app.Name, InteractionsURL: app.InteractionsURL}, nil
}
