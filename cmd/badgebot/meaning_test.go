package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// slackCmd runs a chat command as a Slack user, as the adapter would.
func slackCmd(t *testing.T, app *testApp, user, name, text string) string {
	t.Helper()
	rep := app.Router.Handle(t.Context(), bot.Command{
		Platform: bot.PlatformSlack, Caller: bot.Recipient{Platform: bot.PlatformSlack, ID: user}, CallerName: name,
		Channel: "C0GENERAL", Text: text,
	})
	return rep.Message.Text
}

func getJSON(t *testing.T, url, token string, v any) int {
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
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %d, body not JSON: %v", url, resp.StatusCode, err)
	}
	return resp.StatusCode
}

// TestNominationAwardEvidence: an approved nomination's award links the
// nomination's public page and names nominator and approver by handle, in
// the OB 2.0 assertion, the OB 3.0 credential and the award page; the page
// shows who backed and approved it; unapproved nominations stay private.
func TestNominationAwardEvidence(t *testing.T) {
	const token = "an-admin-token-of-at-least-32-bytes!"
	app := startApp(t, func(c *config.Config) { c.Server.AdminToken = token })
	// A chat name that is an address gives no handle (DESIGN §5): the Slack id does.
	if got := slackCmd(t, app, "U0ADA", "ada.l@example.org", "nominate @slack:U0BOB helping-hand Untangled the release notes"); !strings.Contains(got, "Nomination #1") {
		t.Fatalf("nominate: %q", got)
	}
	page := app.URL + "/nominations/1"
	if resp, _ := get(t, page, "text/html"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("pending nomination's page: %d, want 404", resp.StatusCode)
	}
	if got := slackCmd(t, app, "U0ADMIN", "Adele", "approve 1"); !strings.Contains(got, "Approved") {
		t.Fatalf("approve: %q", got)
	}
	as := awardsOf(t, app, "slack:U0BOB")
	if len(as) != 1 {
		t.Fatalf("Bob holds %d awards, want 1", len(as))
	}
	id := as[0].ID
	const narrative = "Nominated by @u0ada: Untangled the release notes. Approved by @adele."

	var ob2 struct {
		Evidence []struct{ ID, Narrative, Genre string } `json:"evidence"`
	}
	if code := getJSON(t, app.URL+"/awards/"+id, "", &ob2); code != 200 || len(ob2.Evidence) != 1 ||
		ob2.Evidence[0].ID != page || ob2.Evidence[0].Narrative != narrative {
		t.Errorf("OB 2.0 assertion %d, evidence %+v; want %s and %q", code, ob2.Evidence, page, narrative)
	}
	var ob3 struct {
		Evidence []struct {
			ID        string `json:"id"`
			Narrative string `json:"narrative"`
		} `json:"evidence"`
	}
	if code := getJSON(t, app.URL+"/awards/"+id+"/credential.json", "", &ob3); code != 200 || len(ob3.Evidence) != 1 ||
		ob3.Evidence[0].ID != page || ob3.Evidence[0].Narrative != narrative {
		t.Errorf("OB 3.0 credential %d, evidence %+v", code, ob3.Evidence)
	}
	_, html := get(t, app.URL+"/awards/"+id, "text/html")
	if !strings.Contains(string(html), `href="`+page+`"`) || !strings.Contains(string(html), "Approved by @adele") {
		t.Errorf("award page lacks the nomination link or the approver:\n%s", html)
	}

	resp, html := get(t, page, "text/html")
	for _, want := range []string{"Nomination #1", "Helping Hand", "@u0bob", "@u0ada", "Untangled the release notes", "@adele", "/awards/" + id} {
		if resp.StatusCode != 200 || !strings.Contains(string(html), want) {
			t.Errorf("nomination page %d lacks %q", resp.StatusCode, want)
		}
	}
	if strings.Contains(string(html), "example.org") {
		t.Error("nomination page shows an e-mail address")
	}
	var nj nominationJSON
	if code := getJSON(t, page, "", &nj); code != 200 || nj.Nominee != "@u0bob" || len(nj.Backers) != 1 || nj.Backers[0].Name != "@u0ada" ||
		len(nj.ApprovedBy) != 1 || nj.ApprovedBy[0].Name != "@adele" {
		t.Errorf("nomination JSON %d: %+v", code, nj)
	}

	// The audit fields are for admins only.
	var public, admin []map[string]any
	getJSON(t, app.URL+"/api/v1/awards", "", &public)
	getJSON(t, app.URL+"/api/v1/awards", token, &admin)
	if len(public) != 1 || len(admin) != 1 {
		t.Fatalf("awards: %d public, %d admin", len(public), len(admin))
	}
	for _, k := range []string{"awarded_by", "awarded_via", "approved_by", "nomination"} {
		if _, ok := public[0][k]; ok {
			t.Errorf("public API shows %q", k)
		}
	}
	if admin[0]["awarded_by"] != "slack:U0ADMIN" || admin[0]["awarded_via"] != "slack" || admin[0]["nomination"] != 1.0 ||
		len(admin[0]["approved_by"].([]any)) != 1 || admin[0]["approved_by"].([]any)[0] != "slack:U0ADMIN" {
		t.Errorf("admin API audit fields: %v", admin[0])
	}
	if code, out := apiPost(t, app.URL+"/api/v1/awards/"+id+"/revoke", token, `{"reason":"nominated twice"}`); code != 200 {
		t.Fatalf("revoke: %d %v", code, out)
	}
	getJSON(t, app.URL+"/api/v1/awards", token, &admin)
	if admin[0]["revoked_by"] != "api" || admin[0]["revoked_via"] != "api" || admin[0]["revocation_reason"] != "nominated twice" || admin[0]["revoked_at"] == nil {
		t.Errorf("admin API after revocation: %v", admin[0])
	}
	var trail []auditEntryJSON
	if code := getJSON(t, app.URL+"/api/v1/audit", token, &trail); code != 200 {
		t.Fatalf("audit API: %d", code)
	}
	var got []string
	for _, e := range trail {
		got = append(got, e.Action+" by "+e.By+" via "+e.Via)
	}
	want := "approve by slack:U0ADMIN via slack|award by slack:U0ADMIN via slack|revoke by api via api"
	if strings.Join(got, "|") != want {
		t.Errorf("audit trail %q, want %q", strings.Join(got, "|"), want)
	}
	var refused map[string]any
	if code := getJSON(t, app.URL+"/api/v1/audit", "", &refused); code != http.StatusUnauthorized {
		t.Errorf("audit API without the token: %d, want 401", code)
	}
}

