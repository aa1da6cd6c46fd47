package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// validTestConfig is a valid configuration with every kind of entry and no
// recorded origins, so messages carry no file prefix.
func validTestConfig() Config {
	c := Default()
	c.Admins = []string{"slack:U0ADMIN"}
	c.Badges = []BadgeConfig{
		{Slug: "first-pr", Name: "First PR", Description: "d", Criteria: "c", Approvals: 1, Nominations: true},
		{Slug: "squasher", Name: "Squasher", Description: "d", Criteria: "c", Image: "art/squash.SVG",
			Owners: []string{"github:octocat", "email:ada@example.org"}, Approvals: 3, Nominations: true},
	}
	c.Rules = []RuleConfig{
		{Name: "pr", Badge: "first-pr", Event: "github.pull_request.merged", Threshold: 1, Repositories: []string{"octo/*"}, Window: "30d"},
		{Name: "bug", Badge: "squasher", Event: "bugzilla.bug.fixed", Threshold: 2, Products: []string{"Firefox"}, Components: []string{"General"}},
	}
	return c
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"valid", func(*Config) {}, nil},
		{"valid with every platform", func(c *Config) {
			c.Slack = SlackConfig{Enabled: true, BotToken: "b", SigningSecret: "s", APIURL: "http://127.0.0.1:1/api/"}
			c.Discord = DiscordConfig{Enabled: true, Gateway: true, BotToken: "b", ApplicationID: "80351110224678912", PublicKey: strings.Repeat("aB", 32)}
			c.Bugzilla = BugzillaConfig{URL: "https://bugzilla.mozilla.org", Secret: "s", SecretHeader: "X-Webhook-Token"}
			c.GitHub.Repositories = []string{"octo/cat", "octo/*"}
			c.Server.Listen, c.Digest.Timezone = ":0", "Europe/Berlin"
		}, nil},
		{"valid with programs", func(c *Config) {
			c.Programs = []ProgramConfig{
				{Slug: "docs", Name: "Docs", Color: "#0B6E4F", Image: "testdata/logo.png", URL: "https://docs.example.org",
					Owners: []string{"slack:U0DOCS"}, Slack: ProgramChannels{AnnounceChannel: "C1"}, Digest: true},
				{Slug: "forum", Name: "Forum", Color: "#abc", Image: "testdata/programs-ok.svg"},
			}
			c.Badges[0].Program = "docs"
			// The program's owners count as approvers.
			c.Badges[1].Program, c.Badges[1].Owners, c.Badges[1].Approvals = "docs", nil, 2
		}, nil},
		{"program owners approve", func(c *Config) {
			c.Programs = []ProgramConfig{{Slug: "docs", Name: "Docs"}}
			c.Badges[1].Program, c.Badges[1].Owners, c.Badges[1].Approvals = "docs", nil, 2
		}, []string{`badges[1].approvals: 2 approvals needed but only 1 owners and admins may approve`}},
		{"log level", func(c *Config) { c.LogLevel = "loud" }, []string{`log_level: "loud" is not debug, info, warn or error`}},
		{"admins", func(c *Config) { c.Admins = []string{"slack:U0ADMIN", "irc:x", "console:me", "github:-bad-"} }, []string{
			`admins[1]: recipient "irc:x": unknown platform "irc" (want email, github, bugzilla, slack, discord or console)`,
			`admins[2]: "console:me": want email, github, slack, discord or bugzilla, not console`,
			`admins[3]: recipient "github:-bad-": not a valid github id`,
		}},
		{"listen", func(c *Config) { c.Server.Listen = "8080" }, []string{`server.listen: "8080" is not host:port, e.g. 127.0.0.1:8080 or :8080`}},
		{"listen port", func(c *Config) { c.Server.Listen = "localhost:http" }, []string{`server.listen: port "http" is not a number from 0 to 65535`}},
		{"listen port range", func(c *Config) { c.Server.Listen = ":70000" }, []string{`server.listen: port "70000" is not a number from 0 to 65535`}},
		{"public_url relative", func(c *Config) { c.Server.PublicURL = "/badges" }, []string{`server.public_url: "/badges" is not an absolute http:// or https:// URL`}},
		{"public_url scheme", func(c *Config) { c.Server.PublicURL = "ftp://x.org" }, []string{`server.public_url: "ftp://x.org" is not an absolute http:// or https:// URL`}},
		{"public_url slash", func(c *Config) { c.Server.PublicURL = "https://x.org/" }, []string{`server.public_url: must not end in /`}},
		{"public_url query", func(c *Config) { c.Server.PublicURL = "https://x.org?a=b" }, []string{`server.public_url: must have no query or fragment`}},
		{"public_url password", func(c *Config) { c.Server.PublicURL = "https://u:hunter2@x.org" }, []string{`server.public_url: "https://u:xxxxx@x.org" must not carry a user name or password`}},
		{"public_url empty", func(c *Config) { c.Server.PublicURL = "" }, []string{`server.public_url: is required`}},
		{"timeouts", func(c *Config) {
			c.Server.ReadTimeout, c.Server.WriteTimeout, c.Server.ShutdownTimeout = "0s", "-1s", ""
		}, []string{
			`server.read_timeout: duration "0s": want a positive duration such as 30d, 2w, 12h or 1d12h`,
			`server.write_timeout: duration "-1s": want a positive duration such as 30d, 2w, 12h or 1d12h`,
			`server.shutdown_timeout: duration "": want a positive duration such as 30d, 2w, 12h or 1d12h`,
		}},
		{"storage and issuer", func(c *Config) { c.Storage.Path, c.Issuer = " ", IssuerConfig{Email: "Ada <ada@x.org>"} }, []string{
			`storage.path: is required`,
			`issuer.name: is required`,
			`issuer.url: is required`,
			`issuer.email: "Ada <ada@x.org>" is not an e-mail address`,
		}},
		{"slack enabled needs tokens", func(c *Config) { c.Slack = SlackConfig{Enabled: true, AppToken: "xapp-1"} }, []string{
			`slack.bot_token: is required`,
			`slack.signing_secret: is required`,
		}},
		{"slack disabled needs nothing", func(c *Config) { c.Slack = SlackConfig{AppToken: "xapp-1"} }, nil},
		{"slack api_url", func(c *Config) { c.Slack.APIURL = "fake.slack/" }, []string{`slack.api_url: "fake.slack/" is not an absolute http:// or https:// URL`}},
		{"discord enabled needs keys", func(c *Config) { c.Discord = DiscordConfig{Enabled: true} }, []string{
			`discord.bot_token: is required`,
			`discord.application_id: is required`,
			`discord.public_key: is required`,
		}},
		{"discord key and id checked even when disabled", func(c *Config) {
			c.Discord = DiscordConfig{ApplicationID: "app-1", PublicKey: strings.Repeat("g", 64), Gateway: true}
		}, []string{
			`discord.application_id: "app-1" is not a Discord id (digits only)`,
			`discord.public_key: want the 64 hex digits of an Ed25519 key, got 64 characters`,
		}},
		{"discord short key", func(c *Config) { c.Discord.PublicKey = "abcd" }, []string{`discord.public_key: want the 64 hex digits of an Ed25519 key, got 4 characters`}},
		{"allow-lists", func(c *Config) {
			c.Slack.TeamIDs = []string{"T0001", "E0ORG1", "example.slack.com"}
			c.Discord.GuildIDs = []string{"1500000000000000001", "", "my-server"}
		}, []string{
			`slack.team_ids[2]: "example.slack.com" is not a Slack workspace id (T… or, for an Enterprise Grid organisation, E…)`,
			`discord.guild_ids[1]: "" is not a Discord server id (digits only)`,
			`discord.guild_ids[2]: "my-server" is not a Discord server id (digits only)`,
		}},
		// No secret is built in and none is required: a source without
		// one is off (its route answers 401), the server still starts.
		{"no webhook secrets", func(c *Config) { c.GitHub.WebhookSecret, c.Bugzilla.Secret = "", "" }, nil},
		{"short tokens", func(c *Config) {
			c.Server.AdminToken, c.Server.MetricsToken = "x", Secret(strings.Repeat("m", MinTokenBytes-1))
		}, []string{
			"server.admin_token: is 1 bytes long: want at least 32 (e.g. `openssl rand -hex 32`), or empty to turn it off",
			"server.metrics_token: is 31 bytes long: want at least 32 (e.g. `openssl rand -hex 32`), or empty to turn it off",
		}},
		{"long tokens", func(c *Config) {
			c.Server.AdminToken, c.Server.MetricsToken = Secret(strings.Repeat("a", MinTokenBytes)), Secret(strings.Repeat("m", 64))
		}, nil},
		{"delivery retention", func(c *Config) { c.Privacy.DeliveryRetention = "forever" }, []string{
			`privacy.delivery_retention: duration "forever": want a positive duration such as 30d, 2w, 12h or 1d12h`,
		}},
		{"delivery retention unset", func(c *Config) { c.Privacy.DeliveryRetention = "" }, []string{
			`privacy.delivery_retention: duration "": want a positive duration such as 30d, 2w, 12h or 1d12h`,
		}},
		{"github repositories", func(c *Config) { c.GitHub.Repositories = []string{"octocat", "octo/[", "/x", "a/b/c", "octo/*"} }, []string{
			`github.repositories[0]: "octocat" is not owner/repo or owner/*`,
			`github.repositories[1]: "octo/[" is not owner/repo or owner/*`,
			`github.repositories[2]: "/x" is not owner/repo or owner/*`,
			`github.repositories[3]: "a/b/c" is not owner/repo or owner/*`,
		}},
		{"github api_url", func(c *Config) { c.GitHub.APIURL = "http://127.0.0.1:1" }, nil},
		{"bugzilla", func(c *Config) { c.Bugzilla = BugzillaConfig{URL: "bugzilla.example.org", SecretHeader: "X Token:"} }, []string{
			`bugzilla.url: "bugzilla.example.org" is not an absolute http:// or https:// URL`,
			`bugzilla.secret_header: "X Token:" is not an HTTP header name`,
		}},
		{"bugzilla empty header", func(c *Config) { c.Bugzilla.SecretHeader = "" }, []string{`bugzilla.secret_header: "" is not an HTTP header name`}},
		{"cron specs", func(c *Config) {
			c.Digest.Schedule, c.Schedule.Sweep, c.Schedule.Backfill, c.Schedule.Expiry = "friday", "", "* * *", "@weekly"
		}, []string{
			`digest.schedule: bad cron spec "friday": expected exactly 5 fields`,
			`schedule.sweep: is required`,
			`schedule.backfill: bad cron spec "* * *": expected exactly 5 fields`,
		}},
		{"timezone", func(c *Config) { c.Digest.Timezone = "Mars/Olympus" }, []string{
			`digest.timezone: unknown time zone "Mars/Olympus" (want an IANA name such as UTC or Europe/Berlin)`,
		}},
		{"nominations", func(c *Config) { c.Nominations = NominationsConfig{WeeklyCap: -1, Expiry: "2 weeks"} }, []string{
			`nominations.weekly_cap: must be 0 (no cap) or more, not -1`,
			`nominations.expiry: duration "2 weeks": want a positive duration such as 30d, 2w, 12h or 1d12h`,
		}},
		{"badge fields", func(c *Config) {
			c.Badges[0] = BadgeConfig{Slug: "First PR", Image: "x.gif", Owners: []string{"slack"}}
		}, []string{
			`badges[0].slug: "First PR" is not a slug: use 1-63 lower-case letters, digits and dashes`,
			`badges[0].name: is required`,
			`badges[0].description: is required`,
			`badges[0].criteria: is required`,
			`badges[0].image: "x.gif" is not a .png or .svg file`,
			`badges[0].owners[0]: recipient "slack": want PLATFORM:ID, e.g. github:octocat or email:ada@example.org`,
			`badges[0].approvals: must be at least 1, not 0`,
			`rules[0].badge: no badge "first-pr" in [[badges]]`,
		}},
		{"badge slug too long", func(c *Config) { c.Badges[0].Slug = strings.Repeat("a", 64); c.Rules = nil }, []string{
			`badges[0].slug: "` + strings.Repeat("a", 64) + `" is not a slug: use 1-63 lower-case letters, digits and dashes`,
		}},
		{"badge slug unique", func(c *Config) { c.Badges[1].Slug = "first-pr" }, []string{
			`badges[1].slug: "first-pr" is already the slug of badges[0]`,
			`rules[1].badge: no badge "squasher" in [[badges]]`,
		}},
		{"approvals beyond approvers", func(c *Config) { c.Badges[1].Approvals = 4 }, []string{
			`badges[1].approvals: 4 approvals needed but only 3 owners and admins may approve`,
		}},
		{"approvals without nominations", func(c *Config) { c.Badges[1].Approvals, c.Badges[1].Nominations = 4, false }, nil},
		{"rule fields", func(c *Config) {
			c.Rules[0] = RuleConfig{Badge: "nope", Event: "github.push", Window: "1y", Repositories: []string{"a/["}}
		}, []string{
			`rules[0].name: is required`,
			`rules[0].badge: no badge "nope" in [[badges]]`,
			`rules[0].event: "github.push" is not one of github.pull_request.merged, github.pull_request_review.approved, github.issues.closed, bugzilla.bug.fixed, bugzilla.bug.created, bugzilla.attachment.reviewed, nomination.approved`,
			`rules[0].threshold: must be at least 1, not 0`,
			`rules[0].repositories[0]: "a/[" is not a valid pattern`,
			`rules[0].window: duration "1y": want a positive duration such as 30d, 2w, 12h or 1d12h`,
		}},
		{"rule names unique", func(c *Config) { c.Rules[1].Name = "pr" }, []string{`rules[1].name: "pr" is already the name of rules[0]`}},
		{"rule filters fit the event", func(c *Config) {
			c.Rules[0].Products, c.Rules[0].Components = []string{"Firefox"}, []string{"General"}
			c.Rules[1].Repositories = []string{"octo/*"}
			c.Rules = append(c.Rules, RuleConfig{Name: "n", Badge: "first-pr", Event: "nomination.approved", Threshold: 1, Repositories: []string{"a/b"}})
		}, []string{
			`rules[0].products: only Bugzilla events have products, not "github.pull_request.merged"`,
			`rules[0].components: only Bugzilla events have components, not "github.pull_request.merged"`,
			`rules[1].repositories: only GitHub events have repositories, not "bugzilla.bug.fixed"`,
			`rules[2].repositories: only GitHub events have repositories, not "nomination.approved"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validTestConfig()
			tt.change(&c)
			err := c.Validate(configCheckCron)
			var got []string
			if err != nil {
				var ce *Error
				if !errors.As(err, &ce) {
					t.Fatalf("error is %T, want *Error", err)
				}
				got = ce.Problems
				if err.Error() != strings.Join(got, "\n") {
					t.Errorf("Error() is not the problems, one per line: %q", err.Error())
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateWithoutCronChecker(t *testing.T) {
	c := validTestConfig()
	c.Schedule.Sweep, c.Schedule.Expiry = "not a spec", ""
	err := c.Validate(nil)
	if err == nil || err.Error() != "schedule.expiry: is required" {
		t.Errorf("Validate(nil) = %v, want only the empty spec reported", err)
	}
}

// TestValidateNeverShowsSecrets sets every secret, and every other key, to a
// distinct bad value and checks that no secret shows in the messages.
func TestValidateNeverShowsSecrets(t *testing.T) {
	c := validTestConfig()
	c.Server = ServerConfig{Listen: "x", PublicURL: "https://user:pw-secret@x.org/", AdminToken: "admin-token-secret"}
	c.Slack = SlackConfig{Enabled: true, BotToken: "slack-bot-secret", AppToken: "slack-app-secret", SigningSecret: "", APIURL: "ftp://u:slack-url-secret@x"}
	c.Discord = DiscordConfig{Enabled: true, BotToken: "discord-bot-secret", PublicKey: "nothex"}
	c.GitHub = GitHubConfig{WebhookSecret: "", Token: "ghp_secret_token", APIURL: "::bad::github-url-secret"}
	c.Bugzilla = BugzillaConfig{URL: "http://u:bz-url-secret@/", APIKey: "bugzilla-api-key-secret", Secret: "bugzilla-shared-secret", SecretHeader: "bad header"}
	err := c.Validate(configCheckCron)
	if err == nil {
		t.Fatal("Validate passed")
	}
	for _, s := range []string{"pw-secret", "admin-token-secret", "slack-bot-secret", "slack-app-secret", "slack-url-secret",
		"discord-bot-secret", "ghp_secret_token", "github-url-secret", "bz-url-secret", "bugzilla-api-key-secret", "bugzilla-shared-secret"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("message shows %q:\n%s", s, err)
		}
	}
}

func TestParseWindow(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"30d", 30 * day},
		{"365d", 365 * day},
		{"2w", 14 * day},
		{"1w2d", 9 * day},
		{"1d12h", day + 12*time.Hour},
		{"1w1d1h1m", 8*day + time.Hour + time.Minute},
		{"12h", 12 * time.Hour},
		{"90m", 90 * time.Minute},
		{"1.5h", 90 * time.Minute},
		{"0d1s", time.Second},
		{"", 0},
		{"0d", 0},
		{"0s", 0},
		{"-1d", 0},
		{"1d-1h", 0},
		{"1y", 0},
		{"1.5d", 0},
		{"d", 0},
		{"30", 0},
		{"2d1w", 0},
		{"1d 2h", 0},
		{"106752d", 0},
		{"15251w", 0},
		{"15000w10000d", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseWindow(tt.in)
			if tt.want == 0 {
				want := fmt.Sprintf("duration %q: want a positive duration such as 30d, 2w, 12h or 1d12h", tt.in)
				if err == nil || err.Error() != want {
					t.Errorf("ParseWindow(%q) = %v, %v; want error %q", tt.in, got, err, want)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseWindow(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}
