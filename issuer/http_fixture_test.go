package issuer

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/badgebot/badgebot/issuer/artwork"
)

// fakeSource is an in-memory Source. Revoke changes an award the way
// storage does, and counts the change as storage does; err, when set, is
// returned by every call.
type fakeSource struct {
	mu      sync.Mutex
	badges  []Achievement
	awards  map[string]Award
	last    int
	err     error
	changes atomic.Uint64
}

var _ Source = (*fakeSource)(nil)
var _ ChangeCounter = (*fakeSource)(nil)

func (s *fakeSource) Changes() uint64 { return s.changes.Load() }

func (s *fakeSource) Achievement(_ context.Context, slug string) (Achievement, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return Achievement{}, s.err
	}
	for _, a := range s.badges {
		if a.Slug == slug {
			return a, nil
		}
	}
	return Achievement{}, fmt.Errorf("fake: badge %q: %w", slug, ErrNotFound)
}

func (s *fakeSource) Achievements(context.Context) ([]Achievement, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.badges), s.err
}

func (s *fakeSource) Award(_ context.Context, id string) (Award, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return Award{}, s.err
	}
	a, ok := s.awards[id]
	if !ok {
		return Award{}, fmt.Errorf("fake: award %q: %w", id, ErrNotFound)
	}
	return a, nil
}

func (s *fakeSource) Revocations(context.Context) ([]Revocation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rs []Revocation
	for _, a := range s.awards {
		if a.Revoked {
			rs = append(rs, Revocation{AwardID: a.ID, StatusIndex: a.StatusIndex, RevokedAt: a.RevokedAt, Reason: a.RevocationReason})
		}
	}
	slices.SortFunc(rs, func(a, b Revocation) int { return a.StatusIndex - b.StatusIndex })
	return rs, s.err
}

func (s *fakeSource) LastStatusIndex(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.err
}

func (s *fakeSource) revoke(id, reason string, at time.Time) {
	s.revokeElsewhere(id, reason, at)
	s.changes.Add(1)
}

// revokeElsewhere revokes as another process would: the change is not
// counted here.
func (s *fakeSource) revokeElsewhere(id, reason string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.awards[id]
	a.Revoked, a.RevokedAt, a.RevocationReason = true, at, reason
	s.awards[id] = a
}

func (s *fakeSource) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// ownSVG is a badge's own (uploaded) SVG artwork.
const ownSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120"><title>Docs Star</title><circle cx="60" cy="60" r="56" fill="#0e9f8e"/><path d="M60 18l12 26 28 3-21 19 6 28-25-14-25 14 6-28-21-19 28-3z" fill="#fff"/></svg>`

// httpFixture is a real Issuer (keys made in a temporary directory) with
// four signed awards behind a fake Source and the routes of DESIGN §3.
type httpFixture struct {
	is   *Issuer
	src  *fakeSource
	h    *Handler
	mux  *http.ServeMux
	logs *bytes.Buffer
}

