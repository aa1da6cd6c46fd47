package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// secretTestConfig sets every secret to a value named after its key.
func secretTestConfig() Config {
	c := validTestConfig()
	c.Server.AdminToken = "secret-admin-token"
	c.Storage.URL = "postgres://badgebot:secret-pg-password@db/badgebot"
	c.Slack = SlackConfig{Enabled: true, BotToken: "secret-slack-bot", AppToken: "secret-slack-app", SigningSecret: "secret-slack-signing", APIURL: "http://u:secret-slack-url@fake/"}
	c.Discord = DiscordConfig{Enabled: true, BotToken: "secret-discord-bot", ApplicationID: "1", PublicKey: strings.Repeat("0", 64)}
	c.GitHub = GitHubConfig{WebhookSecret: "secret-github-webhook", Token: "secret-github-token", Repositories: []string{"octo/*"}}
	c.Bugzilla = BugzillaConfig{URL: "https://bmo", APIKey: "secret-bugzilla-key", SecretHeader: "X-T", Secret: "secret-bugzilla-webhook"}
	return c
}

// hiddenValues returns the key paths of c whose printed form hides their
// value: secrets that are set, URLs with a password.
func hiddenValues(c Config) []string {
	var out []string
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch x := v.Interface().(type) {
		case Secret:
			if x != "" {
				out = append(out, path)
			}
			return
		case SecretURL:
			if x.String() != x.Reveal() {
				out = append(out, path)
			}
			return
		}
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				if f := v.Type().Field(i); f.IsExported() {
					walk(strings.TrimPrefix(path+"."+cfgTag(f), "."), v.Field(i))
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		}
	}
	walk("", reflect.ValueOf(c))
	return out
}

func TestSecretRedactsItself(t *testing.T) {
	s, u := Secret("hunter2-token"), SecretURL("postgres://u:hunter2@db/x")
	var jsonLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("m", "s", s, "u", u)
	js, err := json.Marshal(map[string]any{"s": s, "u": u})
	if err != nil {
		t.Fatal(err)
	}
	text, err := s.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{
		fmt.Sprint(s, u), fmt.Sprintf("%v %+v %#v %s %q %x %X %10s %d", s, s, s, s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v %s %q %x", u, u, u, u, u, u), s.String(), u.String(),
		string(js), string(text), jsonLog.String(),
	} {
		if strings.Contains(out, "hunter2") || strings.Contains(out, "68756e74") { // hex of "hunt"
			t.Errorf("shows the secret: %s", out)
		}
		if !strings.Contains(out, "[redacted]") && !strings.Contains(out, "xxxxx") {
			t.Errorf("does not show that a secret is set: %s", out)
		}
	}
	if got := fmt.Sprintf("%v|%#v|%s", Secret(""), Secret(""), SecretURL("")); got != `|""|` {
		t.Errorf("unset: %s, want them empty", got)
	}
	if got := u.String(); got != "postgres://u:xxxxx@db/x" {
		t.Errorf("URL: %s, want the host and user shown, the password masked", got)
	}
	if got := SecretURL("host=db password=hunter2").String(); got != "[redacted]" {
		t.Errorf("key=value connection string: %s, want it masked whole", got)
	}
	if s.Reveal() != "hunter2-token" || u.Reveal() != "postgres://u:hunter2@db/x" {
		t.Error("Reveal does not return the value")
	}
}

// TestConfigFormattingHidesSecrets: every way a Config or one of its tables
// can reach a log or a terminal.
func TestConfigFormattingHidesSecrets(t *testing.T) {
	c := secretTestConfig()
	var jsonLog, textLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("config", "config", c)
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("config", "config", c, "slack", c.Slack)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":        fmt.Sprintf("%v", c),
		"%+v":       fmt.Sprintf("%+v", c),
		"%#v":       fmt.Sprintf("%#v", c),
		"%s":        fmt.Sprintf("%s.", c),
		"pointer":   fmt.Sprintf("%+v", &c),
		"Sprint":    fmt.Sprint(c),
		"json":      string(js),
		"server":    fmt.Sprintf("%v %+v %#v", c.Server, c.Server, c.Server),
		"storage":   fmt.Sprintf("%v %+v %#v", c.Storage, c.Storage, c.Storage),
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
		if !strings.Contains(out, "[redacted]") && !strings.Contains(out, "xxxxx") {
			t.Errorf("%s does not show that secrets are set:\n%s", name, out)
		}
	}
	if got := fmt.Sprintf("%#v", c.GitHub); !strings.HasPrefix(got, `config.GitHubConfig{WebhookSecret:"[redacted]"`) {
		t.Errorf("%%#v = %s", got)
	}
	if got := fmt.Sprintf("%#v", c); !strings.HasPrefix(got, `config.Config{Admins:[]string{"slack:U0ADMIN"}`) || strings.Contains(got, "origins:map[string]config.cfgOrigin{\"") {
		t.Errorf("%%#v = %s", got)
	}
	if !strings.Contains(jsonLog.String(), `"listen":"127.0.0.1:8080"`) || !strings.Contains(jsonLog.String(), `"badges":2`) ||
		!strings.Contains(jsonLog.String(), `"url":"postgres://badgebot:xxxxx@db/badgebot"`) {
		t.Errorf("slog JSON lacks the settings:\n%s", jsonLog.String())
	}
}

// TestConfigStringIsTOML: String prints a configuration file that loads
// back to the same settings, secrets aside.
func TestConfigStringIsTOML(t *testing.T) {
	c := secretTestConfig()
	c.Slack.AppToken = "" // an unset secret stays empty
	var back Config
	if p := decodeConfigTOML("string", []byte(c.String()), &back); p != nil {
		t.Fatalf("String() is not a configuration file: %v\n%s", p, c.String())
	}
	want := c
	want.Server.AdminToken = "[redacted]"
	want.Storage.URL = "postgres://badgebot:xxxxx@db/badgebot"
	want.Slack.BotToken, want.Slack.SigningSecret, want.Slack.APIURL = "[redacted]", "[redacted]", "http://u:xxxxx@fake/"
	want.Discord.BotToken = "[redacted]"
	want.GitHub.WebhookSecret, want.GitHub.Token = "[redacted]", "[redacted]"
	want.Bugzilla.APIKey, want.Bugzilla.Secret = "[redacted]", "[redacted]"
	if diff := cmp.Diff(want, back, configCmpOpts); diff != "" {
		t.Errorf("(-redacted +loaded back):\n%s", diff)
	}
	if got, want := hiddenValues(c), []string{"server.admin_token", "storage.url", "slack.bot_token", "slack.signing_secret", "slack.api_url",
		"discord.bot_token", "github.webhook_secret", "github.token", "bugzilla.api_key", "bugzilla.secret"}; !cmp.Equal(got, want) {
		t.Errorf("hidden values %v, want %v", got, want)
	}
}

// No secret is built in: the defaults and the example set none, so a
// config that leaves [github] out cannot inherit one.
func TestNoSecretBuiltIn(t *testing.T) {
	for name, cfg := range map[string]Config{
		"Default":             Default(),
		"config.example.toml": loadExampleConfig(t),
	} {
		if hidden := hiddenValues(cfg); len(hidden) > 0 {
			t.Errorf("%s sets secrets: %v", name, hidden)
		}
	}
	for _, f := range []string{"../../../../config.example.toml", "config.example.toml", "config.go"} {
		if b, err := os.ReadFile(f); err != nil || bytes.Contains(b, []byte("change-me")) {
			t.Errorf("%s: %v, or it still holds the old demo secret change-me", f, err)
		}
	}
}
