package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifySkippedChecksAreNotValid: a revoked award whose status list
// cannot be read is not VALID. Before, `verify` printed VALID and exited 0
// for it; now it names the checks it could not make and exits 1, unless
// --offline says that checks needing the network may be skipped.
func TestVerifySkippedChecksAreNotValid(t *testing.T) {
	// The issuer's URLs point at a closed port: nothing can be fetched.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	e := newCLI(t)
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.ReplaceAll(string(cfg), "http://127.0.0.1:8080", closed)
	if moved == string(cfg) {
		t.Fatal("example config has moved on: public_url not found")
	}
	os.WriteFile(e.config, []byte(moved), 0o600)

	code, out, errs := e.run("award", "--badge", "first-pr", "--to", "github:octocat", "--narrative", "Fixed the docs build", "--json")
	if code != 0 {
		t.Fatalf("award: %d %s", code, errs)
	}
	var a struct {
		ID string `json:"id"`
	}
	json.Unmarshal([]byte(out), &a)
	if code, _, errs := e.run("revoke", a.ID, "--reason", "awarded by mistake"); code != 0 {
		t.Fatalf("revoke: %d %s", code, errs)
	}
	app := NewApp(mustLoad(t, e.config), quietLog())
	if err := app.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	stored, err := app.DB.Award(t.Context(), a.ID)
	app.Close()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "revoked.json")
	os.WriteFile(path, stored.Credential, 0o600)

	code, out, _ = e.run("verify", path)
	last := lastLine(out)
	if code != 1 || !strings.HasPrefix(last, "NOT VERIFIED") || !strings.Contains(last, "status") {
		t.Errorf("verify with the status list unreadable: exit %d, %q\n%s", code, last, out)
	}
	code, out, _ = e.run("verify", "--offline", path)
	last = lastLine(out)
	if code != 0 || !strings.HasPrefix(last, "VALID (offline; not checked: ") || !strings.Contains(last, "status") {
		t.Errorf("verify --offline: exit %d, %q\n%s", code, last, out)
	}
	code, out, _ = e.run("verify", "--json", path)
	var rep struct {
		Valid   bool   `json:"valid"`
		Outcome string `json:"outcome"`
		Checks  []struct {
			Name         string `json:"name"`
			Status       string `json:"status"`
			NeedsNetwork bool   `json:"needs_network"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.Valid || !strings.HasPrefix(rep.Outcome, "NOT VERIFIED") {
		t.Errorf("verify --json: exit %d, %v, %+v", code, err, rep)
	}
	for _, c := range rep.Checks {
		if c.Name == "status" && (c.Status != "skipped" || !c.NeedsNetwork) {
			t.Errorf("status check %+v, want skipped for want of the network", c)
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}
