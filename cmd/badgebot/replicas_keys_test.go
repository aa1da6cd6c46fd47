package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pgReplica returns a replica of the built binary on the PostgreSQL
// database dbURL with a key directory of its own, listening at addr (a
// free port when empty) and naming itself by publicURL (its own URL when
// empty).
func pgReplica(t *testing.T, dir, name, dbURL, addr, publicURL string) *replica {
	t.Helper()
	if addr == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = ln.Addr().String()
		ln.Close()
	}
	if publicURL == "" {
		publicURL = "http://" + addr
	}
	r := &replica{name: name, url: "http://" + addr, log: filepath.Join(dir, name+".log"),
		env: append(os.Environ(),
			"BADGEBOT_SERVER_LISTEN="+addr,
			"BADGEBOT_SERVER_PUBLIC_URL="+publicURL,
			"BADGEBOT_SERVER_ADMIN_TOKEN="+keysTestToken,
			"BADGEBOT_STORAGE_DRIVER=postgres",
			"BADGEBOT_STORAGE_URL="+dbURL,
			"BADGEBOT_ISSUER_KEY_DIR="+filepath.Join(dir, name+"-keys"), // its own
		)}
	t.Cleanup(r.stop)
	return r
}

const keysTestToken = "replica-keys-test-admin-token-0123456789"

// runBin runs the built binary with env and returns its exit code and
// output; one still running after two minutes is killed.
func runBin(bin string, env []string, args ...string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--config", "../../config.example.toml"}, args...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		return -1, err.Error()
	}
	return 0, string(out)
}

// awardAPI awards first-pr to recipient through a replica's API and
// returns the award's id and its signed credential.
func awardAPI(t *testing.T, r *replica, recipient string) (string, string) {
	t.Helper()
	code, created := apiPost(t, r.url+"/api/v1/awards", keysTestToken,
		`{"badge":"first-pr","recipient":"`+recipient+`","evidence":["https://github.com/o/r/pull/2"]}`)
	if code != http.StatusCreated {
		t.Fatalf("award on %s: %d %v", r.name, code, created)
	}
	id := created["id"].(string)
	_, cred := get(t, r.url+"/awards/"+id+"/credential.json", "")
	return id, string(cred)
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a minute", what)
		}
	}
}

