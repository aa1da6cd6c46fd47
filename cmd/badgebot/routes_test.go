package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// hotReads answers what the mux would, only sooner: the same handler with
// the same {id}, and every other path (unclean, escaped, HEAD, deeper)
// left to the mux.
func TestHotReads(t *testing.T) {
	mux := http.NewServeMux()
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Handler", name)
			w.Header().Set("X-ID", r.PathValue("id"))
		})
	}
	award, credential := named("award"), named("credential")
	mux.Handle("GET /awards/{id}", named("mux award"))
	mux.Handle("GET /awards/{id}/credential.json", named("mux credential"))
	mux.Handle("GET /awards/{id}/badge.png", named("mux badge.png"))
	h := hotReads(mux, award, credential)
	for _, tt := range []struct {
		method, path string
		code         int
		handler, id  string
	}{
		{"GET", "/awards/abc123def456", 200, "award", "abc123def456"},
		{"GET", "/awards/abc123def456/credential.json", 200, "credential", "abc123def456"},
		{"GET", "/awards/abc123def456?format=ob2", 200, "award", "abc123def456"},
		{"GET", "/awards/abc123def456/badge.png", 200, "mux badge.png", "abc123def456"},
		{"HEAD", "/awards/abc123def456", 200, "mux award", "abc123def456"},
		{"GET", "/awards/a%2Fb", 200, "mux award", "a/b"},
		{"GET", "/awards/a.b", 200, "mux award", "a.b"},
		{"GET", "/awards//abc", http.StatusTemporaryRedirect, "", ""},
		{"GET", "/awards/abc/", http.StatusNotFound, "", ""},
		{"GET", "/awards/abc/credential.json/x", http.StatusNotFound, "", ""},
		{"GET", "/awards/", http.StatusNotFound, "", ""},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
		if w.Code != tt.code || w.Header().Get("X-Handler") != tt.handler || w.Header().Get("X-ID") != tt.id {
			t.Errorf("%s %s: %d by %q with id %q; want %d by %q with id %q", tt.method, tt.path,
				w.Code, w.Header().Get("X-Handler"), w.Header().Get("X-ID"), tt.code, tt.handler, tt.id)
		}
	}
}
