package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// cliEnv runs badgebot commands against a config in a temp directory.
type cliEnv struct {
	t      *testing.T
	config string
	dir    string
}

func newCLI(t *testing.T) *cliEnv {
	t.Helper()
	dir := t.TempDir()
	example, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(example), `path = "data/badgebot.db"`, `path = "`+filepath.Join(dir, "b.db")+`"`, 1)
	if cfg == string(example) {
		t.Fatal("example config has moved on: storage.path not found")
	}
	path := filepath.Join(dir, "badgebot.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return &cliEnv{t: t, config: path, dir: dir}
}

func (e *cliEnv) run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"--config", e.config}, args...), &Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
	})
	return code, out.String(), errb.String()
}

func TestCLIAwardListRevoke(t *testing.T) {
	e := newCLI(t)
	code, out, errs := e.run("badge", "list", "--json")
	if code != 0 {
		t.Fatalf("badge list: %d %s", code, errs)
	}
	var badges []map[string]any
	if err := json.Unmarshal([]byte(out), &badges); err != nil || len(badges) == 0 || badges[0]["slug"] == nil {
		t.Fatalf("badge list --json: %v %s", err, out)
	}

	code, out, errs = e.run("award", "--badge", "first-pr", "--to", "github:octocat", "--evidence", "https://github.com/o/r/pull/1", "--json")
	if code != 0 {
		t.Fatalf("award: %d %s", code, errs)
	}
	var a map[string]any
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("award --json: %v %s", err, out)
	}
	for _, k := range []string{"id", "badge", "recipient", "issued_at", "revoked", "url", "credential_url"} {
		if _, ok := a[k]; !ok {
			t.Errorf("award --json lacks %q: %s", k, out)
		}
	}
	id := a["id"].(string)

	code, out, _ = e.run("awards", "list", "--to", "github:octocat", "--json")
	if code != 0 || !strings.Contains(out, id) {
		t.Errorf("awards list: %d %s", code, out)
	}
	if code, _, errs := e.run("award", "--badge", "first-pr", "--to", "github:octocat", "--narrative", "again"); code != 1 || !strings.Contains(errs, "already has") || strings.Count(errs, "\n") != 1 {
		t.Errorf("second award: exit %d, stderr %q; want 1 and one line", code, errs)
	}
	if code, out, _ := e.run("revoke", id, "--reason", "test"); code != 0 || !strings.Contains(out, "revoked award "+id) {
		t.Errorf("revoke: %d %s", code, out)
	}
	backup := filepath.Join(e.dir, "copy.tar.gz")
	if code, _, errs := e.run("backup", backup); code != 0 {
		t.Errorf("backup: %d %s", code, errs)
	} else if fi, err := os.Stat(backup); err != nil || fi.Size() == 0 {
		t.Errorf("backup file: %v", err)
	}
}

func TestCLIErrors(t *testing.T) {
	e := newCLI(t)
	bad := filepath.Join(e.dir, "bad.toml")
	os.WriteFile(bad, []byte("[slack]\nbot_tokn = \"x\"\n"), 0o600)
	corrupt := filepath.Join(e.dir, "corrupt.png")
	os.WriteFile(corrupt, []byte("\x89PNG\r\n\x1a\nnot really a png"), 0o600)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
		{"award without flags", []string{"award"}, exitUsage, "--badge and --to are required"},
		{"usage error points to the command's help", []string{"badge", "show"}, exitUsage, "Run 'badgebot help badge show' for usage."},
		{"import format checked before the file", []string{"import", "foo", filepath.Join(e.dir, "missing.csv")}, exitUsage, `unknown format "foo"`},
		{"award without evidence", []string{"award", "--badge", "first-pr", "--to", "github:octocat"}, exitError, "add --narrative TEXT"},
		{"unknown flag", []string{"badge", "list", "--colour"}, exitUsage, "flag provided but not defined"},
		{"unexpected argument", []string{"awards", "list", "first-pr"}, exitUsage, `awards list: unexpected argument "first-pr"`},
		{"unknown badge", []string{"award", "--badge", "nope", "--to", "github:octocat"}, exitError, `no badge "nope"`},
		{"bad recipient", []string{"award", "--badge", "first-pr", "--to", "octocat"}, exitError, "want PLATFORM:ID"},
		{"unknown award", []string{"revoke", "zzzzzzzzzzzz", "--reason", "x"}, exitError, "not found"},
		{"malformed config", []string{"--config", bad, "badge", "list"}, exitError, `unknown key "slack.bot_tokn"`},
		{"unreadable image", []string{"badge", "create", "--slug", "x", "--name", "X", "--description", "d", "--criteria", "c", "--image", filepath.Join(e.dir, "missing.png")}, exitError, "missing.png"},
		{"corrupt baked file", []string{"verify", corrupt}, exitError, "corrupt.png"},
		{"missing file", []string{"verify", filepath.Join(e.dir, "nothing.json")}, exitError, "nothing.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := e.run(tt.args...)
			if code != tt.wantCode || !strings.Contains(errs, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d containing %q", code, errs, tt.wantCode, tt.wantErr)
			}
			if strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine ") {
				t.Errorf("stderr shows a panic: %s", errs)
			}
		})
	}
}

