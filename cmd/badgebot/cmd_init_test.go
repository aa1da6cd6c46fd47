package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

func runIn(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestInitWritesLoadableConfigWithFreshSecrets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "badgebot.toml")
	code, out, errs := runIn(t, "--config", path, "init", "--public-url", "https://badges.example.org/",
		"--slack", "--discord", "--github", "octo/hello", "--github", "octo/*")
	if code != 0 {
		t.Fatalf("init: %d %s", code, errs)
	}
	for _, want := range []string{"wrote " + path, "Next steps", "setup slack", "setup discord", "setup github --repo octo/hello", "doctor", "serve"} {
		if !strings.Contains(out, want) {
			t.Errorf("init output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "--repo octo/*") {
		t.Errorf("init suggests a hook on a wildcard:\n%s", out)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatalf("written config does not load: %v", err)
	}
	if err := cfg.Validate(jobs.ParseSchedule); err != nil {
		t.Fatalf("written config is not valid: %v", err)
	}
	if cfg.Server.PublicURL != "https://badges.example.org" {
		t.Errorf("public_url %q", cfg.Server.PublicURL)
	}
	if got := strings.Join(cfg.GitHub.Repositories, ","); got != "octo/hello,octo/*" {
		t.Errorf("repositories %q", got)
	}
	data, _ := os.ReadFile(path)
	for _, sec := range []string{"[slack]", "[discord]", "[github]"} {
		if !bytes.Contains(data, []byte(sec)) {
			t.Errorf("no %s section", sec)
		}
	}
	secrets := []string{cfg.GitHub.WebhookSecret.Reveal(), cfg.Server.AdminToken.Reveal()}
	for _, s := range secrets {
		if len(s) < 64 || strings.Contains(out, s) {
			t.Errorf("secret of %d characters, or printed", len(s))
		}
	}
	if secrets[0] == secrets[1] {
		t.Error("the same secret twice")
	}

	// A second init makes other secrets, and never replaces a file.
	path2 := filepath.Join(dir, "other.toml")
	if code, _, errs := runIn(t, "--config", path2, "init"); code != 0 {
		t.Fatalf("init: %s", errs)
	}
	cfg2, err := config.Load(path2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg2.GitHub.WebhookSecret == cfg.GitHub.WebhookSecret || cfg2.Server.AdminToken == cfg.Server.AdminToken {
		t.Error("secrets repeat across inits")
	}
	code, _, errs = runIn(t, "--config", path, "init")
	if code != 1 || !strings.Contains(errs, path) || !strings.Contains(errs, "already exists") {
		t.Errorf("init over an existing file: %d %q", code, errs)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, data) {
		t.Error("init changed an existing file")
	}
}

func TestInitRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--public-url", "ftp://x"},
		{"--public-url", "badges.example.org"},
		{"--github", "nobody"},
		{"--github", "a/b/c"},
	} {
		path := filepath.Join(dir, "b.toml")
		code, _, errs := runIn(t, append([]string{"--config", path, "init"}, args...)...)
		if code != 2 || errs == "" {
			t.Errorf("init %v: %d %q", args, code, errs)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("init %v wrote a file", args)
		}
	}
}
