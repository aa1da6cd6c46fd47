// Package config is badgebot's configuration: the types of every key of
// config.example.toml, Load (a TOML file through go-toml's decoder, the only
// importer of go-toml, onto the defaults, then BADGEBOT_ variables), Validate
// (every problem at once, each naming its key and the file line or variable
// it came from), and the Secret and SecretURL types, which never print their
// value. cmd/badgebot wires what it describes.
package config

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultPath is the default of the --config flag. When no file exists
// there, Load runs on the built-in copy of config.example.toml.
const DefaultPath = "badgebot.toml"

// builtinConfigName names the embedded example in messages and in Source.
const builtinConfigName = "built-in config.example.toml"

// configExample is the repository's config.example.toml. go:embed cannot
// reach a parent directory, so a byte-identical copy lives beside this file;
// TestConfigExampleCopyIsCurrent fails when the two differ.
//
//go:generate cp ../../../../config.example.toml config.example.toml
//go:embed config.example.toml
var configExample string

// Config is the whole configuration: every key of config.example.toml.
// Load fills it from a file and the environment; Validate checks it.
// Secrets have the type Secret, which never prints its value: String (the
// TOML of the file), GoString, LogValue and any encoder show "[redacted]".
type Config struct {
	Admins   []string `toml:"admins"`    // PLATFORM:ID of people who may do everything
	LogLevel string   `toml:"log_level"` // debug, info, warn or error

	Server      ServerConfig      `toml:"server"`
	Storage     StorageConfig     `toml:"storage"`
	Issuer      IssuerConfig      `toml:"issuer"`
	Slack       SlackConfig       `toml:"slack"`
	Discord     DiscordConfig     `toml:"discord"`
	GitHub      GitHubConfig      `toml:"github"`
	Bugzilla    BugzillaConfig    `toml:"bugzilla"`
	Digest      DigestConfig      `toml:"digest"`
	Schedule    ScheduleConfig    `toml:"schedule"`
	Privacy     PrivacyConfig     `toml:"privacy"`
	Nominations NominationsConfig `toml:"nominations"`
	Programs    []ProgramConfig   `toml:"programs"`
	Badges      []BadgeConfig     `toml:"badges"`
	Rules       []RuleConfig      `toml:"rules"`
	Import      ImportConfig      `toml:"import"` // badgebot import

	// source names where the configuration was read from.
	source string
	// origins maps a key path ("server.listen", "badges[1].slug") to where
	// its value came from, so that Validate can point at it.
	origins map[string]cfgOrigin
}

// cfgOrigin is where a value came from: a file line, or an environment
// variable (line 0).
type cfgOrigin struct {
	name string
	line int
}

func (o cfgOrigin) String() string {
	if o.line > 0 {
		return fmt.Sprintf("%s:%d", o.name, o.line)
	}
	return o.name
}

// ServerConfig is the [server] table: the one HTTP listener.
type ServerConfig struct {
	Listen          string `toml:"listen"`           // host:port
	PublicURL       string `toml:"public_url"`       // base of every hosted URL, no trailing slash
	AdminToken      Secret `toml:"admin_token"`      // bearer token of the write API, empty: off
	MetricsToken    Secret `toml:"metrics_token"`    // bearer token of /metrics, empty: open
	ReadTimeout     string `toml:"read_timeout"`     // whole request, body included
	WriteTimeout    string `toml:"write_timeout"`    // whole response
	ShutdownTimeout string `toml:"shutdown_timeout"` // grace period on SIGINT/SIGTERM
}

// StorageConfig is the [storage] table.
type StorageConfig struct {
	Driver string    `toml:"driver"` // "sqlite" (default) or "postgres"
	Path   string    `toml:"path"`   // SQLite database file
	URL    SecretURL `toml:"url"`    // PostgreSQL URL; may hold a password
}

// Name says which database s is, without secrets, for messages.
func (s StorageConfig) Name() string {
	if s.Driver == "postgres" {
		return "the PostgreSQL database"
	}
	return s.Path
}