// TestManualAwardsNeedAReason: the CLI and the API refuse an award with
// neither narrative nor evidence, naming what to add; a narrative alone
// becomes evidence that says who awarded it.
func TestManualAwardsNeedAReason(t *testing.T) {
	const token = "an-admin-token-of-at-least-32-bytes!"
	app := startApp(t, func(c *config.Config) { c.Server.AdminToken = token })
	code, out := apiPost(t, app.URL+"/api/v1/awards", token, `{"badge":"first-pr","recipient":"github:octocat"}`)
	if code != http.StatusBadRequest || !strings.Contains(out["error"].(string), `"narrative"`) {
		t.Errorf("API award without evidence: %d %v, want 400 naming narrative", code, out)
	}
	code, out = apiPost(t, app.URL+"/api/v1/awards", token, `{"badge":"first-pr","recipient":"github:octocat","narrative":"Reviewed the parser rewrite."}`)
	if code != http.StatusCreated {
		t.Fatalf("API award with a narrative: %d %v", code, out)
	}
	var ob2 struct {
		Evidence []struct{ ID, Name, Narrative string } `json:"evidence"`
	}
	getJSON(t, out["url"].(string), "", &ob2)
	if len(ob2.Evidence) != 1 || ob2.Evidence[0].Name != "Awarded by an administrator (badgebot API)" || ob2.Evidence[0].Narrative != "Reviewed the parser rewrite." {
		t.Errorf("evidence of an API award with a narrative: %+v", ob2.Evidence)
	}
}

