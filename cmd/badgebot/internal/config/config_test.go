package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/badgebot/badgebot/internal/golden"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// configCmpOpts compares Configs on their keys only.
var configCmpOpts = cmp.Options{cmpopts.IgnoreUnexported(Config{}), cmpopts.EquateEmpty()}

// configCheckCron stands in for the scheduler's cron parser: descriptors
// and five-field specs.
func configCheckCron(spec string) error {
	if strings.HasPrefix(spec, "@") || len(strings.Fields(spec)) == 5 {
		return nil
	}
	return errors.New("expected exactly 5 fields")
}

func loadExampleConfig(t *testing.T) Config {
	t.Helper()
	cfg, err := Load("../../../../config.example.toml", nil)
	if err != nil {
		t.Fatalf("Load(config.example.toml): %v", err)
	}
	return cfg
}

func TestConfigExampleLoadsAndValidates(t *testing.T) {
	cfg := loadExampleConfig(t)
	if err := cfg.Validate(configCheckCron); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	var slugs, rules []string
	for _, b := range cfg.Badges {
		slugs = append(slugs, b.Slug)
	}
	for _, r := range cfg.Rules {
		rules = append(rules, r.Name+"→"+r.Badge)
	}
	if diff := cmp.Diff([]string{"first-pr", "reviewer", "bug-squasher", "ten-prs", "helping-hand"}, slugs); diff != "" {
		t.Errorf("badges (-want +got):\n%s", diff)
	}
	wantRules := []string{"first-merged-pr→first-pr", "five-approved-reviews→reviewer", "first-fixed-bug→bug-squasher", "ten-merged-prs-a-year→ten-prs"}
	if diff := cmp.Diff(wantRules, rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if cfg.Slack.Enabled || cfg.Discord.Enabled {
		t.Error("the example enables a chat platform; it must run with no outside accounts")
	}
	if cfg.Source() != "../../../../config.example.toml" {
		t.Errorf("Source() = %q", cfg.Source())
	}
}

// TestConfigExampleCronSpecsParse checks the example's specs with the
// scheduler's real parser.
func TestConfigExampleCronSpecsParse(t *testing.T) {
	cfg := loadExampleConfig(t)
	if err := cfg.Validate(jobs.ParseSchedule); err != nil {
		t.Fatal(err)
	}
	cfg.Digest.Schedule, cfg.Schedule.Backfill = "CRON_TZ=Europe/Berlin 0 16 * * FRI", "16 * * FRI"
	var ce *Error
	if !errors.As(cfg.Validate(jobs.ParseSchedule), &ce) || len(ce.Problems) != 1 ||
		!strings.HasPrefix(ce.Problems[0], `../../../../config.example.toml:`) ||
		!strings.Contains(ce.Problems[0], `: schedule.backfill: bad cron spec "16 * * FRI": `) {
		t.Errorf("got %v, want one problem with schedule.backfill", ce)
	}
}

// TestConfigDefaultsEqualExample: Default is the example without its
// demo data.
func TestConfigDefaultsEqualExample(t *testing.T) {
	cfg := loadExampleConfig(t)
	cfg.Admins, cfg.Badges, cfg.Rules = nil, nil, nil
	if diff := cmp.Diff(Default(), cfg, configCmpOpts); diff != "" {
		t.Errorf("Default() differs from config.example.toml (-default +example):\n%s", diff)
	}
	if err := cfg.Validate(configCheckCron); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

// TestConfigExampleCopyIsCurrent: the embedded copy beside config.go is the
// repository's config.example.toml. Fix with `go generate ./cmd/badgebot/internal/config`.
func TestConfigExampleCopyIsCurrent(t *testing.T) {
	root, err := os.ReadFile("../../../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if string(root) != configExample {
		t.Fatal("cmd/badgebot/internal/config/config.example.toml differs from /config.example.toml; run go generate ./cmd/badgebot/internal/config")
	}
}

func TestLoadConfigDefaultPathFallsBackToExample(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, path := range []string{DefaultPath, "./" + DefaultPath, ""} {
		cfg, err := Load(path, nil)
		if err != nil {
			t.Fatalf("Load(%q): %v", path, err)
		}
		if diff := cmp.Diff(loadExampleConfigFromDir(t), cfg, configCmpOpts); diff != "" {
			t.Errorf("Load(%q) is not the example (-want +got):\n%s", path, diff)
		}
		if cfg.Source() != builtinConfigName {
			t.Errorf("Source() = %q, want %q", cfg.Source(), builtinConfigName)
		}
	}
}

// loadExampleConfigFromDir loads the example when the test has changed
// directory.
func loadExampleConfigFromDir(t *testing.T) Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "example.toml")
	if err := os.WriteFile(path, []byte(configExample), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestLoadConfigMissingFileIsAnError(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, path := range []string{"other.toml", "conf/badgebot.toml"} {
		_, err := Load(path, nil)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("Load(%q) = %v, want a not-exist error naming the file", path, err)
		}
	}
}

func TestLoadConfigDefaultPathReadsExistingFile(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile(DefaultPath, []byte("[server]\nlisten = \"127.0.0.1:9999\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(DefaultPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Listen != "127.0.0.1:9999" || len(cfg.Badges) != 0 || cfg.Source() != DefaultPath {
		t.Errorf("got listen %q, %d badges, source %q", cfg.Server.Listen, len(cfg.Badges), cfg.Source())
	}
}

func TestLoadConfigMinimalFileKeepsDefaults(t *testing.T) {
	cfg, err := Load("testdata/minimal.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.GitHub.WebhookSecret = "s3cret"
	want.Badges = []BadgeConfig{
		{Slug: "helper", Name: "Helper", Description: "Helped.", Criteria: "Help.", Approvals: 1, Nominations: true},
		{Slug: "quiet", Name: "Quiet", Description: "Nominations off.", Criteria: "None.", Approvals: 1, Nominations: false},
	}
	want.Rules = []RuleConfig{{Name: "any-bug", Badge: "helper", Event: "bugzilla.bug.created", Threshold: 1}}
	if diff := cmp.Diff(want, cfg, configCmpOpts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoadConfigInlineTablesAndDottedKeys(t *testing.T) {
	cfg, err := Load("testdata/inline.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Server.Listen = "127.0.0.1:9090"
	// Keys an inline table leaves out keep their defaults.
	want.Schedule = ScheduleConfig{Sweep: "@every 30m", Backfill: "@daily", Expiry: "@daily", RuleSilence: "30d"}
	want.GitHub = GitHubConfig{WebhookSecret: "s", Repositories: []string{"octo/cat", "octo/*"}}
	want.Badges = []BadgeConfig{
		{Slug: "a", Name: "A", Description: "d", Criteria: "c", Approvals: 1, Nominations: true},
		{Slug: "b", Name: "B", Description: "d", Criteria: "c", Approvals: 2, Nominations: true, Owners: []string{"github:octocat", "email:ada@example.org"}},
	}
	if diff := cmp.Diff(want, cfg, configCmpOpts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Lines are known inside inline tables and multi-line arrays too.
	cfg.Badges[1].Owners[1] = "nobody"
	cfg.GitHub.Repositories[1] = "octo"
	var ce *Error
	if !errors.As(cfg.Validate(configCheckCron), &ce) {
		t.Fatal("Validate passed")
	}
	wantProblems := []string{
		`testdata/inline.toml:6: badges[1].owners[1]: recipient "nobody": want PLATFORM:ID, e.g. github:octocat or email:ada@example.org`,
		`testdata/inline.toml:13: github.repositories[1]: "octo" is not owner/repo or owner/*`,
	}
	if diff := cmp.Diff(wantProblems, ce.Problems); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestLoadConfigErrors pins the messages for files that do not decode, and
// for files that decode but do not validate, in golden files.
func TestLoadConfigErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".toml")
		if name == "minimal" || name == "inline" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(file, nil)
			if err == nil {
				err = cfg.Validate(configCheckCron)
			}
			if err == nil {
				t.Fatal("no error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error is %T, want *Error: %v", err, err)
			}
			got := err.Error() + "\n"
			for _, secret := range configTestSecrets {
				if strings.Contains(got, secret) {
					t.Errorf("error shows secret %q", secret)
				}
			}
			golden.Check(t, strings.TrimSuffix(file, ".toml")+".golden", []byte(got))
		})
	}
}

// configTestSecrets are the secret values used in testdata and in
// these tests; none may show in any message.
var configTestSecrets = []string{
	"xoxb-secret-do-not-print", "12345", "admin-token-secret", "hunter2", "discord-bot-secret",
	"ghp_secret_token", "bugzilla-api-key-secret", "bugzilla-shared-secret",
	"env-admin-secret", "env-slack-secret", "env-signing-secret",
}

// TestConfigTypeErrors pins the message for a value of the wrong type,
// one per document: the decoder stops at the first, so each is its own
// case. Each names the key (array indexes included) and the line, never
// the value.
func TestConfigTypeErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"admins = \"slack:U0ADMIN\"", `1: admins: want an array of strings, got a string`},
		{"[admins]\nx = 1", `1: admins: want an array of strings, got a table`},
		{"[badges]\nslug = \"x\"", `1: badges: want an array of tables, got a table`},
		{"[[server]]\nlisten = \":1\"", `1: server: want a table, got an array of tables`},
		{"[issuer.name]\nfirst = \"a\"", `1: issuer.name: want a string, got a table`},
		{"\n[server]\nlisten = 8080", `3: server.listen: want a string, got an integer`},
		{"[server]\nadmin_token = 12345", `2: server.admin_token: want a string, got an integer`},
		{"[slack]\nenabled = \"yes\"", `2: slack.enabled: want true or false, got a string`},
		{"[nominations]\nweekly_cap = 2.5", `2: nominations.weekly_cap: want an integer, got a float`},
		{"[github]\nrepositories = [\n  \"owner/repo\",\n  7,\n]", `4: github.repositories[1]: want a string, got an integer`},
		{"[[rules]]\nname = \"r\"\n[[rules]]\nthreshold = \"5\"", `4: rules[1].threshold: want an integer, got a string`},
		{"[[badges.owners]]\nx = 1", `1: badges.owners[0]: want a string, got a table`},
		{"[schedule]\nsweep = { every = \"1h\" }", `2: schedule.sweep: want a string, got a table`},
		{"[digest]\nschedule = 1979-05-27", `2: digest.schedule: want a string, got a date or time`},
		{"slack.enabled.really = true", `1: slack.enabled: want true or false, got a table`},
		{"storage = \"data/db\"", `1: storage: want a table, got a string`},
		{"[[badges]]\nslug = \"a\"\nowners.first = \"github:octocat\"", `3: badges[0].owners: want an array of strings, got a table`},
		{"[[badges]]\n[[badges]]\nowners = [\"github:a\", { platform = \"slack\" }]", `3: badges[1].owners[1]: want a string, got a table`},
	}
	for _, tt := range tests {
		var cfg Config
		got := decodeConfigTOML("f.toml", []byte(tt.doc), &cfg)
		if want := []string{"f.toml:" + tt.want}; !cmp.Equal(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", tt.doc, got, want)
		}
	}
}
