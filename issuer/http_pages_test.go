package issuer

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestPagesGolden(t *testing.T) {
	f := newHTTPFixture(t)
	pages := []struct{ golden, path string }{
		{"issuer.html", "/issuer"},
		{"badges.html", "/badges"},
		{"badge.html", "/badges/docs-star"},
		{"award.html", "/awards/a1b2c3"},
		{"award-private-evidence.html", "/awards/gh7"},
		{"award-email-holder.html", "/awards/doc9"},
		{"award-revoked.html", "/awards/r4"},
		{"person.html", "/people/everyone"},
		{"person-empty.html", "/people/nobody"},
		{"not-found.html", "/awards/nope"},
	}
	for _, p := range pages {
		t.Run(p.golden, func(t *testing.T) {
			w := f.get(p.path, acceptBrowser)
			if w.Header().Get("Content-Type") != mediaHTML {
				t.Fatalf("Content-Type %q", w.Header().Get("Content-Type"))
			}
			if w.Header().Get("Content-Security-Policy") != pagePolicy {
				t.Errorf("no Content-Security-Policy")
			}
			goldenFile(t, "http/"+p.golden, pageBody(w.Body.Bytes()))
		})
	}
}

// keyIDRE finds the fixture's signing key (made anew by every run) in the
// checks the award page lists.
var keyIDRE = regexp.MustCompile(`z6Mk[1-9A-HJ-NP-Za-km-z]{40,}`)

// pageBody names the style sheet and the fixture's key the same way every
// run, so that the golden files show the markup and a CSS change does not
// touch all of them.
func pageBody(page []byte) []byte {
	page = keyIDRE.ReplaceAll(page, []byte("z6Mk-test-key"))
	return styleRE.ReplaceAll(page, []byte("/assets/style.HASH.css"))
}

// styleRE finds the style sheet's hashed name in a page.
var styleRE = regexp.MustCompile(`/assets/style\.[0-9a-f]{16}\.css`)

func TestPagesEscape(t *testing.T) {
	f := newHTTPFixture(t)
	body := f.get("/awards/doc9", acceptBrowser).Body.String()
	for _, s := range []string{"Docs &lt;Star&gt;", `alt="Docs &lt;Star&gt; badge artwork"`} {
		if !strings.Contains(body, s) {
			t.Errorf("award page lacks escaped %q", s)
		}
	}
	if strings.Contains(body, "<Star>") {
		t.Errorf("badge name not escaped")
	}
	body = f.get("/awards/gh7", acceptBrowser).Body.String()
	if strings.Contains(body, "<b>bob</b>") || !strings.Contains(body, "&lt;b&gt;bob&lt;/b&gt;") {
		t.Errorf("evidence narrative not escaped")
	}
	// The one script is the award page's copy-link button, allowed by its
	// hash in the Content-Security-Policy.
	body = strings.Replace(body, "<script>"+copyScript+"</script>", "", 1)
	if strings.Contains(body, "<script") || strings.Contains(f.get("/badges", acceptBrowser).Body.String(), "<script") {
		t.Errorf("a page has a script")
	}
}

// emailRE finds anything shaped like an e-mail address.
var emailRE = regexp.MustCompile(`(?i)[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+`)

func TestNoEmailShown(t *testing.T) {
	f := newHTTPFixture(t)
	// An award whose free text and evidence mention addresses: its signed
	// forms carry them as given, its page must not show them.
	leaky := f.award("doc9")
	leaky.ID, leaky.Credential, leaky.JWT = "leaky", nil, ""
	leaky.Narrative = "Thanks to dave@example.org and Carol@Example.org."
	leaky.Evidence = []Evidence{
		{URL: "mailto:carol@example.org", Name: "Mail from carol@example.org"},
		{URL: "https://lists.example.org/archive?from=carol@example.org", Description: "Reply by erin@example.net"},
	}
	leaky.Revoked, leaky.RevocationReason = true, "Asked by carol@example.org"
	f.src.awards["leaky"] = leaky
	body := f.get("/awards/leaky", acceptBrowser).Body.String()
	if m := emailRE.FindAllString(body, -1); len(m) > 0 {
		t.Errorf("award page shows e-mail addresses %q", m)
	}
	delete(f.src.awards, "leaky")

	recipients := []string{"alice@example.org", "carol@example.org", "bob@example.org"}
	paths := []string{"/badges", "/badges/first-pr", "/badges/docs-star", "/people/everyone", "/people/carol@example.org", "/awards/nope"}
	for _, id := range []string{"a1b2c3", "doc9", "r4"} {
		base := "/awards/" + id
		paths = append(paths, base, base+"?format=ob2", base+"/credential.json", base+"/credential.jwt",
			base+"/badge.svg", base+"/badge.svg?format=ob2", base+"/badge.png", base+"/badge.png?format=ob2")
	}
	paths = append(paths, "/revocations", "/status/1", "/.well-known/jwks.json", "/issuer", "/issuer?format=ob2")
	for _, p := range paths {
		for _, accept := range []string{"", acceptBrowser} {
			w := f.get(p, accept)
			body := strings.ToLower(w.Body.String())
			if strings.HasSuffix(p, ".jwt") {
				body = strings.ToLower(string(jwtPayloadOf(t, w.Body.String())))
			}
			for _, e := range recipients {
				if strings.Contains(body, e) {
					t.Errorf("%s (Accept %q) shows the recipient's e-mail %s", p, accept, e)
				}
			}
			if w.Header().Get("Content-Type") != mediaHTML {
				continue
			}
			// Pages show no address at all but the issuer's own contact.
			for _, m := range emailRE.FindAllString(body, -1) {
				if m != strings.ToLower(testProfile.Email) {
					t.Errorf("%s page shows the e-mail address %q", p, m)
				}
			}
		}
	}
}

