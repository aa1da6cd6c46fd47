package issuer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/png"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/badgebot/badgebot/issuer/artwork"
	"github.com/badgebot/badgebot/issuer/bake"
	"github.com/google/go-cmp/cmp"
)

func TestWantsJSON(t *testing.T) {
	tests := []struct {
		accept []string
		want   bool
	}{
		{nil, true},
		{[]string{"*/*"}, true},
		{[]string{"application/json"}, true},
		{[]string{"application/ld+json"}, true},
		{[]string{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`}, true},
		{[]string{"application/vc+ld+json"}, true},
		{[]string{"application/*"}, true},
		{[]string{"image/png"}, true},
		{[]string{acceptBrowser}, false},
		{[]string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, false},
		{[]string{"TEXT/HTML"}, false},
		{[]string{"text/*"}, false},
		{[]string{"application/json, text/html"}, true},
		{[]string{"text/html, application/json"}, false},
		{[]string{"text/html;q=0.5, application/json"}, true},
		{[]string{"application/json;q=0.5, text/html"}, false},
		{[]string{"text/html;q=0, */*"}, true},
		{[]string{"application/json;q=0, text/html"}, false},
		{[]string{"text/html;q=bogus, application/json;q=0.9"}, false},
		{[]string{"text/html", "application/json;q=0.1"}, false},
		{[]string{"application/json", "text/html;q=0.1"}, true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/awards/x", nil)
		for _, v := range tt.accept {
			r.Header.Add("Accept", v)
		}
		if got := WantsJSON(r); got != tt.want {
			t.Errorf("WantsJSON(Accept: %q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}

func TestRoutes(t *testing.T) {
	f := newHTTPFixture(t)
	alice := f.award("a1b2c3")
	status1, err := f.is.StatusList(1, []int{44})
	if err != nil {
		t.Fatal(err)
	}
	html := func(title string) []byte { return []byte("<title>" + title + " · Example Community</title>") }
	tests := []struct {
		path, accept string
		status       int
		ctype        string
		cache        string
		vary         bool
		body         []byte // the exact body, or for HTML a part of it
	}{
		{"/issuer", acceptLD, 200, mediaJSONLD, cacheKeys, true, f.is.ProfileDocument()},
		{"/issuer", "", 200, mediaJSONLD, cacheKeys, true, f.is.ProfileDocument()},
		{"/issuer?format=ob2", acceptBrowser, 200, mediaJSONLD, cacheKeys, true, f.is.ProfileOB2()},
		{"/issuer", acceptBrowser, 200, mediaHTML, cacheKeys, true, html("Example Community")},
		{"/badges", acceptBrowser, 200, mediaHTML, cacheDocument, true, html("Badges")},
		{"/badges/first-pr", "application/json", 200, mediaJSONLD, cacheDocument, true, f.is.AchievementDocument(testAchievement())},
		{"/badges/first-pr?format=ob2", acceptBrowser, 200, mediaJSONLD, cacheDocument, true, f.is.BadgeClassOB2(testAchievement())},
		{"/badges/first-pr", acceptBrowser, 200, mediaHTML, cacheDocument, true, html("First Pull Request")},
		{"/badges/bug-hunter/image.png", "", 200, mediaPNG, cacheDocument, false, f.src.badges[0].Image},
		{"/badges/docs-star/image.svg", "", 200, mediaSVG, cacheDocument, false, []byte(ownSVG)},
		{"/badges/first-pr/image.svg", "", 200, mediaSVG, cacheDocument, false, artwork.SVG("first-pr", "First Pull Request")},
		{"/awards/a1b2c3", "", 200, mediaJSONLD, cacheRevocable, true, f.is.AssertionOB2(alice)},
		{"/awards/a1b2c3", "application/json", 200, mediaJSONLD, cacheRevocable, true, f.is.AssertionOB2(alice)},
		{"/awards/a1b2c3", acceptLD, 200, mediaJSONLD, cacheRevocable, true, f.is.AssertionOB2(alice)},
		{"/awards/a1b2c3?format=ob2", acceptBrowser, 200, mediaJSONLD, cacheRevocable, true, f.is.AssertionOB2(alice)},
		{"/awards/a1b2c3", acceptBrowser, 200, mediaHTML, cacheRevocable, true, html("First Pull Request awarded to alice")},
		{"/awards/r4", "", 410, mediaJSONLD, cacheRevocable, true, f.is.AssertionOB2(f.award("r4"))},
		{"/awards/r4", acceptBrowser, 410, mediaHTML, cacheRevocable, true, []byte("this badge was revoked")},
		{"/awards/a1b2c3/credential.json", "", 200, mediaJSONLD, cacheSigned, false, alice.Credential},
		{"/awards/a1b2c3/credential.json", acceptBrowser, 200, mediaJSONLD, cacheSigned, false, alice.Credential},
		{"/awards/r4/credential.json", "", 200, mediaJSONLD, cacheSigned, false, f.award("r4").Credential},
		{"/awards/a1b2c3/credential.jwt", "", 200, mediaJWT, cacheSigned, false, []byte(alice.JWT)},
		{"/revocations", "", 200, mediaJSONLD, cacheRevocable, false, f.is.RevocationListOB2([]Revocation{{AwardID: "r4", StatusIndex: 44, Reason: "Awarded by mistake"}})},
		{"/status/1", "application/json", 200, mediaJSONLD, cacheRevocable, false, status1},
		{"/.well-known/jwks.json", "", 200, mediaJSON, cacheKeys, false, f.is.JWKS()},
		{"/people/alice", acceptBrowser, 200, mediaHTML, cacheRevocable, true, html("alice")},

		{"/awards/a1b2c3?format=xml", "", 400, mediaJSON, cacheNone, true, []byte(`{"error":"unknown format \"xml\"; use one of: html, json, ob2","status":400}`)},
		{"/awards/a1b2c3/badge.png?format=ob4", "", 400, mediaJSON, cacheNone, false, nil},
		{"/badges/docs-star/image.png", "", 404, mediaJSON, cacheNone, false, []byte(`{"error":"not found","status":404}`)},
		{"/awards/nope", "", 404, mediaJSON, cacheNone, true, []byte(`{"error":"not found","status":404}`)},
		{"/awards/nope", acceptBrowser, 404, mediaHTML, cacheNone, true, html("Page not found")},
		{"/badges/nope", acceptLD, 404, mediaJSON, cacheNone, true, nil},
		{"/badges/nope/image.png", "", 404, mediaJSON, cacheNone, false, nil},
		{"/badges/nope/image.svg", "", 404, mediaJSON, cacheNone, false, nil},
		{"/awards/nope/credential.json", "", 404, mediaJSON, cacheNone, false, nil},
		{"/awards/nope/credential.jwt", "", 404, mediaJSON, cacheNone, false, nil},
		{"/awards/nope/badge.png", "", 404, mediaJSON, cacheNone, false, nil},
		{"/awards/nope/badge.svg", acceptBrowser, 404, mediaHTML, cacheNone, false, nil},
		{"/status/0", "", 404, mediaJSON, cacheNone, false, nil},
		{"/status/-1", "", 404, mediaJSON, cacheNone, false, nil},
		{"/status/01", "", 404, mediaJSON, cacheNone, false, nil},
		{"/status/x", "", 404, mediaJSON, cacheNone, false, nil},
		{"/status/2", "", 404, mediaJSON, cacheNone, false, nil},
		{"/status/99999999999999999999", "", 404, mediaJSON, cacheNone, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.accept, func(t *testing.T) {
			w := f.get(tt.path, tt.accept)
			body := w.Body.Bytes()
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; body %.300s", w.Code, tt.status, body)
			}
			got := struct{ Type, Cache, Vary, Nosniff string }{
				w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"), w.Header().Get("Vary"), w.Header().Get("X-Content-Type-Options")}
			want := struct{ Type, Cache, Vary, Nosniff string }{tt.ctype, tt.cache, "", "nosniff"}
			if tt.vary {
				want.Vary = "Accept"
				if id, ok := strings.CutPrefix(tt.path, "/awards/"); ok && !strings.Contains(id, "/") && tt.ctype == mediaHTML && tt.status != 404 {
					want.Vary = "Accept, Accept-Encoding" // the page comes gzipped too
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			switch {
			case tt.body == nil:
			case tt.ctype == mediaHTML:
				if !bytes.Contains(body, tt.body) {
					t.Errorf("page lacks %q:\n%s", tt.body, body)
				}
			case !bytes.Equal(body, tt.body):
				t.Errorf("body (-want +got):\n%s", cmp.Diff(string(tt.body), string(body)))
			}
			if tt.ctype != mediaPNG && tt.ctype != mediaJWT && tt.ctype != mediaSVG && tt.ctype != mediaHTML && !json.Valid(body) {
				t.Errorf("body is not JSON: %.300s", body)
			}
		})
	}
}

func TestBadgesJSON(t *testing.T) {
	f := newHTTPFixture(t)
	w := f.get("/badges", "")
	var docs []map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &docs); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, d := range docs {
		var want map[string]any
		if err := json.Unmarshal(f.is.AchievementDocument(f.src.badges[i]), &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, d); diff != "" {
			t.Errorf("achievement %d (-want +got):\n%s", i, diff)
		}
		ids = append(ids, d["id"].(string))
	}
	wantIDs := []string{f.is.AchievementURL("bug-hunter"), f.is.AchievementURL("docs-star"), f.is.AchievementURL("first-pr")}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}

	f.src.badges = nil
	if w := f.get("/badges", ""); w.Body.String() != "[]" {
		t.Errorf("no badges: got %q, want []", w.Body.String())
	}
}

func TestBadgeImages(t *testing.T) {
	f := newHTTPFixture(t)

	// Generated PNG: cached, with an ETag that answers 304.
	w1 := f.get("/badges/first-pr/image.png", "")
	w2 := f.get("/badges/first-pr/image.png", "")
	if !bytes.Equal(w1.Body.Bytes(), w2.Body.Bytes()) || w1.Header().Get("ETag") == "" || w1.Header().Get("ETag") != w2.Header().Get("ETag") {
		t.Fatalf("generated PNG differs between requests or has no ETag")
	}
	want, err := artwork.PNG("first-pr", "First Pull Request", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w1.Body.Bytes(), want) {
		t.Errorf("generated PNG is not artwork.PNG")
	}
	r := httptest.NewRequest(http.MethodGet, "/badges/first-pr/image.png", nil)
	r.Header.Set("If-None-Match", w1.Header().Get("ETag"))
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes; want 304, empty", w.Code, w.Body.Len())
	}

	// A renamed badge gets new initials, so a new image.
	f.src.badges[2].Name = "Zebra"
	if w := f.get("/badges/first-pr/image.png", ""); w.Header().Get("ETag") == w1.Header().Get("ETag") {
		t.Errorf("renamed badge kept its old artwork")
	}

	// A PNG badge as SVG: the PNG embedded in an SVG of the same size.
	w = f.get("/badges/bug-hunter/image.svg", "")
	if w.Code != 200 || w.Header().Get("Content-Security-Policy") != svgImagePolicy {
		t.Fatalf("status %d, CSP %q", w.Code, w.Header().Get("Content-Security-Policy"))
	}
	svg := w.Body.String()
	for _, s := range []string{`width="64" height="64"`, `<title>Bug Hunter</title>`, `xlink:href="data:image/png;base64,iVBORw0KGgo`} {
		if !strings.Contains(svg, s) {
			t.Errorf("wrapped PNG lacks %q:\n%.400s", s, svg)
		}
	}
}

func TestBakedImages(t *testing.T) {
	f := newHTTPFixture(t)
	for _, id := range []string{"a1b2c3", "gh7", "doc9", "r4"} {
		a := f.award(id)
		for _, ext := range []string{"png", "svg"} {
			for _, version := range []string{bake.VersionOB3, bake.VersionOB2} {
				path := "/awards/" + id + "/badge." + ext
				want, file := string(a.Credential), a.Badge.Slug+"-"+id+"."+ext
				if version == bake.VersionOB2 {
					path += "?format=ob2"
					want, file = string(f.is.AssertionOB2(a)), a.Badge.Slug+"-"+id+"-ob2."+ext
				}
				t.Run(path, func(t *testing.T) {
					w := f.get(path, acceptBrowser)
					if ext == "png" && a.Badge.ImageType == mediaSVG {
						if w.Code != http.StatusNotFound {
							t.Fatalf("PNG of an SVG badge: status %d, want 404", w.Code)
						}
						return
					}
					if w.Code != 200 {
						t.Fatalf("status %d: %s", w.Code, w.Body)
					}
					ctype := map[string]string{"png": mediaPNG, "svg": mediaSVG}[ext]
					if got := w.Header().Get("Content-Type"); got != ctype {
						t.Errorf("Content-Type %q, want %q", got, ctype)
					}
					if got, want := w.Header().Get("Content-Disposition"), `inline; filename=`+file; got != want {
						t.Errorf("Content-Disposition %q, want %q", got, want)
					}
					b, err := bake.Extract(w.Body.Bytes())
					if err != nil {
						t.Fatal(err)
					}
					if b.Format != ext || b.Version != version {
						t.Errorf("baked %s/%s, want %s/%s", b.Format, b.Version, ext, version)
					}
					if b.Text != want {
						t.Errorf("baked text differs from the stored document (-want +got):\n%s", cmp.Diff(want, b.Text))
					}
					if ext == "png" {
						if _, err := png.Decode(bytes.NewReader(w.Body.Bytes())); err != nil {
							t.Errorf("baked PNG does not decode: %v", err)
						}
					}
				})
			}
		}
	}
}

func TestStatusListRange(t *testing.T) {
	f := newHTTPFixture(t)
	tests := []struct {
		last  int
		lists map[string]int
	}{
		{-1, map[string]int{"1": 200, "2": 404}},
		{0, map[string]int{"1": 200, "2": 404}},
		{StatusListSize - 1, map[string]int{"1": 200, "2": 404}},
		{StatusListSize, map[string]int{"1": 200, "2": 200, "3": 404}},
		{3*StatusListSize + 5, map[string]int{"1": 200, "4": 200, "5": 404}},
	}
	for _, tt := range tests {
		f.src.last = tt.last
		for list, status := range tt.lists {
			w := f.get("/status/"+list, "")
			if w.Code != status {
				t.Errorf("last index %d: /status/%s: status %d, want %d", tt.last, list, w.Code, status)
				continue
			}
			if status != 200 {
				continue
			}
			var doc struct {
				ID   string   `json:"id"`
				Type []string `json:"type"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.ID != f.is.StatusListURL(atoi(t, list)) || !slices.Contains(doc.Type, "BitstringStatusListCredential") {
				t.Errorf("/status/%s: id %q, type %v", list, doc.ID, doc.Type)
			}
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// statusBitOf fetches /status/1 and reads one bit of it.
func (f *httpFixture) statusBitOf(t *testing.T, index int) bool {
	t.Helper()
	w := f.get("/status/1", "")
	var doc struct {
		CredentialSubject struct {
			EncodedList string `json:"encodedList"`
		} `json:"credentialSubject"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	raw, err := decodeStatusList(doc.CredentialSubject.EncodedList)
	if err != nil {
		t.Fatal(err)
	}
	bit, err := statusBit(raw, index)
	if err != nil {
		t.Fatal(err)
	}
	return bit
}

func TestRevocation(t *testing.T) {
	f := newHTTPFixture(t)
	ctx := context.Background()
	opt := VerifyOptions{Client: f.client(), Now: testNow}
	alice := f.award("a1b2c3")

	// Before: valid everywhere, through the hosted documents.
	if f.statusBitOf(t, 42) {
		t.Fatal("status bit 42 set before revocation")
	}
	if !f.statusBitOf(t, 44) {
		t.Fatal("status bit 44 (revoked award r4) not set")
	}
	forms := map[string][]byte{
		"credential.json": alice.Credential,
		"credential.jwt":  []byte(alice.JWT),
		"badge.png":       f.get("/awards/a1b2c3/badge.png", "").Body.Bytes(),
		"badge.svg":       f.get("/awards/a1b2c3/badge.svg", "").Body.Bytes(),
		"hosted OB 2.0":   []byte(f.is.AwardURL("a1b2c3")),
	}
	for name, input := range forms {
		rep, err := f.is.Verify(ctx, input, opt)
		if err != nil || !rep.Valid() {
			t.Fatalf("%s before revocation: err %v, failed %+v", name, err, rep.Failed())
		}
	}

	f.src.revoke("a1b2c3", "Duplicate of another award", testNow)

	w := f.get("/awards/a1b2c3", "application/json")
	if w.Code != http.StatusGone {
		t.Fatalf("revoked assertion: status %d, want 410", w.Code)
	}
	var got struct {
		ID               string `json:"id"`
		Revoked          bool   `json:"revoked"`
		RevocationReason string `json:"revocationReason"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := struct {
		ID               string `json:"id"`
		Revoked          bool   `json:"revoked"`
		RevocationReason string `json:"revocationReason"`
	}{f.is.AwardURL("a1b2c3"), true, "Duplicate of another award"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("revoked assertion (-want +got):\n%s", diff)
	}
	if w := f.get("/awards/a1b2c3", acceptBrowser); w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "Duplicate of another award") {
		t.Errorf("revoked page: status %d, want 410 with the reason", w.Code)
	}
	if !strings.Contains(f.get("/revocations", "").Body.String(), `"id":"`+f.is.AwardURL("a1b2c3")+`","revocationReason":"Duplicate of another award"`) {
		t.Errorf("revocation list lacks the award")
	}
	if !f.statusBitOf(t, 42) {
		t.Errorf("status bit 42 not set after revocation")
	}
	if w := f.get("/awards/a1b2c3/credential.json", ""); w.Code != 200 || !bytes.Equal(w.Body.Bytes(), alice.Credential) {
		t.Errorf("credential.json of a revoked award: status %d or body changed", w.Code)
	}
	for name, input := range forms {
		rep, err := f.is.Verify(ctx, input, opt)
		if err != nil || rep.Valid() {
			t.Errorf("%s after revocation: err %v, still valid: %+v", name, err, rep.Checks)
		}
	}
}

func TestSourceErrors(t *testing.T) {
	f := newHTTPFixture(t)
	secret := errors.New("database is locked at /var/lib/badgebot.db")
	f.src.setErr(secret)
	paths := []string{"/badges", "/badges/first-pr", "/badges/first-pr/image.png", "/badges/first-pr/image.svg",
		"/awards/a1b2c3", "/awards/a1b2c3/credential.json", "/awards/a1b2c3/credential.jwt", "/awards/a1b2c3/badge.png",
		"/awards/a1b2c3/badge.svg", "/revocations", "/status/1"}
	for _, p := range paths {
		for _, accept := range []string{"", acceptBrowser} {
			f.logs.Reset()
			w := f.get(p, accept)
			if w.Code != http.StatusInternalServerError {
				t.Errorf("%s: status %d, want 500", p, w.Code)
			}
			if strings.Contains(w.Body.String(), "locked") {
				t.Errorf("%s: the error leaks to the client: %s", p, w.Body)
			}
			if n := strings.Count(f.logs.String(), "\n"); n != 1 || !strings.Contains(f.logs.String(), "database is locked") {
				t.Errorf("%s: want the error logged once, got %d lines:\n%s", p, n, f.logs)
			}
		}
	}
	if w := f.get("/issuer", acceptBrowser); w.Code != http.StatusInternalServerError {
		t.Errorf("issuer page: status %d, want 500", w.Code)
	}
	if w := f.get("/issuer", ""); w.Code != 200 {
		t.Errorf("the profile document needs no Source: status %d", w.Code)
	}
}

func TestConcurrentReads(t *testing.T) {
	f := newHTTPFixture(t)
	paths := []string{"/badges/first-pr/image.png", "/badges/reviewer/image.png", "/awards/a1b2c3/badge.png",
		"/awards/gh7/badge.svg", "/status/1", "/awards/a1b2c3", "/badges"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				p := paths[(g+i)%len(paths)]
				if w := f.get(p, ""); w.Code != 200 && !strings.Contains(p, "reviewer") {
					t.Errorf("%s: status %d", p, w.Code)
				}
			}
		})
	}
	wg.Wait()
}

// An award signed with SignCredential only gets its VC-JWT on request: the
// same token Sign would have stored, and it verifies.
func TestCredentialJWTSignedOnRequest(t *testing.T) {
	f := newHTTPFixture(t)
	lazy := testAward()
	lazy.ID = "lazy1"
	if err := f.is.SignCredential(&lazy); err != nil {
		t.Fatal(err)
	}
	if lazy.JWT != "" {
		t.Fatalf("SignCredential made a JWT")
	}
	f.src.awards[lazy.ID] = lazy
	full := lazy
	if err := f.is.Sign(&full); err != nil {
		t.Fatal(err)
	}
	var served string
	for range 2 { // the second answer comes from the cache
		rec := f.get("/awards/lazy1/credential.jwt", "")
		if rec.Code != 200 || rec.Header().Get("Content-Type") != mediaJWT {
			t.Fatalf("GET credential.jwt: %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		if served = rec.Body.String(); served != full.JWT {
			t.Fatalf("on-request JWT differs from Sign's:\n got %s\nwant %s", served, full.JWT)
		}
	}
	// Sign makes its JWT the same way, so equality alone proves little:
	// the served token must verify and carry this award's credential.
	rep, err := f.is.Verify(context.Background(), []byte(served), VerifyOptions{Docs: f.is.verifyDocs(t, nil), Now: testNow})
	if err != nil || !rep.Valid() {
		t.Fatalf("on-request JWT does not verify: %v %+v", err, rep)
	}
	parts := strings.Split(served, ".")
	if len(parts) != 3 {
		t.Fatalf("served JWT %q is not a compact JWS", served)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("served JWT payload: %v", err)
	}
	var got, want map[string]any
	if err := json.Unmarshal(payload, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(lazy.Credential, &want); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "issuer", "credentialSubject", "credentialStatus", "validFrom"} {
		if diff := cmp.Diff(want[k], got[k]); diff != "" {
			t.Errorf("JWT claim %s differs from the credential (-want +got):\n%s", k, diff)
		}
	}
	// A credential of another issuer is refused.
	if _, err := f.is.JWTFromCredential([]byte(`{"issuer":{"id":"https://elsewhere.example/issuer"}}`)); err == nil {
		t.Error("JWTFromCredential signed another issuer's credential")
	}
}
