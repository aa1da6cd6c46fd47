package main

import (
	"context"
	"strings"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/integrations/discord"
	"github.com/badgebot/badgebot/integrations/github"
	"github.com/badgebot/badgebot/integrations/slack"
)

func runSetupSlack(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("setup slack", false)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	out, err := slack.Manifest(cfg.Issuer.Name, cfg.Server.PublicURL, cfg.Slack.AppToken != "")
	if err != nil {
		return bot.Errorf(bot.EINVALID, "%s", err.Error())
	}
	c.printf("%s\n", out)
	return nil
}

func runSetupDiscord(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("setup discord", false)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	d := cfg.Discord
	if d.BotToken == "" || d.ApplicationID == "" {
		return bot.Errorf(bot.EINVALID, "setup discord: set discord.bot_token and discord.application_id (Developer Portal: Bot and General Information) first")
	}
	admin, err := discord.NewAdmin(discord.Config{BotToken: d.BotToken.Reveal(), ApplicationID: d.ApplicationID, APIURL: d.APIURL.Reveal()})
	if err != nil {
		return bot.Errorf(bot.EINVALID, "setup discord: %s", err.Error())
	}
	app, err := admin.Application(ctx)
	if err != nil {
		return err
	}
	n, err := admin.RegisterCommands(ctx)
	if err != nil {
		return err
	}
	endpoint := cfg.Server.PublicURL + "/discord/interactions"
	c.printf("registered /badge for application %s (%s): %d global command(s)\n", app.Name, app.ID, n)
	switch app.InteractionsURL {
	case endpoint:
		c.printf("interactions endpoint URL: %s (already set in the Developer Portal)\n", endpoint)
	case "":
		c.printf("interactions endpoint URL: %s\n  set it under General Information in the Developer Portal\n", endpoint)
	default:
		c.printf("interactions endpoint URL: %s\n  the Developer Portal has %s: change it under General Information\n", endpoint, app.InteractionsURL)
	}
	c.printf("invite link (scopes %s): %s\n", discord.InviteScopes, discord.InviteURL(app.ID))
	return nil
}

func runSetupGitHub(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("setup github", false)
	var repos stringList
	fs.Var(&repos, "repo", "OWNER/NAME (repeatable)")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if len(repos) == 0 {
		return usagef("setup github: --repo OWNER/NAME is required")
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if cfg.GitHub.Token == "" {
		return bot.Errorf(bot.EINVALID, "setup github: set github.token (or BADGEBOT_GITHUB_TOKEN) to a token that may administer the repository's webhooks")
	}
	client, err := github.NewClient(cfg.GitHub.Token.Reveal(), cfg.GitHub.APIURL.Reveal(), nil)
	if err != nil {
		return err
	}
	url := cfg.Server.PublicURL + "/webhooks/github"
	var failed error
	for _, repo := range repos {
		res, id, err := client.EnsureHook(ctx, repo, url, cfg.GitHub.WebhookSecret.Reveal())
		if err != nil {
			c.printf("%s: failed: %s\n", repo, oneLine(err))
			failed = silentError{err}
			continue
		}
		c.printf("%s: webhook %d %s: %s, content type json, events %s, secret github.webhook_secret\n",
			repo, id, res, url, strings.Join(github.HookEvents, ", "))
		if !watched(cfg.GitHub.Repositories, repo) {
			c.printf("  note: %s is not in github.repositories, so backfill and doctor do not look at it\n", repo)
		}
	}
	return failed
}

// watched reports whether repo is named by github.repositories (an
// "owner/*" names every repository of owner).
func watched(list []string, repo string) bool {
	owner, _, _ := strings.Cut(repo, "/")
	for _, r := range list {
		if strings.EqualFold(r, repo) || strings.EqualFold(r, owner+"/*") {
			return true
		}
	}
	return false
}
