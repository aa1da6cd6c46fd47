package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// TestMigrateFromSQLite copies a SQLite instance with awards (one revoked)
// into PostgreSQL with `badgebot migrate --from sqlite:PATH`, starts the
// server on PostgreSQL at the old address with the old key_dir, and checks
// that every old award serves the same signed credential at its old URL
// and that `badgebot verify` accepts it there (the revoked one: refused as
// revoked).
func TestMigrateFromSQLite(t *testing.T) {
	server := os.Getenv("BADGEBOT_TEST_PG")
	if server == "" {
		t.Skip("BADGEBOT_TEST_PG is not set: no PostgreSQL server to migrate into")
	}
	ctx := context.Background()
	dir := t.TempDir()
	dbPath, keyDir := filepath.Join(dir, "old.db"), filepath.Join(dir, "keys")
	old := startApp(t, func(c *config.Config) {
		c.Storage = config.StorageConfig{Driver: driverSQLite, Path: dbPath}
		c.Issuer.KeyDir = keyDir
	})
	tmpl := githubPayload(t, "pull_request.closed.merged.json")
	for i := range 3 {
		body := bytes.ReplaceAll(tmpl, []byte(`"login": "Codertocat"`), []byte(fmt.Sprintf(`"login": "old-%d"`, i)))
		body = bytes.ReplaceAll(body, []byte(`/pull/2`), []byte(fmt.Sprintf(`/pull/%d`, 100+i)))
		body = bytes.ReplaceAll(body, []byte(`"number": 2,`), []byte(fmt.Sprintf(`"number": %d,`, 100+i)))
		if code, resp := postGitHub(t, old.URL, "pull_request", fmt.Sprintf("old-%d", i), body, testSecret); code != http.StatusAccepted {
			t.Fatalf("delivery: %d %s", code, resp)
		}
	}
	settle(t, old)
	var ids []string
	creds := map[string][]byte{}
	for i := range 3 {
		as := awardsOf(t, old, fmt.Sprintf("github:old-%d", i))
		if len(as) != 1 {
			t.Fatalf("old-%d: %d awards", i, len(as))
		}
		ids = append(ids, as[0].ID)
	}
	if _, err := old.Service.Revoke(ctx, ids[2], "a test", "slack:U0ADMIN"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		_, creds[id] = get(t, old.URL+"/awards/"+id+"/credential.json", "")
	}
	addr := strings.TrimPrefix(old.URL, "http://")
	// Stop the old server; its cleanup still finds its result.
	old.cancel()
	err := <-old.done
	old.done <- err
	old.App.Close()

	pgURL := tempSchema(t, server)
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Environ: []string{
		"BADGEBOT_STORAGE_DRIVER=postgres", "BADGEBOT_STORAGE_URL=" + pgURL, "BADGEBOT_ISSUER_KEY_DIR=" + keyDir,
	}}
	if code := run(ctx, []string{"--config", "../../config.example.toml", "migrate", "--from", "sqlite:" + dbPath}, env); code != 0 {
		t.Fatalf("migrate --from: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "copied 3 awards") {
		t.Errorf("migrate --from said:\n%s", out.String())
	}
	// Again: the database is no longer empty, and nothing is copied twice.
	errb.Reset()
	if code := run(ctx, []string{"--config", "../../config.example.toml", "migrate", "--from", "sqlite:" + dbPath}, env); code != 1 || !strings.Contains(errb.String(), "empty") {
		t.Errorf("second migrate --from: exit %d: %s", code, errb.String())
	}

	moved := startApp(t, func(c *config.Config) {
		c.Storage = config.StorageConfig{Driver: driverPostgres, URL: config.SecretURL(pgURL)}
		c.Issuer.KeyDir = keyDir
		c.Server.Listen = addr
	})
	if moved.URL != old.URL {
		t.Fatalf("new server at %s, old at %s", moved.URL, old.URL)
	}
	for i, id := range ids {
		url := moved.URL + "/awards/" + id + "/credential.json"
		if _, cred := get(t, url, ""); !bytes.Equal(cred, creds[id]) {
			t.Errorf("award %s: credential differs after the copy", id)
		}
		code, stdout, stderr := verifyCLI(url)
		if want := map[bool]int{false: 0, true: 1}[i == 2]; code != want {
			t.Errorf("verify %s: exit %d, want %d\n%s%s", url, code, want, stdout, stderr)
		}
	}
	// New awards continue the old status indexes and ids.
	body := bytes.ReplaceAll(tmpl, []byte(`"login": "Codertocat"`), []byte(`"login": "new-0"`))
	if code, resp := postGitHub(t, moved.URL, "pull_request", "new-0", body, testSecret); code != http.StatusAccepted {
		t.Fatalf("delivery after the copy: %d %s", code, resp)
	}
	settle(t, moved)
	if as := awardsOf(t, moved, "github:new-0"); len(as) != 1 || as[0].StatusIndex <= 2 {
		t.Errorf("award after the copy: %+v", as)
	}
}
