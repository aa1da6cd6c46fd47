package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/storage"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func cliAwards(t *testing.T, e *cliEnv) []map[string]any {
	t.Helper()
	code, out, errs := e.run("awards", "list", "--json")
	if code != 0 {
		t.Fatalf("awards list: %s", errs)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	return list
}

const allContributorsRC = `{
  "projectName": "hello",
  "projectOwner": "octo",
  "repoType": "github",
  "repoHost": "https://github.com",
  "files": ["README.md"],
  "contributorsPerLine": 7,
  "contributors": [
    {"login": "alice", "name": "Alice", "avatar_url": "https://avatars.githubusercontent.com/u/1?v=4",
     "profile": "https://alice.dev", "contributions": ["code", "doc", "review"]},
    {"login": "bob", "name": "Bob", "avatar_url": "https://avatars.githubusercontent.com/u/2?v=4",
     "profile": "https://github.com/bob", "contributions": ["bug", {"type": "code", "url": "https://github.com/octo/hello/pull/7"}]},
    {"login": "", "contributions": ["code"]},
    {"login": "carol", "contributions": ["cooking"]}
  ]
}`

func TestImportAllContributors(t *testing.T) {
	e := newCLI(t)
	chat := newFakeChat(t)
	enableChat(t, e, chat)
	rc := writeFile(t, e.dir, ".all-contributorsrc", allContributorsRC)

	if code, _, errs := e.run("import", "all-contributors", rc); code != 2 || !strings.Contains(errs, "--map") {
		t.Errorf("import without a mapping: %d %q", code, errs)
	}

	// A dry run awards nothing and says what it would.
	code, out, _ := e.run("import", "all-contributors", rc, "--map", "code=first-pr", "--map", "review=reviewer", "--dry-run")
	if code != 1 {
		t.Errorf("dry run with bad rows: exit %d", code)
	}
	for _, want := range []string{"would award first-pr to github:alice", "would award reviewer to github:alice", "would award first-pr to github:bob", "would award 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if n := len(cliAwards(t, e)); n != 0 {
		t.Fatalf("a dry run awarded %d", n)
	}

	code, out, errs := e.run("import", "all-contributors", rc, "--map", "code=first-pr", "--map", "review=reviewer")
	if code != 1 {
		t.Errorf("import with bad rows: exit %d, want 1", code)
	}
	for _, want := range []string{"row 3: contributor has no login", `row 4: contributor carol: "cooking" is not an all-contributors type`} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if !strings.Contains(out, "awarded 3") || !strings.Contains(out, "one summary announced to 2 channels") {
		t.Errorf("import output:\n%s", out)
	}
	awards := cliAwards(t, e)
	if len(awards) != 3 {
		t.Fatalf("%d awards, want 3", len(awards))
	}
	// One summary per channel, not a post per award.
	if n := len(chat.to("C0ANNOUNCE")); n != 1 {
		t.Errorf("%d posts to the Slack announce channel, want one summary", n)
	}
	if n := len(chat.to("1100000000000000001")); n != 1 {
		t.Errorf("%d posts to the Discord announce channel, want one summary", n)
	}

	// Evidence: the repository, and the contribution's own link.
	db, err := storage.Open(context.Background(), filepath.Join(e.dir, "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := db.Awards(context.Background(), bot.AwardFilter{Recipient: bot.Recipient{Platform: "github", ID: "bob"}})
	db.Close()
	if err != nil || len(stored) != 1 {
		t.Fatalf("bob's awards: %v %v", stored, err)
	}
	a := stored[0]
	if a.Source != bot.SourceImport || a.SourceRef != "all-contributors:octo/hello:bob:code" || len(a.Evidence) != 2 ||
		a.Evidence[0].URL != "https://github.com/octo/hello" || a.Evidence[1].URL != "https://github.com/octo/hello/pull/7" {
		t.Errorf("bob's award: source %q %q, evidence %+v", a.Source, a.SourceRef, a.Evidence)
	}

	// A second run awards nothing new and posts nothing.
	code, out, _ = e.run("import", "all-contributors", rc, "--map", "code=first-pr", "--map", "review=reviewer")
	if code != 1 || !strings.Contains(out, "awarded 0, 3 imported before") {
		t.Errorf("second import: %d\n%s", code, out)
	}
	if n := len(cliAwards(t, e)); n != 3 {
		t.Errorf("%d awards after a re-import, want 3", n)
	}
	if n := len(chat.to("C0ANNOUNCE")); n != 1 {
		t.Errorf("a re-import posted again: %d posts", n)
	}
}

func TestImportCSV(t *testing.T) {
	e := newCLI(t)
	csvFile := writeFile(t, e.dir, "past.csv", "badge,recipient,date,evidence,narrative\n"+
		"first-pr,github:dana,2024-03-01,https://github.com/octo/hello/pull/1,Her first merged PR\n"+
		"reviewer,github:erin,,https://example.org/r/1 https://example.org/r/2,\n"+
		"nope,github:dana,2024-01-01,,\n"+
		"first-pr,notarecipient,2024-01-01,,\n"+
		"first-pr,github:finn,31/12/2024,,\n"+
		"first-pr,github:gus\n"+
		"first-pr,github:hal,2999-01-01,,\n"+
		"first-pr,github:ivy,2024-05-05,ftp://example.org/x,\n")
	code, out, errs := e.run("import", "csv", csvFile)
	if code != 1 {
		t.Errorf("exit %d, want 1 (some rows refused)", code)
	}
	for _, want := range []string{
		`row 4: no badge "nope"`, "row 5: ", `row 6: date "31/12/2024": want YYYY-MM-DD`, "row 7: 2 fields, the header has 5",
		"row 8: date 2999-01-01 is in the future", `row 9: evidence "ftp://example.org/x": must be an http(s) URL`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if strings.Count(errs, "badgebot: import: row") != 6 {
		t.Errorf("want one line per refused row:\n%s", errs)
	}
	if !strings.Contains(out, "8 rows: awarded 2, 0 imported before, 0 already held, 6 refused") {
		t.Errorf("output:\n%s", out)
	}
	awards := cliAwards(t, e)
	if len(awards) != 2 {
		t.Fatalf("%d awards, want 2", len(awards))
	}
	for _, a := range awards {
		if a["recipient"] == "github:dana" && !strings.HasPrefix(a["issued_at"].(string), "2024-03-01") {
			t.Errorf("dana's award issued %v, want the CSV's date", a["issued_at"])
		}
	}

	// Again: nothing new. A narrative edited since does not make a new row.
	data, _ := os.ReadFile(csvFile)
	os.WriteFile(csvFile, []byte(strings.Replace(string(data), "Her first merged PR", "Her first PR to be merged", 1)), 0o600)
	_, out, _ = e.run("import", "csv", csvFile)
	if !strings.Contains(out, "awarded 0, 2 imported before") || len(cliAwards(t, e)) != 2 {
		t.Errorf("re-import:\n%s", out)
	}

	// Headers are checked before anything is read.
	bad := writeFile(t, e.dir, "bad.csv", "badge,who\nfirst-pr,github:x\n")
	if code, _, errs := e.run("import", "csv", bad); code != 1 || !strings.Contains(errs, `unknown column "who"`) {
		t.Errorf("bad header: %d %q", code, errs)
	}
}

func TestImportMappingFromConfig(t *testing.T) {
	e := newCLI(t)
	data, _ := os.ReadFile(e.config)
	os.WriteFile(e.config, append(data, []byte("\n[import.all_contributors]\ncode = \"first-pr\"\n")...), 0o600)
	rc := writeFile(t, e.dir, "rc.json", `{"projectOwner":"octo","projectName":"hello","contributors":[{"login":"alice","contributions":["code","doc"]}]}`)
	code, out, errs := e.run("import", "all-contributors", rc)
	if code != 0 || !strings.Contains(out, "1 rows: awarded 1") {
		t.Errorf("import with the config's mapping: %d %q %q", code, out, errs)
	}
	os.WriteFile(e.config, append(data, []byte("\n[import.all_contributors]\ncoding = \"first-pr\"\n")...), 0o600)
	if code, _, errs := e.run("import", "all-contributors", rc); code != 1 || !strings.Contains(errs, `unknown key "import.all_contributors.coding"`) {
		t.Errorf("a misspelt type: %d %q", code, errs)
	}
	os.WriteFile(e.config, data, 0o600)
	if code, _, errs := e.run("import", "all-contributors", rc, "--map", "coding=first-pr"); code != 2 || !strings.Contains(errs, "not an all-contributors type") {
		t.Errorf("a misspelt --map: %d %q", code, errs)
	}
}
