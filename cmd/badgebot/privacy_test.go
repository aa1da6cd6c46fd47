package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// privacyToken is an admin token long enough for any length rule.
const privacyToken = "privacy-test-admin-token-0123456789abcdef"

// getAuth fetches url as JSON with the bearer token (none when empty).
func getAuth(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// TestEmailLookupsNeedAdminToken asks the people pages and the awards API
// about e-mail addresses that hold badges, as a stranger would: the answer
// must not tell whether the address is known (DESIGN §5).
func TestEmailLookupsNeedAdminToken(t *testing.T) {
	app := startApp(t, func(c *config.Config) { c.Server.AdminToken = privacyToken })
	for _, to := range []string{"email:alice@example.org", "bugzilla:ada@example.org", "github:octocat", "slack:U024BE7LH"} {
		if code, out := apiPost(t, app.URL+"/api/v1/awards", privacyToken, `{"badge":"first-pr","recipient":"`+to+`","evidence":["https://github.com/o/r/pull/1"]}`); code != http.StatusCreated {
			t.Fatalf("award to %s: %d %v", to, code, out)
		}
	}

	for _, who := range []string{"email:alice@example.org", "bugzilla:ada@example.org"} {
		// A stranger learns nothing: the same 404 as for an address nobody has.
		code, body := getAuth(t, app.URL+"/people/"+who, "")
		unknownCode, unknown := getAuth(t, app.URL+"/people/"+strings.Replace(who, ":", ":nobody-", 1), "")
		if code != http.StatusNotFound || unknownCode != http.StatusNotFound {
			t.Errorf("/people/%s without token: %d (unknown address: %d), want 404 for both", who, code, unknownCode)
		}
		if string(bytes.Replace(unknown, []byte("nobody-"), nil, 1)) != string(body) {
			t.Errorf("/people/%s without token answers %s, an unknown address %s", who, body, unknown)
		}
		if code, body := getAuth(t, app.URL+"/people/"+who, "wrong-token"); code != http.StatusNotFound {
			t.Errorf("/people/%s with a wrong token: %d %s, want 404", who, code, body)
		}
		if code, body := getAuth(t, app.URL+"/people/"+who, privacyToken); code != http.StatusOK || !bytes.Contains(body, []byte("first-pr")) {
			t.Errorf("/people/%s with the admin token: %d %s, want 200 and the award", who, code, body)
		}

		code, body = getAuth(t, app.URL+"/api/v1/awards?to="+who, "")
		if code != http.StatusUnauthorized || bytes.Contains(body, []byte("first-pr")) {
			t.Errorf("awards?to=%s without token: %d %s, want 401", who, code, body)
		}
		if code, body := getAuth(t, app.URL+"/api/v1/awards?to="+strings.ToUpper(who[:1])+who[1:], "wrong-token"); code != http.StatusUnauthorized {
			t.Errorf("awards?to=%s with a wrong token: %d %s, want 401", who, code, body)
		}
		if code, body := getAuth(t, app.URL+"/api/v1/awards?to="+who, privacyToken); code != http.StatusOK || !bytes.Contains(body, []byte("first-pr")) {
			t.Errorf("awards?to=%s with the admin token: %d %s, want 200 and the award", who, code, body)
		}
	}

	// An e-mail-only person's public handle tells nothing of the address.
	_, body := getAuth(t, app.URL+"/people/email:alice@example.org", privacyToken)
	var person struct{ Handle, Name, URL string }
	if err := json.Unmarshal(body, &person); err != nil || !strings.HasPrefix(person.Handle, "person-") {
		t.Fatalf("person of email:alice@example.org: %v %s, want a person-N handle", err, body)
	}
	for _, accept := range []string{"application/json", "text/html"} {
		resp, page := get(t, person.URL, accept)
		if resp.StatusCode != http.StatusOK || bytes.Contains(bytes.ToLower(page), []byte("alice")) {
			t.Errorf("GET %s (%s): %d, shows the address's local part:\n%s", person.URL, accept, resp.StatusCode, page)
		}
	}

	// Public platforms still resolve for everyone.
	for _, who := range []string{"github:octocat", "slack:U024BE7LH"} {
		if code, body := getAuth(t, app.URL+"/people/"+who, ""); code != http.StatusOK || !bytes.Contains(body, []byte("first-pr")) {
			t.Errorf("/people/%s: %d %s, want 200", who, code, body)
		}
	}
	if code, body := getAuth(t, app.URL+"/api/v1/awards?to=github:octocat", ""); code != http.StatusOK || !bytes.Contains(body, []byte("first-pr")) {
		t.Errorf("awards?to=github:octocat: %d %s, want 200", code, body)
	}
}

// TestPrivateRepositoryDeliveryShowsNothingOfIt delivers a real merged
// pull request of a private repository (repository.private true): the
// badge is awarded, but no public page, API answer, signed document or
// baked image names the repository, the pull request or its title.
func TestPrivateRepositoryDeliveryShowsNothingOfIt(t *testing.T) {
	app := startApp(t, nil)
	body := githubPayload(t, "pull_request.closed.merged.private.json")
	if code, resp := postGitHub(t, app.URL, "pull_request", "private-1", body, testSecret); code != http.StatusAccepted {
		t.Fatalf("delivery: %d %s", code, resp)
	}
	settle(t, app)
	as := awardsOf(t, app, "github:codertocat")
	if len(as) != 1 || as[0].Badge != "first-pr" {
		t.Fatalf("awards of codertocat = %+v, want one first-pr", as)
	}
	id := as[0].ID
	award := app.URL + "/awards/" + id
	secrets := []string{"secret-merger-project", "Initech", "pull/2"}
	surfaces := map[string]string{
		award:                                 "text/html",
		award + " ":                           "application/ld+json", // OB 2.0 assertion
		award + "/credential.json":            "",
		award + "/badge.png":                  "",
		award + "/badge.png?format=ob2":       "",
		award + "/badge.svg":                  "",
		award + "/badge.svg?format=ob2":       "",
		app.URL + "/api/v1/awards":            "",
		app.URL + "/people/codertocat":        "text/html",
		app.URL + "/people/codertocat ":       "application/json",
		app.URL + "/people/github:codertocat": "text/html",
	}
	for url, accept := range surfaces {
		resp, got := get(t, strings.TrimSpace(url), accept)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s (%s): %d", url, accept, resp.StatusCode)
			continue
		}
		for _, s := range secrets {
			if bytes.Contains(got, []byte(s)) {
				t.Errorf("GET %s (%s) shows %q", url, accept, s)
			}
		}
		if url == award+"/credential.json" && !bytes.Contains(got, []byte("A contribution to a private repository")) {
			t.Errorf("credential without the private contribution as evidence:\n%s", got)
		}
	}
	// The VC-JWT's payload is base64url: decode it before looking.
	resp, jwt := get(t, award+"/credential.jwt", "")
	parts := strings.Split(string(jwt), ".")
	if resp.StatusCode != http.StatusOK || len(parts) != 3 {
		t.Fatalf("credential.jwt: %d %q", resp.StatusCode, jwt)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if bytes.Contains(payload, []byte(s)) {
			t.Errorf("the VC-JWT shows %q", s)
		}
	}
	// The evidence without a URL (its id a URN) still verifies elsewhere.
	t.Run("obverify", func(t *testing.T) {
		dir := obverify(t)
		tmp := t.TempDir()
		save := func(name, url, accept string) string { return saveGet(t, tmp, name, url, accept) }
		docs := map[string]string{
			app.URL + "/issuer":                save("issuer.json", app.URL+"/issuer", "application/ld+json"),
			app.URL + "/.well-known/jwks.json": save("jwks.json", app.URL+"/.well-known/jwks.json", ""),
			app.URL + "/status/1":              save("status.json", app.URL+"/status/1", "application/json"),
		}
		for i, k := range app.Issuer.KeyRing().Keys() {
			u := app.Issuer.KeyURL(k.ID)
			docs[u] = save(fmt.Sprintf("key-%d.json", i), u, "")
		}
		for _, name := range []string{"credential.json", "credential.jwt", "badge.png"} {
			code, out := runVerifier(t, dir, save(name, award+"/"+name, ""), docs)
			if code, out = withoutKeyURLRule(t, code, out); code != 0 || strings.Contains(out, "FAIL") {
				t.Errorf("verifier rejected %s (exit %d):\n%s", name, code, out)
			}
		}
	})
}