// IssuerConfig is the [issuer] table: the Open Badges issuer profile.
type IssuerConfig struct {
	Name        string `toml:"name"`
	URL         string `toml:"url"`
	Email       string `toml:"email"`
	Description string `toml:"description"`
	KeyDir      string `toml:"key_dir"` // signing keys; empty: beside the database (Config.KeyDir)
}

// SlackConfig is the [slack] table.
type SlackConfig struct {
	Enabled         bool      `toml:"enabled"`
	BotToken        Secret    `toml:"bot_token"`
	AppToken        Secret    `toml:"app_token"` // set: Socket Mode
	SigningSecret   Secret    `toml:"signing_secret"`
	APIURL          SecretURL `toml:"api_url"` // empty: Slack; ends in "/" after Load
	AnnounceChannel string    `toml:"announce_channel"`
	ReviewChannel   string    `toml:"review_channel"`
	TeamIDs         []string  `toml:"team_ids"` // set: refuse requests from other workspaces
}

// DiscordConfig is the [discord] table.
type DiscordConfig struct {
	Enabled         bool      `toml:"enabled"`
	BotToken        Secret    `toml:"bot_token"`
	ApplicationID   string    `toml:"application_id"`
	PublicKey       string    `toml:"public_key"` // 64 hex digits, Ed25519
	APIURL          SecretURL `toml:"api_url"`    // empty: Discord
	AnnounceChannel string    `toml:"announce_channel"`
	ReviewChannel   string    `toml:"review_channel"`
	Gateway         bool      `toml:"gateway"`   // also connect to the gateway
	GuildIDs        []string  `toml:"guild_ids"` // set: refuse interactions from other guilds and DMs
}

// GitHubConfig is the [github] table.
type GitHubConfig struct {
	WebhookSecret Secret    `toml:"webhook_secret"` // empty: GitHub webhooks refused
	Token         Secret    `toml:"token"`          // API token for backfill and profile checks
	APIURL        SecretURL `toml:"api_url"`        // empty: api.github.com
	Repositories  []string  `toml:"repositories"`   // "owner/repo" or "owner/*"
}

// BugzillaConfig is the [bugzilla] table.
type BugzillaConfig struct {
	URL          SecretURL `toml:"url"`
	APIKey       Secret    `toml:"api_key"`
	SecretHeader string    `toml:"secret_header"` // header BMO's webhook sends
	Secret       Secret    `toml:"secret"`        // its value, empty: webhooks refused
}

// DigestConfig is the [digest] table: the weekly digest.
type DigestConfig struct {
	Schedule  string `toml:"schedule"`   // cron spec
	Timezone  string `toml:"timezone"`   // IANA name, for specs without CRON_TZ=
	Announce  bool   `toml:"announce"`   // post to every enabled announce_channel
	PostEmpty bool   `toml:"post_empty"` // post a digest for a week with nothing in it
}

// ScheduleConfig is the [schedule] table: cron specs of the scheduled jobs.
type ScheduleConfig struct {
	Sweep    string `toml:"sweep"`    // criteria sweep
	Backfill string `toml:"backfill"` // GitHub and Bugzilla backfill
	Expiry   string `toml:"expiry"`   // expiry of pending nominations
	// RuleSilence is how long a rule may match nothing before admins are
	// told (ParseWindow).
	RuleSilence string `toml:"rule_silence"`
}

// PrivacyConfig is the [privacy] table.
type PrivacyConfig struct {
	// DeliveryRetention is how long raw webhook bodies are kept once
	// processed (ParseWindow).
	DeliveryRetention string `toml:"delivery_retention"`
}

// NominationsConfig is the [nominations] table.
type NominationsConfig struct {
	WeeklyCap int    `toml:"weekly_cap"` // nominations per nominator per week; 0: no cap
	Expiry    string `toml:"expiry"`     // pending nominations expire after this (ParseWindow)
}

