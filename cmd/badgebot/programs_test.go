package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/integrations/console"
)

// programsConfig adds two programs to the example config, each with a
// badge and an owner on Slack: docs with its own Slack channels, colour
// and logo; forum with none (its awards go to the instance's channels).
func programsConfig(api *fakeChat) func(*Config) {
	return func(c *Config) {
		c.Slack.Enabled = true
		c.Slack.BotToken = "xoxb-test-token"
		c.Slack.SigningSecret = slackTestSecret
		c.Slack.APIURL = api.srv.URL + "/slack/"
		c.Slack.AnnounceChannel = "C0ANNOUNCE"
		c.Slack.ReviewChannel = "C0REVIEW"
		c.Admins = []string{"slack:U0ADMIN"}
		c.Programs = []ProgramConfig{
			{Slug: "docs", Name: "Docs Team", Description: "Recognising the people who write our documentation.",
				URL: "https://docs.example.org", Color: "#0b6e4f", Image: "testdata/config/logo.png",
				Owners: []string{"slack:U0DOCS"}, Slack: ProgramChannels{AnnounceChannel: "C0DOCS", ReviewChannel: "C0DOCSREV"}},
			{Slug: "forum", Name: "Support Forum", Owners: []string{"slack:U0FORUM"}},
		}
		c.Badges = append(c.Badges,
			BadgeConfig{Slug: "docs-star", Program: "docs", Name: "Docs Star", Description: "Wrote a page of the manual.",
				Criteria: "Get a documentation page merged.", Approvals: 1, Nominations: true},
			BadgeConfig{Slug: "forum-helper", Program: "forum", Name: "Forum Helper", Description: "Answered questions on the forum.",
				Criteria: "Answer ten forum questions.", Approvals: 1, Nominations: true})
	}
}

