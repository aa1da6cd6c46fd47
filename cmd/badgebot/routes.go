package main

import (
	"net/http"
	"strings"

	"github.com/badgebot/badgebot/issuer"
)

// routes is the one place that lists every HTTP route (DESIGN §3).
func (a *App) routes() (http.Handler, error) {
	mux := http.NewServeMux()
	m := newMetrics()
	m.reg.MustRegister(newOpsCollector(a.DB))
	if w, ok := a.DB.(writerBusy); ok {
		m.reg.MustRegister(writerBusyCounter(w))
	}
	a.jobMetrics = newJobMetrics(m.reg) // newScheduler, called after, times the jobs
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, m.wrap(pattern, h)) }

	handle("GET /healthz", a.healthz)
	handle("GET /readyz", a.readyz)
	mux.Handle("GET /metrics", a.metricsAuth(m.handler()))

	// Open Badges: issuer profile, badge classes, awards, revocation, keys.
	is := issuer.NewHandler(a.Issuer, a.Source, a.Log)
	if rules, err := a.rules(); err == nil {
		is.SetBadgeRules(ruleWords(rules))
	}
	handle("GET /{$}", is.Home)
	handle("GET /leaderboard", is.Leaderboard)
	handle("GET /assets/{name}", is.Asset)
	handle("GET /issuer", is.Profile)
	handle("GET /issuer/keys/{id}", is.Key)
	handle("GET /programs/{slug}", is.ProgramProfile)
	handle("GET /programs/{slug}/keys/{id}", is.ProgramKey)
	handle("GET /programs/{slug}/status/{list}", is.ProgramStatusList)
	handle("GET /programs/{slug}/revocations", is.ProgramRevocations)
	handle("GET /programs/{slug}/logo.png", is.ProgramLogo)
	handle("GET /programs/{slug}/logo.svg", is.ProgramLogo)
	handle("GET /badges", is.Badges)
	handle("GET /badges/{slug}", is.Badge)
	handle("GET /badges/{slug}/image.svg", is.BadgeImageSVG)
	handle("GET /badges/{slug}/image.png", is.BadgeImagePNG)
	award := m.wrap("GET /awards/{id}", http.HandlerFunc(is.Award))
	credential := m.wrap("GET /awards/{id}/credential.json", http.HandlerFunc(is.Credential))
	mux.Handle("GET /awards/{id}", award)
	mux.Handle("GET /awards/{id}/credential.json", credential)
	handle("GET /awards/{id}/credential.jwt", is.CredentialJWT)
	handle("GET /awards/{id}/badge.png", is.BakedPNG)
	handle("GET /awards/{id}/badge.svg", is.BakedSVG)
	handle("GET /awards/{id}/card.png", is.Card)
	handle("GET /revocations", is.Revocations)
	handle("GET /status/{list}", is.StatusList)
	handle("GET /.well-known/jwks.json", is.JWKS)

	// People and the JSON API.
	handle("GET /people/{handle}", a.personPage(is))
	handle("GET /nominations/{id}", a.nominationPage(is))
	handle("GET /api/v1/badges", a.apiBadges)
	handle("GET /api/v1/awards", a.apiAwards)
	handle("POST /api/v1/awards", a.admin(a.apiCreateAward))
	handle("POST /api/v1/awards/{id}/revoke", a.admin(a.apiRevokeAward))
	handle("POST /api/v1/links", a.admin(a.apiLink))
	handle("GET /api/v1/audit", a.admin(a.apiAudit))

	// Webhooks.
	gh, bz, err := a.webhooks()
	if err != nil {
		return nil, err
	}
	mux.Handle("POST /webhooks/github", m.wrap("POST /webhooks/github", gh))
	mux.Handle("POST /webhooks/bugzilla", m.wrap("POST /webhooks/bugzilla", bz))

	// Chat platforms.
	a.chatRoutes(mux, m.wrap)

	// Everything else: the HTML 404 page to browsers, JSON to the rest.
	mux.Handle("/", m.wrap("/", http.HandlerFunc(is.NotFound)))

	return recoverer(a.Log, hotReads(mux, award, credential)), nil
}

// hotReads sends GET /awards/{id} and /awards/{id}/credential.json, the
// reads made most, straight to their handlers, past the mux's general
// matching (a fifth of the cost of such a read): only a clean path whose
// id is made of the characters award ids use; anything else, HEAD too,
// goes through the mux as before.
func hotReads(mux *http.ServeMux, award, credential http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.RawPath == "" {
			if rest, ok := strings.CutPrefix(r.URL.Path, "/awards/"); ok {
				id, tail, sub := strings.Cut(rest, "/")
				if plainID(id) {
					switch {
					case !sub:
						r.Pattern = "GET /awards/{id}"
						r.SetPathValue("id", id)
						award.ServeHTTP(w, r)
						return
					case tail == "credential.json":
						r.Pattern = "GET /awards/{id}/credential.json"
						r.SetPathValue("id", id)
						credential.ServeHTTP(w, r)
						return
					}
				}
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// plainID reports whether s could be an award id: 1 to 64 letters,
// digits, '-' or '_'.
func plainID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
