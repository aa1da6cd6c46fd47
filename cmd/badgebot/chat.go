package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/chat"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
	"github.com/badgebot/badgebot/integrations/discord"
	"github.com/badgebot/badgebot/integrations/github"
	"github.com/badgebot/badgebot/integrations/slack"
)

// admins parses the config's admins.
func (a *App) admins() ([]bot.Recipient, error) {
	var admins []bot.Recipient
	for _, s := range a.Config.Admins {
		r, err := bot.ParseRecipient(s)
		if err != nil {
			return nil, fmt.Errorf("config: admins: %w", err)
		}
		admins = append(admins, r)
	}
	return admins, nil
}

// chatPlatforms lists the chat platforms in use, and the review channel
// of those that have one.
func (a *App) chatPlatforms() (platforms []string, review map[string]string) {
	c := a.Config
	review = map[string]string{}
	add := func(platform, channel string) {
		platforms = append(platforms, platform)
		if channel != "" {
			review[platform] = channel
		}
	}
	if c.Slack.Enabled {
		add(bot.PlatformSlack, c.Slack.ReviewChannel)
	}
	if c.Discord.Enabled {
		add(bot.PlatformDiscord, c.Discord.ReviewChannel)
	}
	if a.ConsoleChat {
		add(bot.PlatformConsole, "review")
	}
	return platforms, review
}

// openChat builds the command router and the adapters of the enabled chat
// platforms. The outbox worker is built by outboxWorker, once every platform
// (the console too, for `badgebot chat`) is known.
func (a *App) openChat() error {
	c := a.Config
	admins, err := a.admins()
	if err != nil {
		return err
	}
	var expiry time.Duration
	if c.Nominations.Expiry != "" {
		var err error
		if expiry, err = config.ParseWindow(c.Nominations.Expiry); err != nil {
			return fmt.Errorf("config: nominations.expiry: %w", err)
		}
	}
	// The profile-bio proof reads GitHub's API only when a user asks
	// (`link github LOGIN` again), so it costs no quota while idle.
	gc, err := github.NewClient(c.GitHub.Token.Reveal(), c.GitHub.APIURL.Reveal(), nil)
	if err != nil {
		return err
	}
	a.Linker.Profiles = githubSource{gc}
	_, review := a.chatPlatforms()
	a.Router = chat.NewRouter(chat.RouterConfig{
		Service: a.Service, Store: a.DB, Rules: a.Rules, Linker: a.Linker,
		Repositories: c.GitHub.Repositories, Admins: admins,
		WeeklyCap: c.Nominations.WeeklyCap, Expiry: expiry, ReviewChannels: review,
		Kick:    a.kickOutbox,
		Digest:  a.digestNow,
		BaseURL: c.Server.PublicURL, Log: a.Log,
	})
	a.Nominations = a.Router.Nominations()
	if c.Slack.Enabled {
		s, err := slack.New(slack.Config{
			BotToken: c.Slack.BotToken.Reveal(), AppToken: c.Slack.AppToken.Reveal(),
			SigningSecret: c.Slack.SigningSecret.Reveal(), APIURL: c.Slack.APIURL.Reveal(),
			TeamIDs: c.Slack.TeamIDs, Seen: a.DB,
		}, a.Router, a.Log.With("platform", "slack"))
		if err != nil {
			return err
		}
		a.Slack = s
		a.platforms = append(a.platforms, s)
	}
	if c.Discord.Enabled {
		d, err := discord.New(discord.Config{
			BotToken: c.Discord.BotToken.Reveal(), ApplicationID: c.Discord.ApplicationID,
			PublicKey: c.Discord.PublicKey, APIURL: c.Discord.APIURL.Reveal(), Gateway: c.Discord.Gateway,
			GuildIDs: c.Discord.GuildIDs, Seen: a.DB,
		}, a.Router, a.DB, a.Log.With("platform", "discord"))
		if err != nil {
			return err
		}
		a.Discord = d
		a.platforms = append(a.platforms, d)
	}
	return nil
}

// AddPlatform adds a chat platform (the console) before the app runs or
// delivers anything, and announces awards to its channel.
func (a *App) AddPlatform(p bot.Platform, announceChannel string) {
	a.platforms = append(a.platforms, p)
	a.Service.Targets = append(a.Service.Targets, bot.Target{Platform: p.Name(), Channel: announceChannel})
}

// outboxWorker returns the outbox worker, built on first use.
func (a *App) outboxWorker() *bot.OutboxWorker {
	a.deliverOnce.Do(func() {
		a.Outbox = bot.NewOutboxWorker(bot.OutboxWorkerConfig{Store: a.DB, Platforms: a.platforms, Log: a.Log})
	})
	return a.Outbox
}

func (a *App) kickOutbox() { a.outboxWorker().Kick() }

// DeliverNow posts what the outbox holds for the enabled platforms, so a
// command that awards or revokes has announced it before it exits. What
// fails stays queued for the server's worker.
func (a *App) DeliverNow(ctx context.Context) {
	if len(a.platforms) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := a.outboxWorker().DeliverDue(ctx); err != nil {
		a.Log.Warn("announcements stay queued", "err", err)
	}
}

// chatRoutes registers the Slack and Discord endpoints; a disabled
// platform's endpoints answer 404 with the reason.
func (a *App) chatRoutes(mux *http.ServeMux, wrap func(string, http.Handler) http.Handler) {
	off := func(msg string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSONError(w, http.StatusNotFound, msg)
		})
	}
	slackOff := off("slack is not enabled: set slack.enabled")
	slackRoutes := map[string]http.Handler{
		"POST /slack/commands": slackOff, "POST /slack/interactions": slackOff, "POST /slack/events": slackOff,
	}
	if a.Slack != nil {
		slackRoutes["POST /slack/commands"] = http.HandlerFunc(a.Slack.Commands)
		slackRoutes["POST /slack/interactions"] = http.HandlerFunc(a.Slack.Interactions)
		slackRoutes["POST /slack/events"] = http.HandlerFunc(a.Slack.Events)
	}
	for pattern, h := range slackRoutes {
		mux.Handle(pattern, wrap(pattern, h))
	}
	var d http.Handler = off("discord is not enabled: set discord.enabled")
	if a.Discord != nil {
		d = http.HandlerFunc(a.Discord.Interactions)
	}
	mux.Handle("POST /discord/interactions", wrap("POST /discord/interactions", d))
}

// runChat starts the chat workers: the outbox worker, Slack's Socket Mode
// and Discord's gateway (each returns at once when not configured).
func (a *App) runChat(ctx context.Context, wg *sync.WaitGroup) {
	wg.Go(func() { a.outboxWorker().Run(ctx) })
	if a.Slack != nil {
		wg.Go(func() {
			if err := a.Slack.Run(ctx); err != nil {
				a.Log.Error("slack socket mode", "err", err)
			}
		})
	}
	if a.Discord != nil {
		wg.Go(func() {
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := a.Discord.RegisterCommands(rctx); err != nil {
				a.Log.Warn("discord: registering /badge failed; slash commands may be stale", "err", err)
			}
			if err := a.Discord.Run(ctx); err != nil {
				a.Log.Error("discord gateway", "err", err)
			}
		})
	}
}
