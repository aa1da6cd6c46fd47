package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

func apiPost(t *testing.T, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestAdminAPI(t *testing.T) {
	const token = "s3cret-admin-token"
	app := startApp(t, func(c *config.Config) { c.Server.AdminToken = token })
	awards := app.URL + "/api/v1/awards"
	good := `{"badge":"first-pr","recipient":"email:Ada@Example.org","evidence":["https://github.com/o/r/pull/9"],"narrative":"Great first PR"}`

	if code, _ := apiPost(t, awards, "", good); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, _ := apiPost(t, awards, "wrong", good); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", code)
	}
	if code, out := apiPost(t, awards, token, `{"badge":`); code != http.StatusBadRequest || !strings.Contains(out["error"].(string), "malformed") {
		t.Errorf("malformed: %d %v, want 400 with a reason", code, out)
	}
	if code, _ := apiPost(t, awards, token, `{"badge":"first-pr","recipient":"email:a@example.org","bogus":1}`); code != http.StatusBadRequest {
		t.Errorf("unknown field: %d, want 400", code)
	}
	big := `{"badge":"first-pr","recipient":"email:a@example.org","narrative":"` + strings.Repeat("x", maxAPIBody) + `"}`
	if code, _ := apiPost(t, awards, token, big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d, want 413", code)
	}
	if code, _ := apiPost(t, awards, token, `{"badge":"no-such","recipient":"email:a@example.org"}`); code != http.StatusNotFound {
		t.Errorf("unknown badge: %d, want 404", code)
	}
	if code, _ := apiPost(t, awards, token, `{"badge":"first-pr","recipient":"nobody"}`); code != http.StatusBadRequest {
		t.Errorf("bad recipient: %d, want 400", code)
	}
	code, created := apiPost(t, awards, token, good)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, created)
	}
	id := created["id"].(string)
	if code, _ := apiPost(t, awards, token, good); code != http.StatusConflict {
		t.Errorf("second award of a non-repeatable badge: %d, want 409", code)
	}

	// Public reads carry no e-mail address.
	resp, body := get(t, awards+"?badge=first-pr", "")
	if resp.StatusCode != 200 || bytes.Contains(bytes.ToLower(body), []byte("ada@example.org")) || !bytes.Contains(body, []byte(id)) {
		t.Errorf("public awards list %d: %s", resp.StatusCode, body)
	}

	if code, _ := apiPost(t, awards+"/"+id+"/revoke", token, `{"reason":""}`); code != http.StatusBadRequest {
		t.Errorf("revoke without reason: %d, want 400", code)
	}
	if code, out := apiPost(t, awards+"/"+id+"/revoke", token, `{"reason":"duplicate"}`); code != http.StatusOK || out["revoked"] != true {
		t.Errorf("revoke: %d %v", code, out)
	}
	if code, _ := apiPost(t, awards+"/"+id+"/revoke", token, `{"reason":"again"}`); code != http.StatusConflict {
		t.Errorf("revoke twice: %d, want 409", code)
	}
	if resp, _ := get(t, app.URL+"/awards/"+id, "application/json"); resp.StatusCode != http.StatusGone {
		t.Errorf("revoked assertion: %d, want 410", resp.StatusCode)
	}

	links := app.URL + "/api/v1/links"
	if code, out := apiPost(t, links, token, `{"a":"github:octocat","b":"github:octocat"}`); code != http.StatusBadRequest || out["error"] != "the two identities are the same" {
		t.Errorf("link of one identity with itself: %d %v, want 400", code, out)
	}
	if code, out := apiPost(t, links, token, `{"a":"github:octocat","b":"email:ada@example.org"}`); code != http.StatusOK || out["handle"] != "octocat" ||
		out["url"] != app.Config.Server.PublicURL+"/people/octocat" {
		t.Errorf("link: %d %v", code, out)
	}
	trail, err := app.DB.Audit(t.Context(), bot.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if last := trail[len(trail)-1]; last.Action != bot.AuditLink || last.By != bot.ViaAPI || last.Via != bot.ViaAPI ||
		!strings.Contains(last.Subject, "github:octocat") || last.Detail != "octocat" {
		t.Errorf("audit of the link: %+v, want a link by api via api", last)
	}
}

func TestWriteAPIOffWithoutToken(t *testing.T) {
	app := startApp(t, nil)
	if code, out := apiPost(t, app.URL+"/api/v1/awards", "anything", `{}`); code != http.StatusForbidden || !strings.Contains(out["error"].(string), "admin_token") {
		t.Errorf("write API without a configured token: %d %v, want 403 naming admin_token", code, out)
	}
}