// ProgramConfig is one [[programs]] entry: a team that issues its own
// badges under its own OB Profile (/programs/{slug}, parentOrg the
// instance's issuer), with its owners, channels and colours.
type ProgramConfig struct {
	Slug        string          `toml:"slug"`
	Name        string          `toml:"name"`
	Description string          `toml:"description"`
	URL         string          `toml:"url"`   // the team's home page; empty: its page here
	Email       string          `toml:"email"` // public contact; empty: [issuer]'s
	Image       string          `toml:"image"` // logo, a PNG or SVG file; empty: none
	Color       string          `toml:"color"` // "#rrggbb" or "#rgb"; empty: the instance's accent
	Owners      []string        `toml:"owners"`
	Slack       ProgramChannels `toml:"slack"`
	Discord     ProgramChannels `toml:"discord"`
	Digest      bool            `toml:"digest"` // true: its own digest in its announce channels; false: a section of the instance's
}

// ProgramChannels are a program's channels on one chat platform; an empty
// one falls back to the platform's own.
type ProgramChannels struct {
	AnnounceChannel string `toml:"announce_channel"`
	ReviewChannel   string `toml:"review_channel"`
}

// BadgeConfig is one [[badges]] entry.
type BadgeConfig struct {
	Slug        string   `toml:"slug"`
	Program     string   `toml:"program"` // a [[programs]] slug; empty: the instance's issuer
	Name        string   `toml:"name"`
	Description string   `toml:"description"`
	Criteria    string   `toml:"criteria"`
	Image       string   `toml:"image"`       // PNG or SVG file; empty: generated
	Owners      []string `toml:"owners"`      // PLATFORM:ID who approve nominations
	Approvals   int      `toml:"approvals"`   // default 1
	Repeatable  bool     `toml:"repeatable"`  // default false
	Nominations bool     `toml:"nominations"` // default true
}

// RuleConfig is one [[rules]] entry: award Badge once a person has Threshold
// events of kind Event that pass the filters.
type RuleConfig struct {
	Name         string   `toml:"name"`
	Badge        string   `toml:"badge"`
	Event        string   `toml:"event"`
	Threshold    int      `toml:"threshold"`    // default 1
	Repositories []string `toml:"repositories"` // path.Match globs, GitHub events only
	Products     []string `toml:"products"`     // Bugzilla events only
	Components   []string `toml:"components"`   // Bugzilla events only
	Window       string   `toml:"window"`       // empty: all time; else ParseWindow
}

// Default returns the built-in defaults: the settings of
// config.example.toml without its demo data (admins, badges and rules, which
// a configuration file replaces rather than extends). A file is decoded onto
// these defaults, so a key it leaves out keeps its default.
func Default() Config {
	return Config{
		LogLevel: "info",
		Server: ServerConfig{
			Listen:          "127.0.0.1:8080",
			PublicURL:       "http://127.0.0.1:8080",
			ReadTimeout:     "30s",
			WriteTimeout:    "30s",
			ShutdownTimeout: "10s",
		},
		Storage: StorageConfig{Driver: "sqlite", Path: "data/badgebot.db"},
		Issuer: IssuerConfig{
			Name:        "Example Community",
			URL:         "https://community.example.org",
			Email:       "badges@example.org",
			Description: "Recognising the people who make Example better.",
		},
		Bugzilla:    BugzillaConfig{SecretHeader: "X-Badgebot-Token"},
		Digest:      DigestConfig{Schedule: "0 16 * * FRI", Timezone: "UTC", Announce: true},
		Schedule:    ScheduleConfig{Sweep: "@hourly", Backfill: "@every 6h", Expiry: "@daily", RuleSilence: "30d"},
		Privacy:     PrivacyConfig{DeliveryRetention: "30d"},
		Nominations: NominationsConfig{WeeklyCap: 5, Expiry: "14d"},
	}
}

