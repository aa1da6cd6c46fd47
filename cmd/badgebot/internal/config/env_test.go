package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadConfigEnvOverrides(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want func(*Config)
	}{
		{"string", []string{"BADGEBOT_SLACK_BOT_TOKEN=xoxb-from-env"}, func(c *Config) { c.Slack.BotToken = "xoxb-from-env" }},
		{"string set empty", []string{"BADGEBOT_GITHUB_WEBHOOK_SECRET="}, func(c *Config) { c.GitHub.WebhookSecret = "" }},
		{"top-level string", []string{"BADGEBOT_LOG_LEVEL=debug"}, func(c *Config) { c.LogLevel = "debug" }},
		{"list", []string{"BADGEBOT_GITHUB_REPOSITORIES= octo/cat , octo/* ,,"}, func(c *Config) {
			c.GitHub.Repositories = []string{"octo/cat", "octo/*"}
		}},
		{"top-level list replaces the file's", []string{"BADGEBOT_ADMINS=github:octocat,email:ada@example.org"}, func(c *Config) {
			c.Admins = []string{"github:octocat", "email:ada@example.org"}
		}},
		{"empty list", []string{"BADGEBOT_ADMINS="}, func(c *Config) { c.Admins = []string{} }},
		{"bool", []string{"BADGEBOT_SLACK_ENABLED=true", "BADGEBOT_DIGEST_ANNOUNCE=0", "BADGEBOT_DISCORD_GATEWAY= TRUE "}, func(c *Config) {
			c.Slack.Enabled, c.Digest.Announce, c.Discord.Gateway = true, false, true
		}},
		{"int", []string{"BADGEBOT_NOMINATIONS_WEEKLY_CAP=3"}, func(c *Config) { c.Nominations.WeeklyCap = 3 }},
		{"last one wins", []string{"BADGEBOT_SERVER_LISTEN=:1", "BADGEBOT_SERVER_LISTEN=:2"}, func(c *Config) { c.Server.Listen = ":2" }},
		{"public_url normalised", []string{"BADGEBOT_SERVER_PUBLIC_URL=https://badges.example.org/"}, func(c *Config) {
			c.Server.PublicURL = "https://badges.example.org"
		}},
		{"slack api_url normalised", []string{"BADGEBOT_SLACK_API_URL=http://127.0.0.1:9/api"}, func(c *Config) {
			c.Slack.APIURL = "http://127.0.0.1:9/api/"
		}},
		{"others ignored", []string{"PATH=/bin", "BADGEBOT_CONFIG=x.toml", "BADGEBOT_HOME=/x", "badgebot_server_listen=:3", "NOEQUALS"}, func(*Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load("../../../../config.example.toml", tt.env)
			if err != nil {
				t.Fatal(err)
			}
			want := loadExampleConfig(t)
			tt.want(&want)
			if diff := cmp.Diff(want, got, configCmpOpts); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadConfigEnvErrors(t *testing.T) {
	env := []string{
		"BADGEBOT_SLACK_ENABLED=yes please",
		"BADGEBOT_NOMINATIONS_WEEKLY_CAP=five",
		"BADGEBOT_SLACK_BOT_TOKN=env-slack-secret",
		"BADGEBOT_SLACK_SIGNING_SECRET=env-signing-secret",
		"BADGEBOT_DIGEST_ANNOUNCE=",
	}
	_, err := Load("../../../../config.example.toml", env)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a *Error", err)
	}
	want := []string{
		`BADGEBOT_SLACK_ENABLED: slack.enabled: want true or false, got "yes please"`,
		`BADGEBOT_NOMINATIONS_WEEKLY_CAP: nominations.weekly_cap: want an integer, got "five"`,
		`BADGEBOT_SLACK_BOT_TOKN: unknown variable: no key "bot_tokn" in [slack]`,
		`BADGEBOT_DIGEST_ANNOUNCE: digest.announce: want true or false, got ""`,
	}
	if diff := cmp.Diff(want, ce.Problems); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestLoadConfigFileAndEnvErrorsTogether: one run reports both.
func TestLoadConfigFileAndEnvErrorsTogether(t *testing.T) {
	_, err := Load("testdata/duplicate-key.toml", []string{"BADGEBOT_SLACK_ENABLED=maybe"})
	var ce *Error
	if !errors.As(err, &ce) || len(ce.Problems) != 2 {
		t.Fatalf("got %v, want two problems", err)
	}
}

// TestValidateNamesEnvVariables: a bad value from the environment is
// reported against its variable, not against the file line it replaced.
func TestValidateNamesEnvVariables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env.toml")
	file := "admins = [\"slack:U0ADMIN\"]\n[server]\nlisten = \":8080\"\n[slack]\nbot_token = \"\"\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, []string{
		"BADGEBOT_SERVER_LISTEN=nowhere",
		"BADGEBOT_ADMINS=slack:U0ADMIN,nobody",
		"BADGEBOT_SLACK_ENABLED=true",
	})
	if err != nil {
		t.Fatal(err)
	}
	var ce *Error
	if !errors.As(cfg.Validate(configCheckCron), &ce) {
		t.Fatal("Validate passed")
	}
	want := []string{
		`BADGEBOT_ADMINS: admins[1]: recipient "nobody": want PLATFORM:ID, e.g. github:octocat or email:ada@example.org`,
		`BADGEBOT_SERVER_LISTEN: server.listen: "nowhere" is not host:port, e.g. 127.0.0.1:8080 or :8080`,
		path + `:4: slack.signing_secret: is required`, // not in the file: its table's line
		path + `:5: slack.bot_token: is required`,
	}
	if diff := cmp.Diff(want, ce.Problems); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
