package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// serveCLIConfig starts a server on e's config and points the config's
// public_url at it, so that awards the CLI signs name the server's
// documents, as with one public URL in production.
func serveCLIConfig(t *testing.T, e *cliEnv, listen string, adjust func(*config.Config)) *testApp {
	t.Helper()
	srv := startApp(t, func(c *config.Config) {
		*c = mustLoad(t, e.config)
		c.Server.Listen = listen
		if adjust != nil {
			adjust(c)
		}
	})
	b, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), `public_url = "http://127.0.0.1:8080"`, `public_url = "`+srv.URL+`"`, 1)
	if cfg == string(b) && !strings.Contains(cfg, srv.URL) {
		t.Fatal("example config has moved on: server.public_url not found")
	}
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv
}

// stopApp stops a server started by startApp before the test ends.
func stopApp(ta *testApp) error {
	ta.cancel()
	err := <-ta.done
	ta.done <- nil // for startApp's cleanup
	ta.App.Close()
	return err
}

// awardCLI awards by `badgebot award` and returns the award's id.
func awardCLI(t *testing.T, e *cliEnv, to string) string {
	t.Helper()
	code, out, errs := e.run("award", "--badge", "first-pr", "--to", to, "--evidence", "https://github.com/o/r/pull/1", "--json")
	if code != 0 {
		t.Fatalf("award to %s: %d %s", to, code, errs)
	}
	var a struct{ ID string }
	if err := json.Unmarshal([]byte(out), &a); err != nil || a.ID == "" {
		t.Fatalf("award --json: %v %s", err, out)
	}
	return a.ID
}

// wantVerified runs `badgebot verify` on an award's hosted credential and
// VC-JWT: the keys are resolved through the server's documents.
func wantVerified(t *testing.T, base, id string) {
	t.Helper()
	for _, form := range []string{"credential.json", "credential.jwt"} {
		if code, out, errs := verifyCLI(base + "/awards/" + id + "/" + form); code != 0 {
			t.Errorf("award %s %s: exit %d\n%s%s", id, form, code, out, errs)
		}
	}
}

// TestBackupRestoreKeepsAwardsVerifiable backs up a running instance, loses
// its data directory (database and keys), restores the archive the way
// `backup -h` says, and finds every earlier award verifying against the
// restored server.
func TestBackupRestoreKeepsAwardsVerifiable(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("tar not installed")
	}
	e := newCLI(t)
	srv := serveCLIConfig(t, e, "127.0.0.1:0", nil)
	before := awardCLI(t, e, "github:octocat")
	if code, _, errs := e.run("keys", "rotate"); code != 0 {
		t.Fatalf("keys rotate: %d %s", code, errs)
	}
	after := awardCLI(t, e, "github:hubot")

	archive := filepath.Join(t.TempDir(), "nightly.tar.gz")
	code, out, errs := e.run("backup", archive)
	if code != 0 || !strings.Contains(out, "4 signing keys") {
		t.Fatalf("backup while serving: exit %d\n%s%s", code, out, errs)
	}
	if st, err := os.Stat(archive); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("archive: %v, want mode 0600", err)
	}
	if code, _, errs := e.run("backup", archive); code != exitError || !strings.Contains(errs, "already exists") {
		t.Errorf("second backup to the same file: exit %d %s", code, errs)
	}
	if code, _, errs := e.run("backup", filepath.Join(t.TempDir(), "copy.db")); code != exitUsage || !strings.Contains(errs, ".tar.gz") {
		t.Errorf("backup to a .db: exit %d %s, want usage naming .tar.gz", code, errs)
	}

	addr := srv.Addr()
	if err := stopApp(srv); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"b.db", "b.db-wal", "b.db-shm", "keys"} {
		if err := os.RemoveAll(filepath.Join(e.dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("tar", "-xzf", archive, "-C", e.dir).CombinedOutput(); err != nil {
		t.Fatalf("tar -xzf: %v\n%s", err, out)
	}
	if st, err := os.Stat(filepath.Join(e.dir, "keys")); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("restored keys: %v, want a directory of mode 0700", err)
	}

	restored := serveCLIConfig(t, e, addr, nil)
	for _, id := range []string{before, after} {
		wantVerified(t, restored.URL, id)
	}
}

// TestRotationPublishedByRunningServer: `badgebot keys rotate` beside a
// running server that shares its key directory. Without a restart the
// server publishes the new keys (/issuer, JWKS, /issuer/keys/{id}), verifies what the CLI
// signs with them, and signs its own new awards with them.
func TestRotationPublishedByRunningServer(t *testing.T) {
	const token = "rotation-test-admin-token-0123456789abcdef"
	e := newCLI(t)
	srv := serveCLIConfig(t, e, "127.0.0.1:0", func(c *config.Config) { c.Server.AdminToken = token })
	old := awardCLI(t, e, "github:octocat")

	code, out, errs := e.run("keys", "rotate", "--json")
	if code != 0 {
		t.Fatalf("keys rotate: %d %s", code, errs)
	}
	var keys []struct {
		Algorithm, ID string
		Current       bool
	}
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatal(err)
	}
	current := map[string]string{}
	for _, k := range keys {
		if k.Current {
			current[k.Algorithm] = k.ID
		}
	}

	if _, body := get(t, srv.URL+"/issuer", "application/ld+json"); !strings.Contains(string(body), current["Ed25519"]) {
		t.Errorf("/issuer does not publish the new Ed25519 key %s:\n%s", current["Ed25519"], body)
	}
	if _, body := get(t, srv.URL+"/.well-known/jwks.json", ""); !strings.Contains(string(body), current["RSA"]) {
		t.Errorf("JWKS does not publish the new RSA key %s:\n%s", current["RSA"], body)
	}
	for _, id := range []string{current["Ed25519"], current["RSA"]} {
		if resp, body := get(t, srv.URL+"/issuer/keys/"+id, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("/issuer/keys/%s after the rotation: %d %s", id, resp.StatusCode, body)
		}
	}
	fresh := awardCLI(t, e, "github:hubot")
	for _, id := range []string{old, fresh} {
		wantVerified(t, srv.URL, id)
	}

	code, created := apiPost(t, srv.URL+"/api/v1/awards", token, `{"badge":"first-pr","recipient":"github:monalisa","evidence":["https://github.com/o/r/pull/2"]}`)
	if code != http.StatusCreated {
		t.Fatalf("award through the server: %d %v", code, created)
	}
	_, cred := get(t, srv.URL+"/awards/"+created["id"].(string)+"/credential.json", "")
	if !strings.Contains(string(cred), current["Ed25519"]) {
		t.Errorf("the server signed after the rotation with an old key:\n%s", cred)
	}
}
