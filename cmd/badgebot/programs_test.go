package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
	"github.com/badgebot/badgebot/integrations/console"
)

// programsConfig adds two programs to the example config, each with a
// badge and an owner on Slack: docs with its own Slack channels, colour
// and logo; forum with none (its awards go to the instance's channels).
func programsConfig(api *fakeChat) func(*config.Config) {
	return func(c *config.Config) {
		c.Slack.Enabled = true
		c.Slack.BotToken = "xoxb-test-token"
		c.Slack.SigningSecret = slackTestSecret
		c.Slack.APIURL = config.SecretURL(api.srv.URL + "/slack/")
		c.Slack.AnnounceChannel = "C0ANNOUNCE"
		c.Slack.ReviewChannel = "C0REVIEW"
		c.Admins = []string{"slack:U0ADMIN"}
		c.Programs = []config.ProgramConfig{
			{Slug: "docs", Name: "Docs Team", Description: "Recognising the people who write our documentation.",
				URL: "https://docs.example.org", Color: "#0b6e4f", Image: "internal/config/testdata/logo.png",
				Owners: []string{"slack:U0DOCS"}, Slack: config.ProgramChannels{AnnounceChannel: "C0DOCS", ReviewChannel: "C0DOCSREV"}},
			{Slug: "forum", Name: "Support Forum", Owners: []string{"slack:U0FORUM"}},
		}
		c.Badges = append(c.Badges,
			config.BadgeConfig{Slug: "docs-star", Program: "docs", Name: "Docs Star", Description: "Wrote a page of the manual.",
				Criteria: "Get a documentation page merged.", Approvals: 1, Nominations: true},
			config.BadgeConfig{Slug: "forum-helper", Program: "forum", Name: "Forum Helper", Description: "Answered questions on the forum.",
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
	// (A digest whose time passed may be posted at start too: only award
	// announcements are counted.)
	if posts := announced(api, "C0DOCS", "Docs Star"); len(posts) != 1 {
		t.Errorf("announcements in C0DOCS: %v", api.to("C0DOCS"))
	}
	for _, p := range announced(api, "C0ANNOUNCE", "Docs Star") {
		t.Errorf("the docs award was announced in the instance's channel: %v", p)
	}

	// The forum's owner awards the forum's badge; forum has no channel of
	// its own, so the instance's announces it.
	if code, out := slashCommand(t, app.URL, "U0FORUM", "award @slack:U0BOB forum-helper https://forum.example.org/t/1", now, slackTestSecret); code != 200 || strings.Contains(fmt.Sprint(out), "Only") {
		t.Fatalf("forum owner awarding forum-helper: %d %v", code, out)
	}
	app.DeliverNow(t.Context())
	if len(announced(api, "C0ANNOUNCE", "Forum Helper")) != 1 {
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

// announced returns the award announcements of a badge in a channel.
func announced(api *fakeChat, channel, badge string) []chatPost {
	var out []chatPost
	for _, p := range api.to(channel) {
		if strings.HasPrefix(fmt.Sprint(p.Body["text"]), "New badge: "+badge) {
			out = append(out, p)
		}
	}
	return out
}

// verifyProgramAward checks a program's award with obverify (and the
// 1EdTech schema in it), verifier-core and badgebot verify, each fetching
// or given what a verifier fetches from the live server.
func verifyProgramAward(t *testing.T, app *testApp, id, program string) {
	t.Helper()
	tmp := t.TempDir()
	save := func(name, url, accept string) string { return saveGet(t, tmp, name, url, accept) }
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

// TestProgramPages: a program's page, profile, keys and logo; its badge
// and award pages carry its name, colour and logo; the home page lists
// the programs; text from the config is escaped.
func TestProgramPages(t *testing.T) {
	api := newFakeChat(t)
	app := startApp(t, func(c *config.Config) {
		programsConfig(api)(c)
		c.Programs[1].Description = `<script>alert("forum")</script>`
	})
	a, err := app.Service.Award(t.Context(), bot.AwardRequest{Badge: "docs-star", To: bot.Recipient{Platform: "github", ID: "octocat"},
		Evidence: []bot.Evidence{{URL: "https://github.com/octo/docs/pull/1", Name: "docs#1"}}, Source: bot.SourceManual})
	if err != nil {
		t.Fatal(err)
	}
	page := func(url string) string {
		t.Helper()
		resp, body := get(t, url, "text/html")
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", url, resp.StatusCode)
		}
		return string(body)
	}
	mustHave := func(what, body string, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(body, p) {
				t.Errorf("%s lacks %q", what, p)
			}
		}
	}
	pu := app.URL + "/programs/docs"
	mustHave("program page", page(pu), "<h1>", "Docs Team", "--accent:#0b6e4f", pu+"/logo.png", "Docs Star",
		app.URL+"/badges/docs-star", "@octocat", `<meta property="og:title" content="Docs Team">`,
		`<meta property="og:image" content="`+pu+`/logo.png">`, `<meta name="twitter:card" content="summary">`)
	mustHave("badge page", page(app.URL+"/badges/docs-star"), "Issued by <a href=\""+pu+"\">Docs Team</a>", "--accent:#0b6e4f")
	award := page(app.URL + "/awards/" + a.ID)
	mustHave("award page", award, "Issued by <a href=\""+pu+"\">Docs Team</a>", "earned Docs Star from Docs Team",
		`<meta name="twitter:card" content="summary_large_image">`)
	home := page(app.URL + "/")
	mustHave("home page", home, "Programs", pu, "Docs Team", app.URL+"/programs/forum", "Support Forum", "border-top-color: #0b6e4f")
	if forum := page(app.URL + "/programs/forum"); strings.Contains(forum+home, "<script>alert") || !strings.Contains(forum, "&lt;script&gt;") {
		t.Error("a program's description reached a page unescaped")
	}
	if strings.Contains(page(app.URL+"/badges/first-pr"), "Issued by") {
		t.Error("the instance's badge page names a program")
	}

	// Machines: the profile, the key under the program, the logo.
	resp, body := get(t, pu, "application/ld+json")
	var prof struct {
		ID        string `json:"id"`
		ParentOrg struct {
			ID string `json:"id"`
		} `json:"parentOrg"`
		AssertionMethod []string `json:"assertionMethod"`
	}
	if err := json.Unmarshal(body, &prof); resp.StatusCode != 200 || err != nil || prof.ID != pu || prof.ParentOrg.ID != app.URL+"/issuer" ||
		len(prof.AssertionMethod) == 0 || !strings.HasPrefix(prof.AssertionMethod[0], pu+"/keys/") {
		t.Errorf("program profile: %d %v %s", resp.StatusCode, err, body)
	}
	resp, body = get(t, prof.AssertionMethod[0], "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"controller":"`+pu+`"`) {
		t.Errorf("program key: %d %s", resp.StatusCode, body)
	}
	if resp, body := get(t, pu+"/logo.png", ""); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || len(body) == 0 {
		t.Errorf("logo.png: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, u := range []string{pu + "/logo.svg", app.URL + "/programs/forum/logo.png", app.URL + "/programs/nosuch", pu + "/keys/z6Mknosuch", pu + "/status/2"} {
		if resp, _ := get(t, u, ""); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", u, resp.StatusCode)
		}
	}
	if resp, body := get(t, pu+"/revocations", ""); resp.StatusCode != 200 || !strings.Contains(string(body), `"issuer":"`+pu+`?format=ob2"`) {
		t.Errorf("program revocations: %d %s", resp.StatusCode, body)
	}
	if _, body := get(t, app.URL+"/api/v1/badges", ""); !strings.Contains(string(body), `"slug": "docs-star",
    "program": "docs"`) {
		t.Errorf("the API does not say a badge's program: %s", body)
	}
}

// TestProgramUpgrade: an instance with awards adds programs and moves a
// badge into one. The award made before is served byte for byte and
// still verifies at its URL; a new award of the badge is the program's.
func TestProgramUpgrade(t *testing.T) {
	dir := t.TempDir()
	st, keys := testStorage(t, dir), filepath.Join(dir, "keys")
	before := startApp(t, func(c *config.Config) { c.Storage, c.Issuer.KeyDir = st, keys })
	old, err := before.Service.Award(t.Context(), bot.AwardRequest{Badge: "first-pr", To: bot.Recipient{Platform: "github", ID: "octocat"},
		Evidence: []bot.Evidence{{URL: "https://github.com/octo/hello/pull/1", Name: "hello#1"}}, Source: bot.SourceManual})
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{}
	for _, u := range []string{"/credential.json", "/credential.jwt"} {
		_, docs[u] = get(t, before.URL+"/awards/"+old.ID+u, "")
	}
	_, docs["ob2"] = get(t, before.URL+"/awards/"+old.ID, "application/ld+json")
	addr := before.Addr()
	before.cancel()
	err = <-before.done
	before.done <- err // for its cleanup

	api := newFakeChat(t)
	after := startApp(t, func(c *config.Config) {
		programsConfig(api)(c)
		c.Storage, c.Issuer.KeyDir, c.Server.Listen = st, keys, addr
		c.Badges[0].Program = "docs" // first-pr moves into docs
	})
	for u, want := range docs {
		path := "/awards/" + old.ID + u
		accept := ""
		if u == "ob2" {
			path, accept = "/awards/"+old.ID, "application/ld+json"
		}
		if _, got := get(t, after.URL+path, accept); string(got) != string(want) {
			t.Errorf("%s changed after the upgrade:\n%s\nwant\n%s", path, got, want)
		}
	}
	if code, out, errs := verifyCLI(after.URL + "/awards/" + old.ID); code != 0 {
		t.Errorf("the old award no longer verifies: exit %d\n%s%s", code, out, errs)
	}
	if _, page := get(t, after.URL+"/awards/"+old.ID, "text/html"); strings.Contains(string(page), "Issued by") {
		t.Error("the old award's page names the program its badge moved into")
	}
	nw, err := after.Service.Award(t.Context(), bot.AwardRequest{Badge: "first-pr", To: bot.Recipient{Platform: "github", ID: "hubot"},
		Evidence: []bot.Evidence{{URL: "https://github.com/octo/hello/pull/2", Name: "hello#2"}}, Source: bot.SourceManual})
	if err != nil {
		t.Fatal(err)
	}
	if nw.Program != "docs" || !strings.Contains(string(nw.Credential), `"id":"`+after.URL+`/programs/docs"`) {
		t.Errorf("new award: program %q, credential %s", nw.Program, nw.Credential)
	}
	if code, out, errs := verifyCLI(after.URL + "/awards/" + nw.ID); code != 0 {
		t.Errorf("the new award does not verify: exit %d\n%s%s", code, out, errs)
	}
	after.cancel()
	err = <-after.done
	after.done <- err // for its cleanup

	// A config that drops the program its awards were issued under would
	// unpublish their issuer: the start is refused, naming it and an award.
	cfg, err := config.Load("../../config.example.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Storage, cfg.Issuer.KeyDir = st, keys
	app := NewApp(cfg, quietLog())
	err = app.Open(t.Context())
	app.Close()
	if err == nil || !strings.Contains(err.Error(), `"docs"`) || !strings.Contains(err.Error(), nw.ID) {
		t.Fatalf("start without the docs program its awards name: %v; want a refusal naming docs and %s", err, nw.ID)
	}
}
