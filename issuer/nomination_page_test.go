package issuer

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestNominationPage pins the page an approved nomination's evidence links
// to, with hostile text: markup is escaped and no e-mail address shows.
func TestNominationPage(t *testing.T) {
	f := newHTTPFixture(t)
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	n := Nomination{
		ID: 12, Badge: testAchievement(), Nominee: "@octocat", NomineeURL: testProfile.BaseURL + "/people/octocat",
		AwardID: "a1b2c3",
		Backers: []Endorser{
			{Name: "@ada", URL: testProfile.BaseURL + "/people/ada", Reason: "Fixed <b>every</b> flaky test; ask ada@example.org.", At: at},
			{Name: "carol@example.org", Reason: "Seconded.", At: at.Add(time.Hour)},
		},
		Approvers: []Endorser{{Name: "@olive", URL: testProfile.BaseURL + "/people/olive", At: at.Add(48 * time.Hour)}},
		CreatedAt: at, DecidedAt: at.Add(48 * time.Hour),
	}
	w := httptest.NewRecorder()
	f.h.NominationPage(w, httptest.NewRequest(http.MethodGet, "/nominations/12", nil), n)
	if w.Code != http.StatusOK || w.Header().Get("Content-Security-Policy") != pagePolicy {
		t.Fatalf("status %d, CSP %q", w.Code, w.Header().Get("Content-Security-Policy"))
	}
	body := w.Body.String()
	if strings.Contains(body, "<b>every</b>") || emailRE.MatchString(body) {
		t.Errorf("nomination page shows markup or an e-mail address")
	}
	goldenFile(t, "http/nomination.html", pageBody(w.Body.Bytes()))
}