// consoleSays runs lines through the console adapter as who and returns
// what it printed.
func consoleSays(t *testing.T, app *testApp, who string, lines ...string) string {
	t.Helper()
	r, err := bot.ParseRecipient(who)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	con := console.New(strings.NewReader(strings.Join(lines, "\n")+"\n"), &out, r, r.ID, app.Router)
	if err := con.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestProgramsEndToEnd: two programs across Slack and the console. A
// nomination for a program's badge is reviewed in the program's review
// channel; another program's owner may neither approve it nor award the
// badge; the program's owner approves it; the award is announced in the
// program's channel and issued by the program's profile, which the
// independent verifier, verifier-core and badgebot verify accept.
func TestProgramsEndToEnd(t *testing.T) {
	api := newFakeChat(t)
	app := startApp(t, programsConfig(api))
	now := time.Now()

	// Nominated from the console; reviewed in docs' review channel.
	if out := consoleSays(t, app, "console:carol", "nominate @slack:U0BOB docs-star rewrote the install guide"); !strings.Contains(out, "Nomination #1") {
		t.Fatalf("console nominate:\n%s", out)
	}
	app.DeliverNow(t.Context())
	if review := api.to("C0DOCSREV"); len(review) != 1 || !strings.Contains(fmt.Sprint(review[0].Body["blocks"]), "action_id:approve") {
		t.Fatalf("review in C0DOCSREV: %v", review)
	}
	if review := api.to("C0REVIEW"); len(review) != 0 {
		t.Errorf("a docs nomination was reviewed in the instance's channel: %v", review)
	}

	// The forum's owner may not approve a docs badge, nor award one.
	if _, out := slashCommand(t, app.URL, "U0FORUM", "approve 1", now, slackTestSecret); !strings.Contains(fmt.Sprint(out), "Only") {
		t.Errorf("forum owner approving a docs nomination: %v", out)
	}
	if _, out := slashCommand(t, app.URL, "U0FORUM", "award @slack:U0BOB docs-star https://docs.example.org/install", now, slackTestSecret); !strings.Contains(fmt.Sprint(out), "Only") {
		t.Errorf("forum owner awarding a docs badge: %v", out)
	}
	if as := awardsOf(t, app, "slack:U0BOB"); len(as) != 0 {
		t.Fatalf("awards after refusals: %+v", as)
	}

	// The docs owner approves: awarded under docs, announced in C0DOCS.
	if code, out := slashCommand(t, app.URL, "U0DOCS", "approve 1", now, slackTestSecret); code != 200 || strings.Contains(fmt.Sprint(out), "Only") {
		t.Fatalf("docs owner approving: %d %v", code, out)
	}
	as := awardsOf(t, app, "slack:U0BOB")
	if len(as) != 1 || as[0].Badge != "docs-star" || as[0].Program != "docs" {
		t.Fatalf("awards of the nominee = %+v", as)
	}
	docsAward := as[0]
	app.DeliverNow(t.Context())
	if posts := api.to("C0DOCS"); len(posts) != 1 || !strings.Contains(fmt.Sprint(posts[0].Body["blocks"]), "Docs Star") {
		t.Errorf("announcement in C0DOCS: %v", posts)
	}
	for _, p := range api.to("C0ANNOUNCE") {
		if strings.Contains(fmt.Sprint(p.Body["blocks"]), "Docs Star") {
			t.Errorf("the docs award was announced in the instance's channel: %v", p)
		}
	}

	// The forum's owner awards the forum's badge; forum has no channel of
	// its own, so the instance's announces it.
	if code, out := slashCommand(t, app.URL, "U0FORUM", "award @slack:U0BOB forum-helper https://forum.example.org/t/1", now, slackTestSecret); code != 200 || strings.Contains(fmt.Sprint(out), "Only") {
		t.Fatalf("forum owner awarding forum-helper: %d %v", code, out)
	}
	app.DeliverNow(t.Context())
	found := false
	for _, p := range api.to("C0ANNOUNCE") {
		found = found || strings.Contains(fmt.Sprint(p.Body["blocks"]), "Forum Helper")
	}
	if !found {
		t.Error("the forum award was not announced in C0ANNOUNCE")
	}

	// The docs award is issued by the docs program and verifies.
	resp, body := get(t, app.URL+"/awards/"+docsAward.ID+"/credential.json", "")
	if resp.StatusCode != 200 {
		t.Fatalf("credential: %d", resp.StatusCode)
	}
	var cred struct {
		Issuer struct {
			ID        string `json:"id"`
			ParentOrg struct {
				ID string `json:"id"`
			} `json:"parentOrg"`
		} `json:"issuer"`
	}
	if err := json.Unmarshal(body, &cred); err != nil {
		t.Fatal(err)
	}
	if cred.Issuer.ID != app.URL+"/programs/docs" || cred.Issuer.ParentOrg.ID != app.URL+"/issuer" {
		t.Fatalf("credential issuer %+v", cred.Issuer)
	}
	verifyProgramAward(t, app, docsAward.ID, "docs")
}

// verifyProgramAward checks a program's award with obverify (and the
// 1EdTech schema in it), verifier-core and badgebot verify, each fetching
// or given what a verifier fetches from the live server.
func verifyProgramAward(t *testing.T, app *testApp, id, program string) {
	t.Helper()
	tmp := t.TempDir()
	save := func(name, url, accept string) string {
		resp, body := get(t, url, accept)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
		}
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	award := app.URL + "/awards/" + id
	files := map[string]string{
		"credential.json": save("credential.json", award+"/credential.json", ""),
		"credential.jwt":  save("credential.jwt", award+"/credential.jwt", ""),
		"badge.png":       save("badge.png", award+"/badge.png", ""),
	}
	t.Run("badgebot verify", func(t *testing.T) {
		for name, file := range files {
			if code, out, errs := verifyCLI(file); code != 0 || !strings.Contains(out, "VALID") {
				t.Errorf("badgebot verify %s: exit %d\n%s%s", name, code, out, errs)
			}
		}
		if code, out, errs := verifyCLI(award); code != 0 {
			t.Errorf("badgebot verify %s: exit %d\n%s%s", award, code, out, errs)
		}
	})
	t.Run("obverify", func(t *testing.T) {
		dir := obverify(t)
		pu := app.URL + "/programs/" + program
		docs := map[string]string{
			pu:                                 save("profile.json", pu, "application/ld+json"),
			app.URL + "/.well-known/jwks.json": save("jwks.json", app.URL+"/.well-known/jwks.json", ""),
			pu + "/status/1":                   save("status.json", pu+"/status/1", ""),
		}
		for i, k := range app.Issuer.KeyRing().Keys() {
			u := pu + "/keys/" + k.ID
			docs[u] = save(fmt.Sprintf("key-%d.json", i), u, "")
		}
		for name, file := range files {
			code, out := runVerifier(t, dir, file, docs)
			if code, out = withoutKeyURLRule(t, code, out); code != 0 || strings.Contains(out, "FAIL") {
				t.Errorf("obverify rejected %s (exit %d):\n%s", name, code, out)
			}
		}
	})
	t.Run("verifier-core", func(t *testing.T) {
		dir := verifierCore(t)
		if code, res := runVerifierCore(t, dir, files["credential.json"]); code != 0 || res.Signature != "valid" || res.Revocation != "valid" {
			t.Errorf("verifier-core: exit %d, %+v", code, res)
		}
	})
}
