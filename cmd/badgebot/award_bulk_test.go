package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

func TestAwardToSeveralReportsEach(t *testing.T) {
	e := newCLI(t)
	if code, _, errs := e.run("award", "--badge", "first-pr", "--to", "github:carol", "--narrative", "First PR"); code != 0 {
		t.Fatalf("award: %s", errs)
	}
	code, out, _ := e.run("award", "--badge", "first-pr", "--to", "github:alice", "--to", "github:bob", "--to", "github:carol", "--narrative", "First PRs")
	if code != 1 {
		t.Errorf("exit %d, want 1 (carol already has it)", code)
	}
	for _, want := range []string{"github:alice: awarded first-pr: award ", "github:bob: awarded first-pr: award ", `github:carol: not awarded: github:carol already has "first-pr"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := len(cliAwards(t, e)); n != 3 {
		t.Errorf("%d awards, want 3 (alice, bob and carol's first)", n)
	}

	code, out, _ = e.run("award", "--badge", "reviewer", "--to", "github:alice", "--to", "github:bob", "--narrative", "Reviews", "--json")
	var res []awardResultJSON
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || len(res) != 2 || res[0].Award == nil || res[1].Recipient != "github:bob" {
		t.Errorf("--json with two recipients: %d %v\n%s", code, err, out)
	}
	// One --to prints one award object, as before.
	code, out, _ = e.run("award", "--badge", "reviewer", "--to", "github:dana", "--narrative", "Reviews", "--json")
	var one map[string]any
	if err := json.Unmarshal([]byte(out), &one); code != 0 || err != nil || one["badge"] != "reviewer" {
		t.Errorf("--json with one recipient: %d %v\n%s", code, err, out)
	}
}

func TestAPIAwardToAList(t *testing.T) {
	const token = "s3cret-admin-token-of-32-bytes-or-more!"
	app := startApp(t, func(c *config.Config) { c.Server.AdminToken = token })
	awards := app.URL + "/api/v1/awards"
	code, out := apiPost(t, awards, token, `{"badge":"first-pr","recipients":["github:alice","nobody","github:bob","github:alice"],"evidence":["https://github.com/o/r/pull/1"]}`)
	if code != http.StatusOK {
		t.Fatalf("list: %d %v", code, out)
	}
	buf, _ := json.Marshal(out["results"])
	var res []awardResultJSON
	json.Unmarshal(buf, &res)
	if len(res) != 4 {
		t.Fatalf("results %s", buf)
	}
	if res[0].Award == nil || res[0].Award.Badge != "first-pr" || res[2].Award == nil {
		t.Errorf("alice and bob not awarded: %s", buf)
	}
	if res[1].Code != "invalid" || res[1].Recipient != "nobody" || res[3].Code != "conflict" {
		t.Errorf("per-recipient errors: %s", buf)
	}
	if code, _ := apiPost(t, awards, "", `{"badge":"first-pr","recipients":["github:x"]}`); code != http.StatusUnauthorized {
		t.Errorf("a list without the token: %d", code)
	}
	if code, _ := apiPost(t, awards, token, `{"badge":"first-pr","recipient":"github:x","recipients":["github:y"]}`); code != http.StatusBadRequest {
		t.Errorf("both recipient and recipients: %d", code)
	}
}
