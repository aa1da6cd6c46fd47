package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// secretBytes is the size of every secret init makes: 32 random bytes,
// written as 64 hex digits.
const secretBytes = 32

// initOptions are the choices of `badgebot init`.
type initOptions struct {
	PublicURL string
	Slack     bool
	Discord   bool
	Repos     []string
}

func runInit(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("init", false)
	var o initOptions
	var repos stringList
	fs.StringVar(&o.PublicURL, "public-url", "", "the URL people and services reach this instance at")
	fs.BoolVar(&o.Slack, "slack", false, "add a [slack] section")
	fs.BoolVar(&o.Discord, "discord", false, "add a [discord] section")
	fs.Var(&repos, "github", "OWNER/NAME of a repository to watch (repeatable)")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	o.Repos = repos
	if o.PublicURL == "" {
		o.PublicURL = config.Default().Server.PublicURL
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	if u, err := url.Parse(o.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return usagef("init: --public-url %q is not an http(s) URL such as https://badges.example.org", o.PublicURL)
	}
	for _, r := range o.Repos {
		owner, name, ok := strings.Cut(r, "/")
		if !ok || owner == "" || name == "" || strings.ContainsAny(name, "/ ") || strings.ContainsAny(owner, " *") {
			return usagef("init: --github %q is not OWNER/NAME (or OWNER/* for every repository)", r)
		}
	}
	data, err := initConfig(o)
	if err != nil {
		return err
	}
	if err := writeNewFile(c.configPath, data); err != nil {
		return err
	}
	what := "GitHub webhooks and the admin API"
	if config.HasKey("server.metrics_token") {
		what = "GitHub webhooks, the admin API and /metrics"
	}
	c.printf("wrote %s (mode 0600) with fresh secrets for %s\n", c.configPath, what)
	c.printInitNextSteps(o)
	return nil
}

// writeNewFile creates path with data, mode 0600, refusing to replace a
// file that exists.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return bot.Errorf(bot.ECONFLICT, "%s already exists; init never overwrites it (move it away or pass --config NEW_FILE)", path)
	}
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("init: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("init: write %s: %w", path, err)
	}
	return nil
}

// randomSecret returns secretBytes bytes from crypto/rand as hex.
func randomSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("init: random secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// tomlString quotes s as a TOML basic string (JSON's escapes are TOML's).
func tomlString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}

// initConfig returns the text of a new badgebot.toml.
func initConfig(o initOptions) ([]byte, error) {
	webhook, err := randomSecret()
	if err != nil {
		return nil, err
	}
	admin, err := randomSecret()
	if err != nil {
		return nil, err
	}
	metrics, err := randomSecret()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# badgebot configuration written by `badgebot init`.\n")
	w("# Every key is described in config.example.toml. This file holds secrets:\n")
	w("# keep it mode 0600, or move them to BADGEBOT_<SECTION>_<KEY> variables.\n\n")
	w("admins = []                           # PLATFORM:ID of people who may do everything\n\n")
	w("[server]\n")
	w("listen = \"127.0.0.1:8080\"\n")
	w("public_url = %s\n", tomlString(o.PublicURL))
	w("admin_token = %q # bearer token of the write API\n", admin)
	if config.HasKey("server.metrics_token") {
		w("metrics_token = %q # bearer token of /metrics\n", metrics)
	}
	w("\n[storage]\npath = \"data/badgebot.db\"\n\n")
	w("[issuer]\n")
	w("name = \"Our Community\"\n")
	w("url = %s\n", tomlString(o.PublicURL))
	w("description = \"Recognising the people who make our community.\"\n")
	w("key_dir = \"data/keys\"\n\n")
	if o.Slack {
		w("[slack]\n")
		w("# Create the app from `badgebot setup slack`, then fill these in (or set\n")
		w("# BADGEBOT_SLACK_BOT_TOKEN and BADGEBOT_SLACK_SIGNING_SECRET) and enable it.\n")
		w("enabled = false\nbot_token = \"\"\nsigning_secret = \"\"\napp_token = \"\"                        # set: Socket Mode\n")
		w("announce_channel = \"\"\nreview_channel = \"\"\n\n")
	}
	if o.Discord {
		w("[discord]\n")
		w("# From the Discord developer portal; then run `badgebot setup discord` and enable it.\n")
		w("enabled = false\nbot_token = \"\"\napplication_id = \"\"\npublic_key = \"\"\n")
		w("announce_channel = \"\"\nreview_channel = \"\"\n\n")
	}
	w("[github]\n")
	w("webhook_secret = %q\n", webhook)
	w("token = \"\"                            # API token: `setup github`, backfill, doctor\n")
	w("repositories = [")
	for i, r := range o.Repos {
		if i > 0 {
			w(", ")
		}
		w("%s", tomlString(r))
	}
	w("]\n")
	return []byte(b.String()), nil
}

func (c *cli) printInitNextSteps(o initOptions) {
	cfg := ""
	if !config.IsDefaultPath(c.configPath) {
		cfg = " --config " + c.configPath
	}
	c.printf("\nNext steps:\n")
	n := 0
	step := func(format string, args ...any) {
		n++
		c.printf("  %d. %s\n", n, fmt.Sprintf(format, args...))
	}
	step("edit [issuer] (name, url, description) in %s", c.configPath)
	if o.Slack {
		step("badgebot%s setup slack   # paste the manifest at https://api.slack.com/apps?new_app=1, then set the bot token and signing secret", cfg)
	}
	if o.Discord {
		step("set discord bot_token, application_id and public_key, then: badgebot%s setup discord", cfg)
	}
	if len(o.Repos) > 0 {
		step("set github.token (a token that may admin the repositories' hooks), then for each repository:")
		for _, r := range o.Repos {
			if !strings.HasSuffix(r, "/*") {
				c.printf("       badgebot%s setup github --repo %s\n", cfg, r)
			}
		}
	}
	step("badgebot%s doctor   # checks every connection, one line each", cfg)
	step("badgebot%s serve    # %s must reach this server", cfg, o.PublicURL)
}
