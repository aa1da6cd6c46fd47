package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
)

// verifierCore returns the directory of tools/verifiercore with its
// node_modules, or skips (fails when VERIFIERCORE_REQUIRED is set, as in
// CI).
func verifierCore(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VERIFIERCORE_DIR")
	if dir == "" {
		if _, err := os.Stat("../../tools/verifiercore/node_modules"); err == nil {
			dir = "../../tools/verifiercore"
		}
	}
	if dir == "" {
		if os.Getenv("VERIFIERCORE_REQUIRED") != "" {
			t.Fatal("VERIFIERCORE_REQUIRED is set but VERIFIERCORE_DIR is not")
		}
		t.Skip("verifier-core not installed: run `npm ci` in tools/verifiercore or set VERIFIERCORE_DIR (see .ci/run)")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@digitalcredentials", "verifier-core")); err != nil {
		t.Fatalf("VERIFIERCORE_DIR=%s has no node_modules (run npm ci there): %v", dir, err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not on PATH")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// coreResult is one line of tools/verifiercore/verify.mjs.
type coreResult struct {
	Signature  string   `json:"signature"`
	Expiration string   `json:"expiration"`
	Revocation string   `json:"revocation"`
	Registry   string   `json:"registry"`
	Schema     string   `json:"schema"`
	Errors     []string `json:"errors"`
}

// runVerifierCore runs verifier-core on one credential file.
func runVerifierCore(t *testing.T, dir, file string) (int, coreResult) {
	t.Helper()
	cmd := exec.Command("node", filepath.Join(dir, "verify.mjs"), file)
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
		t.Logf("verifier-core on %s: %s", filepath.Base(file), ee.Stderr)
	} else if err != nil {
		t.Fatal(err)
	}
	var res coreResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("verifier-core on %s: exit %d, output not JSON: %v\n%s", file, code, err, out)
	}
	return code, res
}

// TestEndToEndVerifierCore runs the Digital Credentials Consortium's
// verifier as shipped against a live server: it dereferences the proof's
// verificationMethod over HTTP, checks the key's controller and reads the
// status list, and badgebot verify says the same.
func TestEndToEndVerifierCore(t *testing.T) {
	dir := verifierCore(t)
	app := startApp(t, nil)
	ctx := context.Background()
	tmp := t.TempDir()
	award := func(to bot.Recipient) string {
		a, err := app.Service.Award(ctx, bot.AwardRequest{
			Badge: "first-pr", To: to,
			Evidence:  []bot.Evidence{{URL: "https://github.com/octo-org/hello/pull/1", Name: "hello#1"}},
			Narrative: "First merged pull request.", Source: bot.SourceManual,
		})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	save := func(name, url string) string {
		resp, body := get(t, url, "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
		}
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ids := map[string]string{
		"e-mail": award(bot.Recipient{Platform: "email", ID: "alice@example.org"}),
		"github": award(bot.Recipient{Platform: "github", ID: "octocat"}),
	}
	for name, id := range ids {
		t.Run(name, func(t *testing.T) {
			file := save(name+".json", app.URL+"/awards/"+id+"/credential.json")
			code, res := runVerifierCore(t, dir, file)
			if code != 0 || res.Signature != "valid" || res.Expiration != "valid" || res.Revocation != "valid" || res.Registry != "not checked" {
				t.Errorf("verifier-core: exit %d, %+v", code, res)
			}
			if code, out, errs := verifyCLI(file); code != 0 || !strings.HasSuffix(out, "VALID\n") {
				t.Errorf("badgebot verify: exit %d\n%s%s", code, out, errs)
			}

			data, _ := os.ReadFile(file)
			bad := filepath.Join(tmp, "tampered-"+name+".json")
			os.WriteFile(bad, tamper(t, "credential.json", data), 0o600)
			if code, res := runVerifierCore(t, dir, bad); code != 1 || res.Signature != "invalid" {
				t.Errorf("verifier-core on a tampered credential: exit %d, %+v", code, res)
			}
			if code, out, _ := verifyCLI(bad); code != 1 || !strings.HasSuffix(out, "INVALID\n") {
				t.Errorf("badgebot verify accepted a tampered credential: exit %d\n%s", code, out)
			}
		})
	}

	// Revoked: both read the bit from the status list.
	if _, err := app.Service.Revoke(ctx, ids["github"], "awarded by mistake", "test"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(tmp, "github.json")
	if code, res := runVerifierCore(t, dir, file); code != 1 || res.Signature != "valid" || res.Revocation != "invalid" {
		t.Errorf("verifier-core on a revoked credential: exit %d, %+v", code, res)
	}
	if code, out, _ := verifyCLI(file); code != 1 || !strings.Contains(out, "REVOKED") {
		t.Errorf("badgebot verify on a revoked credential: exit %d\n%s", code, out)
	}
}