// TestEmailAddressesRefusedByAPIAndCLI: the admin API answers 400 with the
// reason, and `badgebot award` exits 1 with it, when a narrative, an
// evidence URL (also with a percent-encoded '@') or a revocation reason
// holds an e-mail address; nothing is awarded or revoked.
func TestEmailAddressesRefusedByAPIAndCLI(t *testing.T) {
	app := startApp(t, func(c *config.Config) { c.Server.AdminToken = privacyToken })
	awards := app.URL + "/api/v1/awards"
	for _, body := range []string{
		`{"badge":"first-pr","recipient":"github:octocat","narrative":"Thanks carol@example.org!"}`,
		`{"badge":"first-pr","recipient":"github:octocat","evidence":["https://example.org/report?email=carol@example.org"]}`,
		`{"badge":"first-pr","recipient":"github:octocat","evidence":["https://example.org/report?email=carol%40example.org"]}`,
	} {
		code, out := apiPost(t, awards, privacyToken, body)
		if msg, _ := out["error"].(string); code != http.StatusBadRequest || !strings.Contains(msg, "e-mail address") {
			t.Errorf("POST %s: %d %v, want 400 naming the e-mail address", body, code, out)
		}
	}
	if as := awardsOf(t, app, "github:octocat"); len(as) != 0 {
		t.Fatalf("%d awards made", len(as))
	}
	code, created := apiPost(t, awards, privacyToken, `{"badge":"first-pr","recipient":"github:octocat","evidence":["https://github.com/o/r/pull/1"]}`)
	if code != http.StatusCreated {
		t.Fatalf("award: %d %v", code, created)
	}
	if code, out := apiPost(t, awards+"/"+created["id"].(string)+"/revoke", privacyToken, `{"reason":"duplicate, see carol@example.org"}`); code != http.StatusBadRequest {
		t.Errorf("revoke with an address in the reason: %d %v, want 400", code, out)
	}

	e := newCLI(t)
	for _, args := range [][]string{
		{"--narrative", "Thanks carol@example.org!"},
		{"--evidence", "https://example.org/report?email=carol%40example.org"},
	} {
		code, _, errs := e.run(append([]string{"award", "--badge", "first-pr", "--to", "github:octocat"}, args...)...)
		if code != exitError || !strings.Contains(errs, "badgebot: The narrative contains an e-mail address") && !strings.Contains(errs, "badgebot: The evidence link contains an e-mail address") {
			t.Errorf("award %v: exit %d, stderr %q; want 1 and the reason on one line", args, code, errs)
		}
	}
}

