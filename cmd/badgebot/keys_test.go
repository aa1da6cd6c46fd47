package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/issuer"
)

// keyIDs returns the ids `keys list --json` prints, by algorithm.
func keyIDs(t *testing.T, e *cliEnv) map[string][]string {
	t.Helper()
	code, out, errs := e.run("keys", "list", "--json")
	if code != 0 {
		t.Fatalf("keys list: %d %s", code, errs)
	}
	var keys []struct{ Algorithm, ID string }
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("keys list --json: %v\n%s", err, out)
	}
	ids := map[string][]string{}
	for _, k := range keys {
		ids[k.Algorithm] = append(ids[k.Algorithm], k.ID)
	}
	return ids
}

// TestFreshInstanceKeysBesideDatabase: with key_dir left empty, the first
// start makes the keys in a private "keys" directory beside the database.
func TestFreshInstanceKeysBesideDatabase(t *testing.T) {
	e := newCLI(t)
	if code, _, errs := e.run("badge", "list"); code != 0 {
		t.Fatalf("badge list: %d %s", code, errs)
	}
	dir := filepath.Join(e.dir, "keys")
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("no key directory beside the database: %v", err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %v, want 0700", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	pems := 0
	for _, en := range entries {
		info, _ := en.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", en.Name(), info.Mode().Perm())
		}
		if strings.HasSuffix(en.Name(), ".pem") {
			pems++
		}
	}
	if pems != 2 {
		t.Errorf("%d key files, want 2", pems)
	}
}

// TestStartRefusedWhenKeysOfAwardsAreMissing: an instance with awards whose
// key directory is gone, or restored from before a rotation, does not
// make new keys and run on; commands that sign and the server refuse to
// start, naming the missing keys and the way back.
func TestStartRefusedWhenKeysOfAwardsAreMissing(t *testing.T) {
	e := newCLI(t)
	if code, _, errs := e.run("award", "--badge", "first-pr", "--to", "github:octocat", "--evidence", "https://github.com/o/r/pull/1"); code != 0 {
		t.Fatalf("award: %d %s", code, errs)
	}
	first := keyIDs(t, e)[issuer.KeyEd25519]
	keyDir := filepath.Join(e.dir, "keys")
	if err := os.Rename(keyDir, filepath.Join(e.dir, "keys.lost")); err != nil {
		t.Fatal(err)
	}

	code, _, errs := e.run("award", "--badge", "first-pr", "--to", "github:hubot", "--evidence", "https://github.com/o/r/pull/2")
	if code != exitError || strings.Count(errs, "\n") != 1 {
		t.Fatalf("award without keys: exit %d, stderr %q; want 1 and one line", code, errs)
	}
	for _, want := range []string{keyDir, first[0], "backup"} {
		if !strings.Contains(errs, want) {
			t.Errorf("refusal %q does not name %q", errs, want)
		}
	}
	if _, err := os.Stat(keyDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused start made a key directory: %v", err)
	}
	app := NewApp(mustLoad(t, e.config), quietLog())
	err := app.Open(t.Context())
	app.Close()
	if err == nil || !strings.Contains(err.Error(), first[0]) {
		t.Fatalf("server start without keys: %v, want a refusal naming %s", err, first[0])
	}

	// Keys restored from before a rotation lack the newer key: refused,
	// naming only that one.
	if err := os.Rename(filepath.Join(e.dir, "keys.lost"), keyDir); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(e.dir, "keys.old")
	copyDir(t, keyDir, old)
	if code, _, errs := e.run("keys", "rotate"); code != 0 {
		t.Fatalf("keys rotate: %d %s", code, errs)
	}
	if code, _, errs := e.run("award", "--badge", "first-pr", "--to", "github:hubot", "--evidence", "https://github.com/o/r/pull/2"); code != 0 {
		t.Fatalf("award after rotation: %d %s", code, errs)
	}
	rotated := keyIDs(t, e)[issuer.KeyEd25519]
	os.RemoveAll(keyDir)
	copyDir(t, old, keyDir)
	code, _, errs = e.run("awards", "list")
	if code != exitError || !strings.Contains(errs, rotated[1]) || strings.Contains(errs, rotated[0]) {
		t.Errorf("keys from before the rotation: exit %d, stderr %q; want a refusal naming %s only", code, errs, rotated[1])
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}
