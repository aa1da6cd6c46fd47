package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

const acceptBrowser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// publicFixture is a running badgebot with a few awards: alice (github,
// two badges), bob (one badge, announce off), carol (a revoked award).
type publicFixture struct {
	*testApp
	aliceAward, carolAward string
}

func startPublic(t *testing.T) *publicFixture {
	t.Helper()
	app := startApp(t, func(c *config.Config) {
		c.Rules = append([]config.RuleConfig(nil), c.Rules...) // not the loaded config's array
		for i := range c.Rules {
			if c.Rules[i].Name == "first-merged-pr" {
				c.Rules[i].Repositories = []string{"octo-org/*"}
				c.Rules[i].Threshold = 3
				c.Rules[i].Window = "30d"
			}
		}
	})
	ctx := context.Background()
	award := func(badge string, to bot.Recipient) *bot.Award {
		a, err := app.Service.Award(ctx, bot.AwardRequest{Badge: badge, To: to, Source: bot.SourceManual,
			Narrative: "For the pages test."})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	alice := bot.Recipient{Platform: "github", ID: "alice"}
	a1 := award("first-pr", alice)
	award("reviewer", alice)
	bob := bot.Recipient{Platform: "github", ID: "bob"}
	award("first-pr", bob)
	p, err := app.DB.PersonByRecipient(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.DB.SetAnnounce(ctx, p.ID, bot.AnnounceOff); err != nil {
		t.Fatal(err)
	}
	c := award("bug-squasher", bot.Recipient{Platform: "github", ID: "carol"})
	if _, err := app.Service.Revoke(ctx, c.ID, "Awarded by mistake", "console:admin"); err != nil {
		t.Fatal(err)
	}
	return &publicFixture{testApp: app, aliceAward: a1.ID, carolAward: c.ID}
}

// page fetches a page as a browser would and checks it is HTML.
func (f *publicFixture) page(t *testing.T, path string, status int) string {
	t.Helper()
	resp, body := get(t, f.URL+path, acceptBrowser)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d\n%s", path, resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	return string(body)
}

func mustContain(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func TestPublicPages(t *testing.T) {
	f := startPublic(t)

	t.Run("home", func(t *testing.T) {
		body := f.page(t, "/", http.StatusOK)
		mustContain(t, "home", body, f.Config.Issuer.Name, "Recent awards", "@alice", "@bob",
			"Popular badges", "First Pull Request", "2 awards", `href="`+f.URL+`/leaderboard"`)
		if strings.Contains(body, "@carol") {
			t.Errorf("home lists a revoked award")
		}
	})

	t.Run("not found", func(t *testing.T) {
		body := f.page(t, "/no/such/page", http.StatusNotFound)
		mustContain(t, "404 page", body, "Page not found", f.Config.Issuer.Name, `<link rel="stylesheet" href="`+f.URL+"/assets/style.")
		for _, accept := range []string{"", "application/json"} {
			resp, body := get(t, f.URL+"/no/such/page", accept)
			var e struct{ Error string }
			if resp.StatusCode != http.StatusNotFound || json.Unmarshal(body, &e) != nil || e.Error == "" {
				t.Errorf("Accept %q: %d %s, want a JSON 404", accept, resp.StatusCode, body)
			}
		}
		body = f.page(t, "/people/nobody-here", http.StatusNotFound)
		mustContain(t, "person 404 page", body, "Page not found")
		resp, jbody := get(t, f.URL+"/people/nobody-here", "application/json")
		if resp.StatusCode != http.StatusNotFound || !bytes.HasPrefix(bytes.TrimSpace(jbody), []byte("{")) {
			t.Errorf("person 404 for JSON clients: %d %s", resp.StatusCode, jbody)
		}
	})

	t.Run("badge", func(t *testing.T) {
		body := f.page(t, "/badges/first-pr", http.StatusOK)
		mustContain(t, "badge page", body,
			"Awarded automatically after 3 merged pull requests in octo-org/* within 30 days.",
			"/badge nominate @someone first-pr", "Earned by", "@alice", "@bob",
			`<meta property="og:title" content="First Pull Request">`)
		body = f.page(t, "/badges/first-pr?page=2", http.StatusOK)
		if strings.Contains(body, "@alice") {
			t.Errorf("page 2 of two earners lists alice")
		}
		f.page(t, "/badges/first-pr?page=zero", http.StatusBadRequest)
	})

	t.Run("leaderboard", func(t *testing.T) {
		body := f.page(t, "/leaderboard", http.StatusOK)
		mustContain(t, "leaderboard", body, "@alice</a></td><td>2</td>")
		if strings.Contains(body, "@bob") {
			t.Errorf("leaderboard lists bob, who chose announce off")
		}
		if strings.Contains(body, "@carol") {
			t.Errorf("leaderboard lists carol, whose only award is revoked")
		}
	})

	t.Run("award", func(t *testing.T) {
		body := f.page(t, "/awards/"+f.aliceAward, http.StatusOK)
		u := f.URL + "/awards/" + f.aliceAward
		mustContain(t, "award page", body, "<strong>Valid.</strong>", "<strong>proof</strong> ok",
			"<strong>status</strong> ok", `value="`+u+`"`, "Copy link", "Add to LinkedIn",
			"https://www.linkedin.com/profile/add?", "startTask=CERTIFICATION_NAME", "certId="+f.aliceAward,
			"name=First&#43;Pull&#43;Request", "organizationName=",
			u+"/credential.json", u+"/credential.jwt", u+"/badge.png", u+"/badge.svg",
			`<meta property="og:image" content="`+u+`/card.png">`,
			`<meta name="twitter:card" content="summary_large_image">`)
		body = f.page(t, "/awards/"+f.carolAward, http.StatusGone)
		mustContain(t, "revoked award page", body, "Revoked", "Reason: Awarded by mistake",
			"<strong>status</strong> fail")
		if strings.Contains(body, "<strong>Valid.</strong>") {
			t.Errorf("revoked award shown as valid")
		}
	})

	t.Run("person", func(t *testing.T) {
		body := f.page(t, "/people/alice", http.StatusOK)
		mustContain(t, "person page", body, `<meta property="og:url" content="`+f.URL+`/people/alice">`)
	})
}

func TestShareCard(t *testing.T) {
	f := startPublic(t)
	u := f.URL + "/awards/" + f.aliceAward + "/card.png"
	resp, body := get(t, u, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("card: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(body))
	if err != nil || cfg.Width != 1200 || cfg.Height != 630 {
		t.Fatalf("card is %dx%d (%v), want 1200x630", cfg.Width, cfg.Height, err)
	}
	_, again := get(t, u, "")
	if !bytes.Equal(body, again) {
		t.Errorf("card differs between requests")
	}
	if resp, _ := get(t, f.URL+"/awards/nope/card.png", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("card of a missing award: %d", resp.StatusCode)
	}
}

// TestImmutableDocuments: credentials, baked images and cards carry a
// strong ETag and a long Cache-Control, and answer 304 to If-None-Match.
func TestImmutableDocuments(t *testing.T) {
	f := startPublic(t)
	base := f.URL + "/awards/" + f.aliceAward
	for _, path := range []string{"/credential.json", "/credential.jwt", "/badge.png", "/badge.svg",
		"/badge.png?format=ob2", "/card.png"} {
		resp, body := get(t, base+path, "")
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		if !strings.HasPrefix(etag, `"`) {
			t.Errorf("%s: ETag %q, want a strong one", path, etag)
		}
		if cc := resp.Header.Get("Cache-Control"); strings.Contains(path, "ob2") {
			// The baked OB 2.0 assertion says whether it is revoked.
			if cc != "no-cache" {
				t.Errorf("%s: Cache-Control %q, want no-cache", path, cc)
			}
		} else if !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("If-None-Match", `"other", `+etag)
		r2, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r2.Body.Close()
		if r2.StatusCode != http.StatusNotModified || r2.Header.Get("ETag") != etag {
			t.Errorf("%s: If-None-Match answered %d (ETag %q), want 304", path, r2.StatusCode, r2.Header.Get("ETag"))
		}
	}
}

// TestPersonPageSurvivesLink: after two people are linked, the page of the
// one merged away redirects to the page of the one kept.
func TestPersonPageSurvivesLink(t *testing.T) {
	app := startApp(t, nil)
	ctx := context.Background()
	slackAlice := bot.Recipient{Platform: "slack", ID: "U0ALICE"}
	if _, err := app.DB.EnsurePerson(ctx, slackAlice, "u0alice"); err != nil {
		t.Fatal(err)
	}
	gh := bot.Recipient{Platform: "github", ID: "alice"}
	if _, err := app.Service.Award(ctx, bot.AwardRequest{Badge: "first-pr", To: gh, Source: bot.SourceManual, Narrative: "For the link test."}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, app.URL+"/people/alice", acceptBrowser); resp.StatusCode != http.StatusOK {
		t.Fatalf("before link: %d", resp.StatusCode)
	}
	p, err := app.DB.LinkIdentities(ctx, slackAlice, gh)
	if err != nil {
		t.Fatal(err)
	}
	if p.Handle == "alice" {
		t.Fatalf("the kept person has handle alice: the test needs the page to move")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(app.URL + "/people/Alice")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := app.URL + "/people/" + p.Handle; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Fatalf("/people/Alice after link: %d to %q, want 301 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	resp, body := get(t, app.URL+"/people/alice", acceptBrowser)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "First Pull Request") {
		t.Fatalf("following the redirect: %d", resp.StatusCode)
	}
}