// TestCLIAuditTrail: `awards list --json` and `audit` show who awarded,
// revoked and linked, when and from where.
func TestCLIAuditTrail(t *testing.T) {
	e := newCLI(t)
	code, out, errs := e.run("award", "--badge", "first-pr", "--to", "github:octocat", "--narrative", "Mentored two newcomers.", "--json")
	if code != 0 {
		t.Fatalf("award: %d %s", code, errs)
	}
	var a map[string]any
	json.Unmarshal([]byte(out), &a)
	id := a["id"].(string)
	if code, _, errs := e.run("revoke", id, "--reason", "wrong person"); code != 0 {
		t.Fatalf("revoke: %d %s", code, errs)
	}
	if code, _, errs := e.run("link", "github:octocat", "slack:U024BE7LH"); code != 0 {
		t.Fatalf("link: %d %s", code, errs)
	}
	code, out, _ = e.run("awards", "list", "--json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 {
		t.Fatalf("awards list --json: %d %v %s", code, err, out)
	}
	for k, want := range map[string]any{"awarded_by": "cli", "awarded_via": "cli", "revoked_by": "cli", "revoked_via": "cli", "revocation_reason": "wrong person"} {
		if list[0][k] != want {
			t.Errorf("awards list --json %s = %v, want %v", k, list[0][k], want)
		}
	}
	if code, out, _ := e.run("awards", "list"); code != 0 || !strings.Contains(out, "by cli via cli  (revoked by cli: wrong person)") {
		t.Errorf("awards list: %d %s", code, out)
	}
	code, out, errs = e.run("audit", "--since", "7d", "--json")
	var trail []auditEntryJSON
	if err := json.Unmarshal([]byte(out), &trail); code != 0 || err != nil {
		t.Fatalf("audit --json: %d %v %s %s", code, err, out, errs)
	}
	var got []string
	for _, x := range trail {
		got = append(got, x.Action+" "+x.Subject+" by "+x.By+" via "+x.Via)
	}
	want := "award github:octocat by cli via cli|revoke github:octocat by cli via cli|link github:octocat slack:U024BE7LH by cli via cli"
	if strings.Join(got, "|") != want {
		t.Errorf("audit %q\nwant  %q", strings.Join(got, "|"), want)
	}
	code, out, _ = e.run("audit")
	if code != 0 || !strings.Contains(out, "revoke first-pr github:octocat award "+id+" by cli via cli: wrong person") {
		t.Errorf("audit: %d\n%s", code, out)
	}
	if code, _, errs := e.run("audit", "--since", "yesterday-ish"); code != exitUsage || !strings.Contains(errs, "7d") {
		t.Errorf("audit --since nonsense: %d %s", code, errs)
	}
	if code, out, _ := e.run("audit", "--since", "2999-01-01"); code != 0 || !strings.Contains(out, "no actions") {
		t.Errorf("audit --since the future: %d %s", code, out)
	}
}

// TestNominationPageHidesOldAddresses: a reason stored before addresses
// were refused at input shows no address on the nomination page, for
// people and machines alike.
func TestNominationPageHidesOldAddresses(t *testing.T) {
	app := startApp(t, nil)
	if got := slackCmd(t, app, "U0ADA", "Ada", "nominate @slack:U0BOB helping-hand Untangled the release notes"); !strings.Contains(got, "Nomination #1") {
		t.Fatalf("nominate: %q", got)
	}
	if got := slackCmd(t, app, "U0ADMIN", "Adele", "approve 1"); !strings.Contains(got, "Approved") {
		t.Fatalf("approve: %q", got)
	}
	ctx := context.Background()
	n, err := app.DB.Nomination(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	n.Reason = "Mailed carol@example.org the release notes" // as an older version stored it
	v, err := app.nominationView(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(toNominationJSON(app.Service, v))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "carol@") || !strings.Contains(string(body), "Mailed") {
		t.Errorf("nomination JSON %s: want the reason without its address", body)
	}
}