// Error lists every problem found in a configuration, one line each,
// each naming the key and, where known, the file line or the environment
// variable it came from. It never contains a secret.
type Error struct {
	Problems []string
}

// Error returns the problems, one per line.
func (e *Error) Error() string { return strings.Join(e.Problems, "\n") }

// Load reads the TOML file at path onto Default, then applies the
// BADGEBOT_<SECTION>_<KEY> variables found in env (as from os.Environ), then
// normalises URLs. When path is DefaultPath (or empty) and no such file
// exists, it reads the built-in config.example.toml instead; any other
// missing file is an error. Problems are returned together as a
// *Error: every unknown key, or else the first value of the wrong
// type (go-toml's decoder stops there), and every bad variable.
//
// Load does not validate: call Validate on the result.
func Load(path string, env []string) (Config, error) {
	name := path
	data, err := os.ReadFile(path)
	switch {
	case err != nil && errors.Is(err, fs.ErrNotExist) && IsDefaultPath(path):
		name, data = builtinConfigName, []byte(configExample)
	case err != nil:
		return Config{}, fmt.Errorf("config: %w", err)
	}

	cfg := Default()
	cfg.source = name
	cfg.origins = map[string]cfgOrigin{}
	problems := decodeConfigTOML(name, data, &cfg)
	if len(problems) == 0 {
		lines := cfgKeyLines(data).lines
		for key, line := range lines {
			cfg.origins[key] = cfgOrigin{name: name, line: line}
		}
		cfg.fillEntryDefaults(lines)
	}
	problems = append(problems, cfg.applyEnv(env)...)
	if len(problems) > 0 {
		return Config{}, &Error{Problems: problems}
	}
	cfg.normalize()
	return cfg, nil
}

// Source names where the configuration was read from: the file name given to
// Load, or the built-in example. It is empty for a Config not loaded.
func (c Config) Source() string { return c.source }

func IsDefaultPath(path string) bool {
	return path == "" || filepath.Clean(path) == DefaultPath
}

// fillEntryDefaults gives [[badges]] and [[rules]] entries the defaults of
// the keys they leave out; lines holds the keys the file does set.
func (c *Config) fillEntryDefaults(lines map[string]int) {
	set := func(format string, i int) bool {
		_, ok := lines[fmt.Sprintf(format, i)]
		return ok
	}
	for i := range c.Badges {
		if !set("badges[%d].approvals", i) {
			c.Badges[i].Approvals = 1
		}
		if !set("badges[%d].nominations", i) {
			c.Badges[i].Nominations = true
		}
	}
	for i := range c.Rules {
		if !set("rules[%d].threshold", i) {
			c.Rules[i].Threshold = 1
		}
	}
}

// normalize puts URLs in the form their users expect: public_url without a
// trailing slash (hosted URLs are built by appending "/path"), and the Slack
// API URL with one (slack-go appends method names to it).
func (c *Config) normalize() {
	c.Server.PublicURL = strings.TrimRight(strings.TrimSpace(c.Server.PublicURL), "/")
	if u := strings.TrimSpace(c.Slack.APIURL.Reveal()); u != "" && !strings.HasSuffix(u, "/") {
		c.Slack.APIURL = SecretURL(u + "/")
	}
}

// KeyDir is where the signing keys are kept: issuer.key_dir, a relative one
// taken from the directory of the config file that sets it (from the
// working directory when it comes from the environment or the built-in
// config); empty, a "keys" directory beside the database, so that the keys
// go wherever the data goes.
func (c Config) KeyDir() string {
	dir := c.Issuer.KeyDir
	switch {
	case dir == "":
		return filepath.Join(filepath.Dir(c.Storage.Path), "keys")
	case filepath.IsAbs(dir):
		return dir
	}
	if o, ok := c.origins["issuer.key_dir"]; ok && o.line > 0 && o.name != builtinConfigName {
		return filepath.Join(filepath.Dir(o.name), dir)
	}
	return dir
}
