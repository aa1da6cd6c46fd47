package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
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
	app := startApp(t, func(c *Config) { c.Server.AdminToken = privacyToken })
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
