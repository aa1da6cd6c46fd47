package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// secretTestConfig sets every secret to a value named after its key.
func secretTestConfig() Config {
	c := validTestConfig()
	c.Server.AdminToken = "secret-admin-token"
	c.Slack = SlackConfig{Enabled: true, BotToken: "secret-slack-bot", AppToken: "secret-slack-app", SigningSecret: "secret-slack-signing", APIURL: "http://u:secret-slack-url@fake/"}
	c.Discord = DiscordConfig{Enabled: true, BotToken: "secret-discord-bot", ApplicationID: "1", PublicKey: strings.Repeat("0", 64)}
	c.GitHub = GitHubConfig{WebhookSecret: "secret-github-webhook", Token: "secret-github-token", Repositories: []string{"octo/*"}}
	c.Bugzilla = BugzillaConfig{URL: "https://bmo", APIKey: "secret-bugzilla-key", SecretHeader: "X-T", Secret: "secret-bugzilla-webhook"}
	return c
}

func TestConfigRedacted(t *testing.T) {
	c := secretTestConfig()
	c.Slack.AppToken = "" // an unset secret stays empty
	got := c.Redacted()

	want := c
	want.Server.AdminToken = "[redacted]"
	want.Slack.BotToken, want.Slack.SigningSecret, want.Slack.APIURL = "[redacted]", "[redacted]", "http://u:xxxxx@fake/"
	want.Discord.BotToken = "[redacted]"
	want.GitHub.WebhookSecret, want.GitHub.Token = "[redacted]", "[redacted]"
	want.Bugzilla.APIKey, want.Bugzilla.Secret = "[redacted]", "[redacted]"
	if diff := cmp.Diff(want, got, configCmpOpts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if c.Slack.BotToken != "secret-slack-bot" {
		t.Error("Redacted changed the original")
	}
	got.Badges[1].Owners[0] = "changed"
	got.GitHub.Repositories[0] = "changed"
	if c.Badges[1].Owners[0] == "changed" || c.GitHub.Repositories[0] == "changed" {
		t.Error("Redacted shares slices with the original")
	}
}

// TestConfigFormattingHidesSecrets: every way a Config or one of its tables
// can reach a log or a terminal.
func TestConfigFormattingHidesSecrets(t *testing.T) {
	c := secretTestConfig()
	var jsonLog, textLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("config", "config", c)
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("config", "config", c, "slack", c.Slack)
	outputs := map[string]string{
		"%v":        fmt.Sprintf("%v", c),
		"%+v":       fmt.Sprintf("%+v", c),
		"%#v":       fmt.Sprintf("%#v", c),
		"%s":        fmt.Sprintf("%s.", c),
		"pointer":   fmt.Sprintf("%+v", &c),
		"Sprint":    fmt.Sprint(c),
		"server":    fmt.Sprintf("%v %+v %#v", c.Server, c.Server, c.Server),
		"slack":     fmt.Sprintf("%v %+v %#v", c.Slack, c.Slack, c.Slack),
		"discord":   fmt.Sprintf("%v %+v %#v", c.Discord, c.Discord, c.Discord),
		"github":    fmt.Sprintf("%v %+v %#v", c.GitHub, c.GitHub, c.GitHub),
		"bugzilla":  fmt.Sprintf("%v %+v %#v", c.Bugzilla, c.Bugzilla, c.Bugzilla),
		"slog json": jsonLog.String(),
		"slog text": textLog.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, "secret-") {
			t.Errorf("%s shows a secret:\n%s", name, out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s does not show that secrets are set:\n%s", name, out)
		}
	}
	if got := fmt.Sprintf("%#v", c.GitHub); !strings.HasPrefix(got, `main.GitHubConfig{WebhookSecret:"[redacted]"`) {
		t.Errorf("%%#v = %s", got)
	}
	if got := fmt.Sprintf("%#v", c); !strings.HasPrefix(got, `main.Config{Admins:[]string{"slack:U0ADMIN"}`) {
		t.Errorf("%%#v = %s", got)
	}
	if !strings.Contains(jsonLog.String(), `"listen":"127.0.0.1:8080"`) || !strings.Contains(jsonLog.String(), `"badges":2`) {
		t.Errorf("slog JSON lacks the settings:\n%s", jsonLog.String())
	}
}

// TestConfigStringIsTOML: String prints a configuration file that loads
// back to the same settings, secrets aside.
func TestConfigStringIsTOML(t *testing.T) {
	c := secretTestConfig()
	lines, problems := scanConfigTOML("string", []byte(c.String()))
	if len(problems) > 0 || len(lines) == 0 {
		t.Fatalf("String() is not a configuration file: %v\n%s", problems, c.String())
	}
	var back Config
	if p := decodeConfigTOML("string", []byte(c.String()), &back); p != nil {
		t.Fatal(p)
	}
	if diff := cmp.Diff(c.Redacted(), back, configCmpOpts); diff != "" {
		t.Errorf("(-redacted +loaded back):\n%s", diff)
	}
}