// jwtPayloadOf decodes the payload of a compact JWS.
func jwtPayloadOf(t *testing.T, token string) []byte {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %.80s", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHideEmails(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{"@alice", "@alice"},
		{"alice@example.org", "alice@…"},
		{"Mail Carol.D+x@mail.Example.org.", "Mail Carol.D+x@…."},
		{"a@b and c@d.e", "a@b and c@…"},
		{"user@localhost", "user@localhost"},
		{"two: a@x.io, b@y.io", "two: a@…, b@…"},
		{"trailing @", "trailing @"},
	}
	for _, tt := range tests {
		if got := hideEmails(tt.in); got != tt.want {
			t.Errorf("hideEmails(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPersonPageSkipsRevoked(t *testing.T) {
	f := newHTTPFixture(t)
	body := f.get("/people/everyone", acceptBrowser).Body.String()
	if strings.Contains(body, "/awards/r4") || !strings.Contains(body, "/awards/a1b2c3") {
		t.Errorf("person page should list a1b2c3 and not the revoked r4")
	}
	if !strings.Contains(body, "3 badges from Example Community") {
		t.Errorf("person page count is wrong")
	}
}

// benchGet serves path to a recorder b.N times and checks the status.
func benchGet(b *testing.B, path, accept string) {
	f := newHTTPFixture(b)
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkAwardJSON is GET /awards/{id} as an OB 2.0 hosted verifier
// sends it: the mux, the Source read, the assertion and the response.
func BenchmarkAwardJSON(b *testing.B) { benchGet(b, "/awards/a1b2c3", "application/ld+json") }

// BenchmarkCredential is GET /awards/{id}/credential.json.
func BenchmarkCredential(b *testing.B) { benchGet(b, "/awards/a1b2c3/credential.json", "") }

// BenchmarkAwardPage is GET /awards/{id} from a browser.
func BenchmarkAwardPage(b *testing.B) { benchGet(b, "/awards/a1b2c3", acceptBrowser) }

// BenchmarkBakedPNG is GET /awards/{id}/badge.png with cached artwork.
func BenchmarkBakedPNG(b *testing.B) { benchGet(b, "/awards/a1b2c3/badge.png", "") }

// BenchmarkStatusList is GET /status/1 once the signed list is cached.
func BenchmarkStatusList(b *testing.B) { benchGet(b, "/status/1", "") }

// TestStyleSheet: a page links the style sheet by the name made from its
// hash; that name is served from memory, immutable, with a strong ETag
// (304 to it) and gzipped for clients that take it; any other name is 404.
func TestStyleSheet(t *testing.T) {
	f := newHTTPFixture(t)
	page := f.get("/awards/doc9", acceptBrowser).Body.String()
	href := styleRE.FindString(page)
	if href == "" || strings.Contains(page, "<style>body") {
		t.Fatalf("the page does not link a hashed style sheet:\n%.600s", page)
	}
	css, err := pageFS.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	w := f.get(href, "text/css")
	if w.Code != 200 || w.Body.String() != string(css) || w.Header().Get("Content-Type") != "text/css; charset=utf-8" ||
		!strings.Contains(w.Header().Get("Cache-Control"), "immutable") || w.Header().Get("Etag") == "" {
		t.Fatalf("GET %s: %d %v, %d bytes; want the sheet, immutable, with an ETag", href, w.Code, w.Header(), w.Body.Len())
	}
	r := httptest.NewRequest(http.MethodGet, href, nil)
	r.Header.Set("If-None-Match", w.Header().Get("Etag"))
	r.Header.Set("Accept-Encoding", "gzip")
	nm := httptest.NewRecorder()
	f.mux.ServeHTTP(nm, r)
	if nm.Code != http.StatusOK || nm.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("If-None-Match of the plain sheet with gzip accepted: %d; the gzipped form has its own ETag, want 200", nm.Code)
	}
	r.Header.Del("Accept-Encoding")
	nm = httptest.NewRecorder()
	f.mux.ServeHTTP(nm, r)
	if nm.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", nm.Code)
	}
	for _, bad := range []string{"/assets/style.0000000000000000.css", "/assets/style.css", "/assets/..%2fpages.go"} {
		if w := f.get(bad, ""); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", bad, w.Code)
		}
	}
}