// TestLogsNameNoEmail captures the server's log, through the logger every
// command uses, while e-mail identities are awarded by the API and by a
// Bugzilla delivery, asked about and refused: no address may appear.
func TestLogsNameNoEmail(t *testing.T) {
	var logs syncBuffer
	app := startAppLogging(t, func(c *config.Config) {
		c.Server.AdminToken = privacyToken
		c.Bugzilla.URL = "https://bugzilla.example.org"
		c.Bugzilla.Secret = "bz-secret"
	}, &logs)
	award := `{"badge":"first-pr","recipient":"email:alice@example.org","evidence":["https://github.com/o/r/pull/1"]}`
	if code, out := apiPost(t, app.URL+"/api/v1/awards", privacyToken, award); code != http.StatusCreated {
		t.Fatalf("award: %d %v", code, out)
	}
	apiPost(t, app.URL+"/api/v1/awards", privacyToken, award) // already held
	getAuth(t, app.URL+"/people/email:alice@example.org", privacyToken)
	getAuth(t, app.URL+"/people/bugzilla:nobody@example.org", "")

	body, err := os.ReadFile("../../integrations/bugzilla/testdata/bug.modify.fixed.json")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", app.URL+"/webhooks/bugzilla", bytes.NewReader(body))
	req.Header.Set(app.Config.Bugzilla.SecretHeader, "bz-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	settle(t, app)
	if as := awardsOf(t, app, "bugzilla:ada@example.org"); len(as) != 1 {
		t.Fatalf("awards of bugzilla:ada@example.org: %d, want 1", len(as))
	}

	// The sweep's failure line names its recipient too.
	app.Log.Error("sweep: award failed", "to", bot.Recipient{Platform: bot.PlatformEmail, ID: "carol@example.org"},
		"err", fmt.Errorf("storage: person email:carol@example.org: %w", errors.New("disk full")))

	got := logs.String()
	if !strings.Contains(got, "badge awarded") {
		t.Fatalf("the awards were not logged:\n%s", got)
	}
	if a := bot.FindEmail(got); a != "" {
		t.Errorf("the log shows the address %q:\n%s", a, got)
	}
	if !strings.Contains(got, "person=person-") {
		t.Errorf("the award lines do not name the person by handle:\n%s", got)
	}
}