// TestReplicasShareKeysAndBackup runs two `badgebot serve` processes on one
// PostgreSQL database, each with a key directory of its own (no shared
// file system). Both publish the keys the first made; `keys rotate` beside
// one is published and signed with by the other; no key is written to a
// key directory. Then `badgebot backup` copies the database from one
// snapshot while they serve, the archive is restored into an empty
// database with `migrate --from`, a server on it refuses to start without
// the archive's keys and, given them, serves every award verifiable.
func TestReplicasShareKeysAndBackup(t *testing.T) {
	server := os.Getenv("BADGEBOT_TEST_PG")
	if server == "" {
		t.Skip("BADGEBOT_TEST_PG is not set: no PostgreSQL server for several replicas")
	}
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("tar not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "badgebot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dbURL := tempSchema(t, server)
	a := pgReplica(t, dir, "a", dbURL, "", "")
	b := pgReplica(t, dir, "b", dbURL, "", a.url) // one public name, a's
	for _, r := range []*replica{a, b} {
		if err := r.start(bin); err != nil {
			t.Fatal(err)
		}
	}
	published := func(r *replica) string {
		_, body := get(t, r.url+"/issuer", "application/ld+json")
		_, jwks := get(t, r.url+"/.well-known/jwks.json", "")
		return string(body) + string(jwks)
	}
	keysOf := func(env []string) map[string]string {
		code, out := runBin(bin, env, "keys", "list", "--json")
		if code != 0 {
			t.Fatalf("keys list: exit %d %s", code, out)
		}
		var keys []struct {
			Algorithm, ID string
			Current       bool
		}
		if err := json.Unmarshal([]byte(out), &keys); err != nil {
			t.Fatalf("keys list --json: %v\n%s", err, out)
		}
		current := map[string]string{}
		for _, k := range keys {
			if k.Current {
				current[k.Algorithm] = k.ID
			}
		}
		return current
	}
	first := keysOf(a.env)
	if first["Ed25519"] == "" || first["RSA"] == "" {
		t.Fatalf("current keys: %v", first)
	}
	for _, r := range []*replica{a, b} {
		if p := published(r); !strings.Contains(p, first["Ed25519"]) || !strings.Contains(p, first["RSA"]) {
			t.Errorf("%s does not publish the first keys %v", r.name, first)
		}
	}
	before, _ := awardAPI(t, a, "github:octocat")

	// A rotation beside replica a, with a's config: b publishes the new
	// keys and signs with them, without a restart.
	if code, out := runBin(bin, a.env, "keys", "rotate"); code != 0 || !strings.Contains(out, "PostgreSQL database") {
		t.Fatalf("keys rotate: exit %d %s", code, out)
	}
	rotated := keysOf(b.env)
	if rotated["Ed25519"] == first["Ed25519"] || rotated["RSA"] == first["RSA"] {
		t.Fatalf("keys after the rotation %v, before %v", rotated, first)
	}
	for _, r := range []*replica{b, a} {
		waitFor(t, r.name+" publishes the rotated keys", func() bool {
			p := published(r)
			return strings.Contains(p, rotated["Ed25519"]) && strings.Contains(p, rotated["RSA"]) && strings.Contains(p, first["Ed25519"])
		})
	}
	after, cred := awardAPI(t, b, "github:hubot")
	if !strings.Contains(cred, rotated["Ed25519"]) {
		t.Errorf("b signed after the rotation with another key:\n%s", cred)
	}
	for _, id := range []string{before, after} {
		wantVerified(t, a.url, id)
	}
	for _, name := range []string{"a-keys", "b-keys"} {
		if _, err := os.Stat(filepath.Join(dir, name, "keys.json")); err == nil {
			t.Errorf("%s holds keys: on PostgreSQL they are kept in the database", name)
		}
	}

	// Backup while both serve, restored into an empty database.
	archive := filepath.Join(dir, "nightly.tar.gz")
	if code, out := runBin(bin, b.env, "backup", archive); code != 0 || !strings.Contains(out, "4 signing keys") {
		t.Fatalf("backup on PostgreSQL: exit %d %s", code, out)
	}
	restored := filepath.Join(dir, "restored")
	if err := os.Mkdir(restored, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-xzf", archive, "-C", restored).CombinedOutput(); err != nil {
		t.Fatalf("tar -xzf: %v\n%s", err, out)
	}
	aside := filepath.Join(dir, "archive-keys")
	if err := os.Rename(filepath.Join(restored, "keys"), aside); err != nil {
		t.Fatal(err)
	}
	newURL := tempSchema(t, server)
	addr := strings.TrimPrefix(a.url, "http://")
	a.stop()
	b.stop()
	c := pgReplica(t, dir, "c", newURL, addr, "")
	if code, out := runBin(bin, c.env, "migrate", "--from", "sqlite:"+filepath.Join(restored, "badgebot.db")); code != 0 || !strings.Contains(out, "copied 2 awards") {
		t.Fatalf("migrate --from the archive: exit %d %s", code, out)
	}
	// Without the archive's keys the restored instance does not start.
	if code, out := runBin(bin, c.env, "serve"); code == 0 || !strings.Contains(out, "lacks") {
		t.Fatalf("serve without the awards' keys: exit %d %s", code, out)
	}
	c.env = append(c.env, "BADGEBOT_ISSUER_KEY_DIR="+aside)
	if err := c.start(bin); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(c.env); got["Ed25519"] != rotated["Ed25519"] || got["RSA"] != rotated["RSA"] {
		t.Errorf("current keys after the restore %v, want %v", got, rotated)
	}
	for _, id := range []string{before, after} {
		wantVerified(t, c.url, id)
	}
	newer, cred := awardAPI(t, c, "github:monalisa")
	if !strings.Contains(cred, rotated["Ed25519"]) {
		t.Errorf("the restored instance signed with another key:\n%s", cred)
	}
	wantVerified(t, c.url, newer)
}
