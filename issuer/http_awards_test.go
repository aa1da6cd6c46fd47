package issuer

import (
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// GET /awards/{id} is served from memory once read: the same bytes and a
// strong ETag without asking the Source, 304 to If-None-Match, and a
// revocation made through the Source shows at once, as JSON and as the
// page.
func TestAwardFromMemory(t *testing.T) {
	f := newHTTPFixture(t)
	first := map[string]*http.Response{}
	bodies := map[string]string{}
	for _, accept := range []string{acceptLD, acceptBrowser} {
		w := f.get("/awards/a1b2c3", accept)
		if w.Code != http.StatusOK || w.Header().Get("ETag") == "" || !strings.HasPrefix(w.Header().Get("ETag"), `"`) {
			t.Fatalf("%s: status %d, ETag %q; want 200 with a strong ETag", accept, w.Code, w.Header().Get("ETag"))
		}
		if !strings.HasPrefix(w.Header().Get("Vary"), "Accept") || w.Header().Get("Cache-Control") != cacheRevocable {
			t.Errorf("%s: Vary %q, Cache-Control %q", accept, w.Header().Get("Vary"), w.Header().Get("Cache-Control"))
		}
		first[accept], bodies[accept] = w.Result(), w.Body.String()
	}
	if first[acceptLD].Header.Get("ETag") == first[acceptBrowser].Header.Get("ETag") {
		t.Error("the assertion and the page share an ETag")
	}

	// The database is down: what was read is still served, unchanged.
	f.src.setErr(errors.New("database is locked"))
	for accept, want := range bodies {
		w := f.get("/awards/a1b2c3", accept)
		if w.Code != http.StatusOK || w.Body.String() != want {
			t.Fatalf("%s with the source down: status %d, body changed: %v", accept, w.Code, w.Body.String() != want)
		}
		r := httptestRequest("/awards/a1b2c3", accept)
		r.Header.Set("If-None-Match", first[accept].Header.Get("ETag"))
		w = f.serve(r)
		if w.Code != http.StatusNotModified || w.Body.Len() != 0 || w.Header().Get("ETag") != first[accept].Header.Get("ETag") {
			t.Errorf("%s If-None-Match: status %d, %d-byte body, ETag %q; want 304, empty", accept, w.Code, w.Body.Len(), w.Header().Get("ETag"))
		}
	}
	f.src.setErr(nil)

	f.src.revoke("a1b2c3", "Duplicate of another award", testNow)
	w := f.get("/awards/a1b2c3", acceptLD)
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), `"revoked":true`) {
		t.Errorf("assertion after revoking: status %d, %s; want 410, revoked", w.Code, w.Body)
	}
	r := httptestRequest("/awards/a1b2c3", acceptBrowser)
	r.Header.Set("If-None-Match", first[acceptBrowser].Header.Get("ETag"))
	w = f.serve(r)
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "Duplicate of another award") {
		t.Errorf("page after revoking: status %d; want 410 with the reason", w.Code)
	}
}

// A revocation made by another process (the CLI, another replica) is not
// counted by this one's Source: it shows once what was read is older than
// awardFresh, and not before.
func TestAwardRevokedElsewhere(t *testing.T) {
	f := newHTTPFixture(t)
	var mu sync.Mutex
	now := testNow
	f.is.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	for _, accept := range []string{acceptLD, acceptBrowser} {
		if w := f.get("/awards/a1b2c3", accept); w.Code != http.StatusOK {
			t.Fatalf("%s: status %d", accept, w.Code)
		}
	}
	f.src.revokeElsewhere("a1b2c3", "Revoked from the CLI", testNow)
	advance(awardFresh / 2)
	if w := f.get("/awards/a1b2c3", acceptLD); w.Code != http.StatusOK {
		t.Errorf("within awardFresh: status %d, want the kept 200", w.Code)
	}
	advance(awardFresh)
	// The first request after awardFresh reads the award again.
	for _, accept := range []string{acceptLD, acceptBrowser} {
		if w := f.get("/awards/a1b2c3", accept); w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "Revoked from the CLI") {
			t.Errorf("%s after awardFresh: status %d, want 410 with the reason", accept, w.Code)
		}
	}
}

func httptestRequest(path, accept string) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("Accept", accept)
	return r
}

// serve serves one request through the routes.
func (f *httpFixture) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w
}

// A browser that takes gzip gets the page gzipped, with its own strong
// ETag (and 304 for it); the bytes are the page's. Both forms vary by
// encoding; q=0 refuses gzip.
func TestAwardPageGzip(t *testing.T) {
	f := newHTTPFixture(t)
	plain := f.get("/awards/a1b2c3", acceptBrowser)
	r := httptestRequest("/awards/a1b2c3", acceptBrowser)
	r.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	w := f.serve(r)
	if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d, Content-Encoding %q; want 200 gzip", w.Code, w.Header().Get("Content-Encoding"))
	}
	if w.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
		t.Errorf("Content-Length %s for %d bytes", w.Header().Get("Content-Length"), w.Body.Len())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || string(body) != plain.Body.String() {
		t.Fatalf("gunzipped page differs from the page (err %v)", err)
	}
	etag := w.Header().Get("ETag")
	if etag == plain.Header().Get("ETag") || !strings.HasPrefix(etag, `"`) {
		t.Errorf("gzipped ETag %q, plain %q: want a strong ETag of its own", etag, plain.Header().Get("ETag"))
	}
	for _, h := range []http.Header{w.Header(), plain.Header()} {
		if h.Get("Vary") != "Accept, Accept-Encoding" {
			t.Errorf("Vary %q", h.Get("Vary"))
		}
	}
	r.Header.Set("If-None-Match", etag)
	if w := f.serve(r); w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match with the gzipped ETag: %d, want 304", w.Code)
	}
	r = httptestRequest("/awards/a1b2c3", acceptBrowser)
	r.Header.Set("Accept-Encoding", "gzip;q=0, identity")
	if w := f.serve(r); w.Header().Get("Content-Encoding") != "" || w.Body.String() != plain.Body.String() {
		t.Errorf("gzip;q=0: Content-Encoding %q", w.Header().Get("Content-Encoding"))
	}
}