func TestCLIKeysRotateKeepsOldAwardsValid(t *testing.T) {
	e := newCLI(t)
	code, out, errs := e.run("award", "--badge", "first-pr", "--to", "github:octocat", "--narrative", "First PR.", "--json")
	if code != 0 {
		t.Fatalf("award: %d %s", code, errs)
	}
	var a map[string]any
	json.Unmarshal([]byte(out), &a)
	if code, out, errs := e.run("keys", "rotate", "--json"); code != 0 {
		t.Fatalf("keys rotate: %d %s %s", code, out, errs)
	} else {
		var keys []map[string]any
		if err := json.Unmarshal([]byte(out), &keys); err != nil || len(keys) != 4 {
			t.Fatalf("keys after one rotation = %v (%v), want 2 Ed25519 + 2 RSA", keys, err)
		}
	}
	// The award signed before the rotation still verifies, offline, through
	// the Multikey in its verification method.
	app := NewApp(mustLoad(t, e.config), quietLog())
	if err := app.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	old, err := app.DB.Award(t.Context(), a["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "old.json")
	os.WriteFile(path, old.Credential, 0o600)
	if code, out, _ := e.run("verify", "--offline", path); code != 0 {
		t.Errorf("old credential after rotation: exit %d\n%s", code, out)
	}
	app.Close()

	// Verifiers that resolve the key find both: the issuer's controller
	// document still lists the old key, and new awards use the new one.
	code, out, errs = e.run("award", "--badge", "first-pr", "--to", "github:hubot", "--narrative", "First PR.", "--json")
	if code != 0 {
		t.Fatalf("award after rotation: %d %s", code, errs)
	}
	var b map[string]any
	json.Unmarshal([]byte(out), &b)
	srv := startApp(t, func(c *config.Config) {
		cfg := mustLoad(t, e.config)
		cfg.Server.Listen = c.Server.Listen
		*c = cfg
	})
	method := func(id string) string {
		t.Helper()
		var cred struct {
			Proof []struct {
				VerificationMethod string `json:"verificationMethod"`
			} `json:"proof"`
		}
		_, body := get(t, srv.URL+"/awards/"+id+"/credential.json", "")
		if err := json.Unmarshal(body, &cred); err != nil || len(cred.Proof) != 1 {
			t.Fatalf("credential %s: %v\n%s", id, err, body)
		}
		return cred.Proof[0].VerificationMethod
	}
	before, after := method(a["id"].(string)), method(b["id"].(string))
	if before == after {
		t.Errorf("the award after rotation is signed with the old key %s", before)
	}
	var profile struct {
		AssertionMethod []string `json:"assertionMethod"`
	}
	if _, body := get(t, srv.URL+"/issuer", ""); json.Unmarshal(body, &profile) != nil {
		t.Fatalf("/issuer: %s", body)
	}
	// The awards were signed under the CLI's public URL, the server
	// answers on its own: the keys are compared by the multibase that
	// ends their ids (/issuer/keys/{multibase}, or #{multibase} before).
	keyOf := func(id string) string { return id[strings.LastIndexAny(id, "#/")+1:] }
	var listed []string
	for _, m := range profile.AssertionMethod {
		listed = append(listed, keyOf(m))
	}
	for _, m := range []string{before, after} {
		if key := keyOf(m); !strings.HasPrefix(key, "z6Mk") || !slices.Contains(listed, key) {
			t.Errorf("/issuer assertionMethod %v lacks %s", profile.AssertionMethod, m)
		}
	}
}

func mustLoad(t *testing.T, path string) config.Config {
	t.Helper()
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Help: `badgebot help CMD`, `badgebot CMD -h` and `--help` print that
// command's usage on stdout and exit 0; `badgebot --help` the overview.
func TestCLIHelp(t *testing.T) {
	e := newCLI(t)
	for _, args := range [][]string{{"award", "-h"}, {"award", "--help"}, {"help", "award"}, {"award", "--badge", "x", "-help"}} {
		code, out, errs := e.run(args...)
		if code != exitOK || !strings.Contains(out, "Usage: badgebot [--config FILE] award ") || !strings.Contains(out, "-narrative") || errs != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		if code, out, errs := e.run(args...); code != exitOK || !strings.Contains(out, "Commands:") || errs != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	for _, cmd := range commands() {
		args := append([]string{"help"}, strings.Fields(cmd.name)...)
		if code, out, errs := e.run(args...); code != exitOK || !strings.Contains(out, cmd.name+" "+cmd.usage) || errs != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	if code, _, errs := e.run("help", "frobnicate"); code != exitUsage || !strings.Contains(errs, "unknown command") {
		t.Errorf("help of an unknown command: exit %d, stderr %q", code, errs)
	}
	// A group (badge, keys, ...) lists its commands.
	for _, args := range [][]string{{"help", "keys"}, {"keys", "-h"}, {"keys", "--help"}, {"keys", "--json", "-h"}} {
		code, out, errs := e.run(args...)
		if code != exitOK || !strings.Contains(out, "Usage: badgebot [--config FILE] keys COMMAND") ||
			!strings.Contains(out, "keys list ") || !strings.Contains(out, "keys rotate ") || strings.Contains(out, "badge list") || errs != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

// A group without a command, a command a group does not have and a
// mistyped command are usage errors that say what would have worked.
func TestCLIUnknownCommands(t *testing.T) {
	e := newCLI(t)
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"badge"}, []string{"badge needs a command: create, list or show", "Run 'badgebot help badge' for usage."}},
		{[]string{"rules", "--dry-run"}, []string{"rules needs a command: run", "'badgebot help rules'"}},
		{[]string{"badge", "frob"}, []string{`unknown command "badge frob"`, "'badgebot help badge'"}},
		{[]string{"keys", "rotat"}, []string{`unknown command "keys rotat"; did you mean "keys rotate"?`}},
		{[]string{"servee", "--x"}, []string{`unknown command "servee"; did you mean "serve"?`, "Run 'badgebot help' for usage."}},
		{[]string{"frobnicate", "x"}, []string{`unknown command "frobnicate"` + "\n"}},
		{[]string{"help", "keys", "rotat"}, []string{`help: unknown command "keys rotat"; did you mean "keys rotate"?`}},
		{[]string{"help", "award", "x"}, []string{`help: unexpected "x" after "award"`, "Run 'badgebot help award' for usage."}},
		{[]string{"help", "badge", "create", "x"}, []string{`help: unexpected "x" after "badge create"`}},
	} {
		code, out, errs := e.run(tt.args...)
		if code != exitUsage || out != "" {
			t.Errorf("%q: exit %d, stdout %q; want %d and nothing", tt.args, code, out, exitUsage)
		}
		for _, w := range tt.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%q: stderr %q, want %q in it", tt.args, errs, w)
			}
		}
	}
}

// A flag is never taken for a mistyped command; the rest is bot.Nearest's
// (TestNearest).
func TestNearestCommand(t *testing.T) {
	words := []string{"serve", "award", "help"}
	for w, want := range map[string]string{"srve": "serve", "-h": "", "--serve": "", "-serve": ""} {
		if got := nearest(w, words); got != want {
			t.Errorf("nearest(%q) = %q, want %q", w, got, want)
		}
	}
}

// The warning that a backfill cannot ask Bugzilla for every product is
// printed by the backfill, not by every command that builds the jobs.
func TestCLIBackfillWarningOnlyWhereBackfillRuns(t *testing.T) {
	e := newCLI(t)
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "[bugzilla]\nurl = \"\"", "[bugzilla]\nurl = \"http://127.0.0.1:1\"", 1))
	if err := os.WriteFile(e.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"schedule", "list"}, {"rules", "run", "--dry-run"}} {
		if code, _, errs := e.run(args...); code != exitOK || strings.Contains(errs, "product by product") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
	}
	if _, _, errs := e.run("schedule", "run", "backfill"); !strings.Contains(errs, "product by product") {
		t.Errorf("the backfill did not warn: %q", errs)
	}
}