func newHTTPFixture(t testing.TB) *httpFixture {
	t.Helper()
	keys, err := OpenKeyRing(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	is, err := New(testProfile, keys)
	if err != nil {
		t.Fatal(err)
	}
	is.now = func() time.Time { return testNow }
	ownPNG, err := artwork.PNG("bug-hunter-upload", "Bug Hunter", 64)
	if err != nil {
		t.Fatal(err)
	}
	firstPR := testAchievement()
	bugHunter := Achievement{Slug: "bug-hunter", Name: "Bug Hunter", Description: "Had a bug fixed.",
		Criteria: "Get a bug you filed fixed.", Image: ownPNG, ImageType: "image/png"}
	docsStar := Achievement{Slug: "docs-star", Name: "Docs <Star>", Description: "Improved the docs.\nTwice.",
		Criteria: "", Image: []byte(ownSVG), ImageType: "image/svg+xml"}

	alice := testAward()
	alice.HolderURL = testProfile.BaseURL + "/people/alice"

	octo := Award{
		ID: "gh7", Badge: bugHunter, IssuedAt: time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC),
		Recipient: Recipient{Type: RecipientURL, Identity: "https://github.com/octocat", Salt: "0c70"},
		Evidence: []Evidence{
			{URL: "https://bugzilla.example.org/show_bug.cgi?id=1234", Genre: "Bug"}, // private bug: no title
			{Narrative: "Nominated by <b>bob</b> for careful triage."},
		},
		Holder: "octocat", HolderURL: testProfile.BaseURL + "/people/octocat", StatusIndex: 43,
	}
	carol := Award{
		ID: "doc9", Badge: docsStar, IssuedAt: time.Date(2026, 11, 22, 17, 45, 0, 0, time.UTC),
		Recipient:   Recipient{Type: RecipientEmail, Identity: "Carol@Example.org", Salt: "ca01"},
		Evidence:    []Evidence{{URL: "https://github.com/example/docs/pull/7", Name: "example/docs#7", Genre: "Pull request"}},
		Narrative:   "Rewrote the install guide.",
		Holder:      "carol@example.org", // a holder name must never show an address
		StatusIndex: 7,
	}
	bob := testAward()
	bob.ID, bob.Recipient, bob.Holder, bob.StatusIndex = "r4", Recipient{Type: RecipientEmail, Identity: "bob@example.org", Salt: "b0b"}, "bob", 44

	src := &fakeSource{badges: []Achievement{bugHunter, docsStar, firstPR}, awards: map[string]Award{}, last: 44}
	for _, a := range []Award{alice, octo, carol, bob} {
		if err := is.Sign(&a); err != nil {
			t.Fatal(err)
		}
		src.awards[a.ID] = a
	}
	src.revoke("r4", "Awarded by mistake", time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))

	logs := new(bytes.Buffer)
	h := NewHandler(is, src, slog.New(slog.NewTextHandler(logs, nil)))
	mux := http.NewServeMux()
	// The table of cmd/badgebot/routes.go.
	for pattern, fn := range map[string]http.HandlerFunc{
		"GET /issuer":                      h.Profile,
		"GET /issuer/keys/{id}":            h.Key,
		"GET /badges":                      h.Badges,
		"GET /badges/{slug}":               h.Badge,
		"GET /badges/{slug}/image.svg":     h.BadgeImageSVG,
		"GET /badges/{slug}/image.png":     h.BadgeImagePNG,
		"GET /awards/{id}":                 h.Award,
		"GET /awards/{id}/credential.json": h.Credential,
		"GET /awards/{id}/credential.jwt":  h.CredentialJWT,
		"GET /awards/{id}/badge.png":       h.BakedPNG,
		"GET /awards/{id}/badge.svg":       h.BakedSVG,
		"GET /revocations":                 h.Revocations,
		"GET /status/{list}":               h.StatusList,
		"GET /.well-known/jwks.json":       h.JWKS,
		"GET /assets/{name}":               h.Asset,
	} {
		mux.HandleFunc(pattern, fn)
	}
	mux.HandleFunc("GET /people/{handle}", func(w http.ResponseWriter, r *http.Request) {
		var as []Award
		for _, id := range []string{"a1b2c3", "gh7", "doc9", "r4"} {
			if a := src.awards[id]; a.Holder == r.PathValue("handle") || r.PathValue("handle") == "everyone" {
				as = append(as, a)
			}
		}
		h.PersonPage(w, r, r.PathValue("handle"), as)
	})
	return &httpFixture{is: is, src: src, h: h, mux: mux, logs: logs}
}

// Accept headers.
const (
	acceptBrowser = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	acceptLD      = "application/ld+json"
)

// get serves one GET request through the routes.
func (f *httpFixture) get(path, accept string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w
}

func (f *httpFixture) award(id string) Award { return f.src.awards[id] }

// client is an http.Client whose requests to any host are served by the
// routes, so a verifier can fetch the hosted documents.
func (f *httpFixture) client() *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, r)
		return w.Result(), nil
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (fn roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return fn(r) }
