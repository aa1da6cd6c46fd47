package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// bearerOK reports whether r carries "Authorization: Bearer <token>". The
// scheme is case-insensitive (RFC 9110 §11.1); the tokens are compared as
// SHA-256 digests in constant time, so neither their bytes nor their
// lengths show in the time taken. An empty token matches nothing.
func bearerOK(r *http.Request, token string) bool {
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || token == "" || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimLeft(got, " "))), sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// unauthorized answers 401 with a bearer challenge.
func unauthorized(w http.ResponseWriter, reason string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="badgebot"`)
	writeJSONError(w, http.StatusUnauthorized, reason)
}

// metricsAuth guards /metrics with server.metrics_token when it is set.
func (a *App) metricsAuth(next http.Handler) http.Handler {
	token := a.Config.Server.MetricsToken
	if token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !bearerOK(r, token.Reveal()) {
			unauthorized(w, "missing or wrong bearer token: /metrics needs server.metrics_token")
			return
		}
		next.ServeHTTP(w, r)
	})
}