// TestCLIBadgeCreateProgram: `badge create --program` makes a badge the
// program issues, owned by the program's owners as a config badge of the
// program is; a program the config lacks is refused and nothing stored.
func TestCLIBadgeCreateProgram(t *testing.T) {
	e := newCLI(t)
	create := func(slug string, extra ...string) (int, string, string) {
		return e.run(append([]string{"badge", "create", "--slug", slug, "--name", "Docs Star",
			"--description", "Wrote a page of the manual.", "--criteria", "Get a page merged."}, extra...)...)
	}
	if code, _, errs := create("orphan", "--program", "docs"); code == 0 || !strings.Contains(errs, "no [[programs]]") {
		t.Errorf("--program without [[programs]]: %d %q", code, errs)
	}

	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg = append(cfg, "\n[[programs]]\nslug = \"docs\"\nname = \"Docs Team\"\nowners = [\"slack:U0DOCS\"]\n"...)
	if err := os.WriteFile(e.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := create("stray", "--program", "forum"); code == 0 || !strings.Contains(errs, `no program "forum"`) || !strings.Contains(errs, "docs") {
		t.Errorf("--program forum: %d %q, want the refusal naming the programs there are", code, errs)
	}
	for _, slug := range []string{"orphan", "stray"} {
		if code, _, _ := e.run("badge", "show", slug); code == 0 {
			t.Errorf("badge %s was stored though refused", slug)
		}
	}

	if code, _, errs := create("docs-star", "--program", "docs", "--owner", "slack:U0LEAD"); code != 0 {
		t.Fatalf("badge create --program docs: %d %s", code, errs)
	}
	code, out, errs := e.run("badge", "show", "docs-star")
	if code != 0 || !strings.Contains(out, "Program: docs") || !strings.Contains(out, "slack:U0LEAD") || !strings.Contains(out, "slack:U0DOCS") {
		t.Errorf("badge show docs-star: %d %s %s, want program docs owned by its owner and the program's", code, out, errs)
	}
	code, out, _ = e.run("badge", "list", "--json")
	var badges []map[string]any
	if err := json.Unmarshal([]byte(out), &badges); code != 0 || err != nil {
		t.Fatalf("badge list --json: %d %v %s", code, err, out)
	}
	i := slices.IndexFunc(badges, func(b map[string]any) bool { return b["slug"] == "docs-star" })
	if i < 0 || badges[i]["program"] != "docs" {
		t.Errorf("badge list --json: docs-star's program is not docs: %s", out)
	}

	// An owner the program gains later owns the badge too, as they
	// would a config badge of the program.
	cfg = bytes.Replace(cfg, []byte(`owners = ["slack:U0DOCS"]`), []byte(`owners = ["slack:U0DOCS", "slack:U0NEW"]`), 1)
	if err := os.WriteFile(e.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = e.run("badge", "show", "docs-star")
	if code != 0 || !strings.Contains(out, "slack:U0NEW") || !strings.Contains(out, "slack:U0LEAD") {
		t.Errorf("badge show docs-star after the program gained an owner: %d %s %s", code, out, errs)
	}

	// The program leaves the config: its badge is left as stored, and
	// badgebot still starts.
	cfg = cfg[:bytes.Index(cfg, []byte("\n[[programs]]"))]
	if err := os.WriteFile(e.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = e.run("badge", "show", "docs-star")
	if code != 0 || !strings.Contains(out, "Program: docs") || !strings.Contains(out, "slack:U0NEW") {
		t.Errorf("badge show docs-star once its program left the config: %d %s %s", code, out, errs)
	}
}
