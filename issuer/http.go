package issuer

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/badgebot/badgebot/issuer/internal/memo"
)

// Media types of the hosted routes. Every JSON-LD document (the OB 3.0
// profile, achievements, credentials and status lists, the OB 2.0 objects)
// is served as application/ld+json: JSON-LD document loaders (jsonld.js,
// json-gold) take it without a Link header, and every OB 2.0 hosted
// verifier and OB 3.0 verifier parses it as JSON. The VC-JWT is
// application/jwt because its header says typ "JWT" (application/vc+jwt
// belongs to VC-JOSE-COSE tokens typed "vc+jwt"). The JWKS is plain
// application/json, as every well-known JWKS endpoint serves it.
const (
	mediaJSONLD = "application/ld+json"
	mediaJSON   = "application/json"
	mediaJWT    = "application/jwt"
	mediaHTML   = "text/html; charset=utf-8"
	mediaPNG    = "image/png"
	mediaSVG    = "image/svg+xml"
)

// Cache-Control policies.
const (
	// Signed credentials, baked credentials and share cards never change
	// under their URL: revocation goes through the status list. They carry
	// strong ETags too.
	cacheSigned = "public, max-age=31536000, immutable"
	// Badges, artwork and baked images change only when an admin edits a badge.
	cacheDocument = "public, max-age=300"
	// Documents listing keys must show a rotation soon.
	cacheKeys = "public, max-age=60"
	// Anything that shows revocation is revalidated on every use.
	cacheRevocable = "no-cache"
	// Errors are never cached.
	cacheNone = "no-store"
)

// Handler serves the hosted Open Badges routes of DESIGN §3 and the human
// pages behind the same URLs. Make one with NewHandler; its methods are
// http.HandlerFunc-shaped and read the path values {slug}, {id} and {list}
// set by an http.ServeMux pattern. Safe for concurrent use.
type Handler struct {
	is    *Issuer
	src   Source
	log   *slog.Logger
	pages *pages
	art   memo.Cache[artKey, artEntry] // generated artwork: a PNG costs milliseconds to draw
	jwts  memo.Cache[string, string]   // award id → VC-JWT signed on request
	// statuses keeps the award page's verdicts; cards the share cards.
	statuses memo.Cache[statusKey, statusView]
	cards    memo.Cache[cardKey, artEntry]
	docs     memo.Cache[docKey, artEntry]        // signed credentials and baked images
	awards   memo.Cache[string, *awardEntry]     // GET /awards/{id} (http_awards.go)
	changes  ChangeCounter                       // src's, when it counts; nil: none
	accepts  memo.Cache[string, bool]            // Accept header → WantsJSON
	creds    memo.Cache[string, *cachedResponse] // credential.json answers
	rules    func(slug string) []string
}

// NewHandler returns the handler of the hosted routes of is, reading from
// src and logging unexpected errors to log (nil: discard). The page
// templates are parsed here, once.
func NewHandler(is *Issuer, src Source, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{is: is, src: src, log: log, pages: newPages(is)}
	h.art.Max, h.jwts.Max = maxArtEntries, jwtCacheSize
	h.statuses.Max, h.cards.Max, h.docs.Max = jwtCacheSize, maxCardEntries, maxDocEntries
	h.awards.Max, h.accepts.Max, h.creds.Max = maxAwardEntries, maxAcceptEntries, maxDocEntries
	h.changes, _ = src.(ChangeCounter)
	return h
}

// WantsJSON reports whether a request should get a JSON document rather
// than an HTML page, from its Accept header:
//
//   - no Accept header, or one naming neither JSON nor HTML (curl's */*,
//     hosted OB 2.0 verifiers): JSON;
//   - only JSON-ish types acceptable (application/json, application/ld+json,
//     any +json type, application/*): JSON;
//   - only HTML-ish types acceptable (text/html, application/xhtml+xml,
//     text/*), as every browser sends: HTML;
//   - both: the higher q value wins; on a tie, the one listed first.
//
// A wildcard */* counts for neither side, so a browser's
// "text/html,...,*/*;q=0.8" is HTML and "application/json, */*" is JSON.
func WantsJSON(r *http.Request) bool {
	jsonQ, htmlQ := -1.0, -1.0
	jsonAt, htmlAt := 0, 0
	pos := 0
	for _, v := range r.Header.Values("Accept") {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			pos++
			mt, params, _ := strings.Cut(part, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			side := acceptSide(mt)
			if side == 0 {
				continue
			}
			q := acceptQ(params)
			if side > 0 && q > jsonQ {
				jsonQ, jsonAt = q, pos
			} else if side < 0 && q > htmlQ {
				htmlQ, htmlAt = q, pos
			}
		}
	}
	switch {
	case htmlQ <= 0:
		return true
	case jsonQ <= 0:
		return false
	case jsonQ != htmlQ:
		return jsonQ > htmlQ
	default:
		return jsonAt < htmlAt
	}
}

// acceptSide says whether a media range names JSON (1), HTML (-1) or
// neither (0).
func acceptSide(mt string) int {
	switch {
	case mt == "text/html", mt == "application/xhtml+xml", mt == "text/*":
		return -1
	case mt == "application/json", mt == "application/*", strings.HasSuffix(mt, "+json"):
		return 1
	}
	return 0
}

// acceptQ reads the q parameter of a media range (1 when absent or bad).
func acceptQ(params string) float64 {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 {
			return 1
		}
		return q
	}
	return 1
}

// Representations a negotiated route can be asked for with ?format=.
const (
	formatHTML = "html"
	formatJSON = "json" // the route's main JSON document
	formatOB3  = "ob3"
	formatOB2  = "ob2"
)

// format returns the representation asked for: ?format= when present (it
// wins over Accept, so links such as ?format=ob2 show JSON in a browser),
// else formatJSON or formatHTML by WantsJSON. A value not in allowed gets
// 400 and ok false.
func (h *Handler) format(w http.ResponseWriter, r *http.Request, allowed ...string) (f string, ok bool) {
	if r.URL.RawQuery != "" {
		if f = r.URL.Query().Get("format"); f != "" {
			for _, a := range allowed {
				if f == a {
					return f, true
				}
			}
			h.writeError(w, r, http.StatusBadRequest, "unknown format "+strconv.Quote(f)+"; use one of: "+strings.Join(allowed, ", "))
			return "", false
		}
	}
	if h.wantsJSON(r) {
		return formatJSON, true
	}
	return formatHTML, true
}

// wantsJSON is WantsJSON, kept per Accept header: clients send a few
// headers over and over, and reading one costs a hot read a tenth.
func (h *Handler) wantsJSON(r *http.Request) bool {
	vs := r.Header["Accept"]
	if len(vs) != 1 || len(vs[0]) > maxKeptAccept {
		return WantsJSON(r)
	}
	if v, ok := h.accepts.Lookup(vs[0]); ok {
		return v
	}
	v := WantsJSON(r)
	h.accepts.Store(vs[0], v)
	return v
}

// maxKeptAccept and maxAcceptEntries bound what wantsJSON keeps.
const (
	maxKeptAccept    = 512
	maxAcceptEntries = 256
)

// writeBody sends a complete response.
func writeBody(w http.ResponseWriter, status int, ctype, cache string, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Cache-Control", cache)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // a client that went away is not our error
}

// fail answers a Source or rendering error: 404 for ErrNotFound, else 500,
// logged here once, with nothing of the error shown to the client.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		h.writeError(w, r, http.StatusNotFound, "not found")
		return
	}
	h.log.ErrorContext(r.Context(), "issuer: request failed",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	h.writeError(w, r, http.StatusInternalServerError, "internal error")
}

// writeError sends an error as JSON ({"error", "status"}) to JSON clients
// and as a small HTML page to browsers.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if WantsJSON(r) {
		body, _ := json.Marshal(struct {
			Error  string `json:"error"`
			Status int    `json:"status"`
		}{msg, status})
		writeBody(w, status, mediaJSON, cacheNone, body)
		return
	}
	h.pages.writeError(w, status, msg)
}

// negotiated marks a response that depends on the Accept header.
func negotiated(w http.ResponseWriter) { w.Header().Set("Vary", "Accept") }

// Profile serves GET /issuer: the OB 3.0 Profile and controller document
// (?format=ob3 or JSON clients), the OB 2.0 Profile (?format=ob2) or the
// issuer's HTML page.
func (h *Handler) Profile(w http.ResponseWriter, r *http.Request) {
	negotiated(w)
	f, ok := h.format(w, r, formatHTML, formatJSON, formatOB3, formatOB2)
	if !ok {
		return
	}
	switch f {
	case formatOB2:
		writeBody(w, http.StatusOK, mediaJSONLD, cacheKeys, h.is.ProfileOB2())
		return
	case formatJSON, formatOB3:
		writeBody(w, http.StatusOK, mediaJSONLD, cacheKeys, h.is.ProfileDocument())
		return
	}
	badges, err := h.src.Achievements(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.page(w, r, http.StatusOK, cacheKeys, "issuer.html", h.pages.issuerPage(badges))
}

// Badges serves GET /badges: a JSON array of OB 3.0 Achievements, or the
// HTML directory of badges.
func (h *Handler) Badges(w http.ResponseWriter, r *http.Request) {
	negotiated(w)
	f, ok := h.format(w, r, formatHTML, formatJSON)
	if !ok {
		return
	}
	badges, err := h.src.Achievements(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if f == formatHTML {
		h.page(w, r, http.StatusOK, cacheDocument, "badges.html", h.pages.badgesPage(badges))
		return
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, a := range badges {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(h.is.AchievementDocument(a))
	}
	b.WriteByte(']')
	writeBody(w, http.StatusOK, mediaJSONLD, cacheDocument, b.Bytes())
}

// Badge serves GET /badges/{slug}: the OB 3.0 Achievement, the OB 2.0
// BadgeClass (?format=ob2) or the badge's HTML page.
func (h *Handler) Badge(w http.ResponseWriter, r *http.Request) {
	negotiated(w)
	f, ok := h.format(w, r, formatHTML, formatJSON, formatOB3, formatOB2)
	if !ok {
		return
	}
	a, err := h.achievement(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	switch f {
	case formatOB2:
		writeBody(w, http.StatusOK, mediaJSONLD, cacheDocument, h.is.BadgeClassOB2(a))
	case formatJSON, formatOB3:
		writeBody(w, http.StatusOK, mediaJSONLD, cacheDocument, h.is.AchievementDocument(a))
	default:
		page, ok := h.pageNumber(w, r)
		if !ok {
			return
		}
		v := h.pages.badgePage(a)
		if h.rules != nil {
			v.Rules = h.rules(a.Slug)
		}
		if ps, ok := h.src.(PageSource); ok {
			es, total, err := ps.Earners(r.Context(), a.Slug, (page-1)*earnersPage, earnersPage)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			v.Earners, v.Total = h.pages.earners(es), total
			v.Pager = pager(h.is.AchievementURL(a.Slug), page, earnersPage, total)
		}
		h.page(w, r, http.StatusOK, cacheDocument, "badge.html", v)
	}
}

// Award serves GET /awards/{id}: the OB 2.0 hosted Assertion to JSON
// clients (and for ?format=ob2 or ?format=json), else the award's HTML
// page. A revoked award answers 410 Gone either way: the assertion says
// revoked: true with its revocationReason, the page shows a banner. Both
// are served from memory (http_awards.go).
func (h *Handler) Award(w http.ResponseWriter, r *http.Request) {
	if r.URL.RawQuery != "" {
		negotiated(w) // for an error about ?format=; answers carry their Vary
	}
	f, ok := h.format(w, r, formatHTML, formatJSON, formatOB2)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if id == "" {
		h.fail(w, r, ErrNotFound)
		return
	}
	e, err := h.keptAward(r.Context(), id)
	var c *cachedResponse
	if err == nil {
		if f == formatHTML {
			c, err = h.awardHTML(r.Context(), e)
		} else {
			c = h.awardJSON(e)
		}
	}
	if err != nil {
		negotiated(w)
		h.fail(w, r, err)
		return
	}
	c.serve(w, r)
}

// Credential serves GET /awards/{id}/credential.json: the stored OB 3.0
// credential with its Data Integrity proof, byte for byte.
func (h *Handler) Credential(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := h.creds.Get(id, func() (*cachedResponse, error) {
		a, err := h.award(r)
		if err == nil && len(a.Credential) == 0 {
			err = ErrNotFound // an award that was never signed
		}
		if err != nil {
			return nil, err
		}
		return newCachedResponse(http.StatusOK, mediaJSONLD, cacheSigned, a.Credential), nil
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c.serve(w, r)
}

// CredentialJWT serves GET /awards/{id}/credential.jwt: the stored VC-JWT,
// or, for an award signed with SignCredential only, one signed now from its
// credential and kept in memory.
func (h *Handler) CredentialJWT(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, err := h.docs.Get(docKey{id, "credential.jwt"}, func() (artEntry, error) {
		a, err := h.award(r)
		if err == nil && a.JWT == "" {
			if len(a.Credential) == 0 {
				err = ErrNotFound // an award that was never signed
			} else {
				a.JWT, err = h.jwts.Get(a.ID, func() (string, error) { return h.is.JWTFromCredential(a.Credential) })
			}
		}
		if err != nil {
			return artEntry{}, err
		}
		return artEntry{body: []byte(a.JWT), etag: etagOf([]byte(a.JWT))}, nil
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	serveImmutable(w, r, mediaJWT, e)
}

// docKey names a signed document kept in memory: they never change, so
// the hot ones are served without reading the database.
type docKey struct{ id, name string }

// jwtCacheSize bounds the VC-JWTs signed on request that are kept, so
// that RS256 runs once per award (per process) and not once per GET.
const jwtCacheSize = 4096

// maxDocEntries bounds the signed documents and baked images kept (a few
// kilobytes each, tens for a baked PNG).
const maxDocEntries = 2048

// Revocations serves GET /revocations: the OB 2.0 RevocationList.
func (h *Handler) Revocations(w http.ResponseWriter, r *http.Request) {
	revs, err := h.src.Revocations(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeBody(w, http.StatusOK, mediaJSONLD, cacheRevocable, h.is.RevocationListOB2(revs))
}

// StatusList serves GET /status/{list}: the signed
// BitstringStatusListCredential of list n. Lists are numbered from 1 in
// canonical decimal; list 1 always exists, and list n exists once an award
// has a status index in it or a lower list (n <= LastStatusIndex /
// StatusListSize + 1). Anything else is 404.
func (h *Handler) StatusList(w http.ResponseWriter, r *http.Request) { h.statusList(w, r, h.is) }

// statusList serves list {list} of is, the instance's issuer or a
// program's: their indexes are the instance's, so the bits are the same.
func (h *Handler) statusList(w http.ResponseWriter, r *http.Request, is *Issuer) {
	s := r.PathValue("list")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || strconv.Itoa(n) != s {
		h.writeError(w, r, http.StatusNotFound, "no such status list")
		return
	}
	last, err := h.src.LastStatusIndex(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if n > last/StatusListSize+1 {
		h.writeError(w, r, http.StatusNotFound, "no such status list")
		return
	}
	revs, err := h.src.Revocations(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	idx := make([]int, 0, len(revs))
	for _, rv := range revs {
		idx = append(idx, rv.StatusIndex)
	}
	doc, err := is.StatusList(n, idx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeBody(w, http.StatusOK, mediaJSONLD, cacheRevocable, doc)
}

// JWKS serves GET /.well-known/jwks.json: every VC-JWT key ever used.
func (h *Handler) JWKS(w http.ResponseWriter, r *http.Request) {
	writeBody(w, http.StatusOK, mediaJSON, cacheKeys, h.is.JWKS())
}

// PersonPage writes the HTML page of a person's badges: name is the
// person's public handle, awards their awards (revoked ones are left out).
// The caller resolves the person and answers JSON clients itself.
func (h *Handler) PersonPage(w http.ResponseWriter, r *http.Request, name string, awards []Award) {
	negotiated(w)
	h.page(w, r, http.StatusOK, cacheRevocable, "person.html", h.pages.personPage(name, awards))
}

// page renders an HTML page, turning a template failure into a logged 500.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, status int, cache, name string, data any) {
	if err := h.pages.write(w, status, cache, name, data); err != nil {
		h.fail(w, r, err)
	}
}

// achievement reads the badge named by {slug}.
func (h *Handler) achievement(r *http.Request) (Achievement, error) {
	slug := r.PathValue("slug")
	if slug == "" {
		return Achievement{}, ErrNotFound
	}
	return h.src.Achievement(r.Context(), slug)
}

// award reads the award named by {id}.
func (h *Handler) award(r *http.Request) (Award, error) {
	id := r.PathValue("id")
	if id == "" {
		return Award{}, ErrNotFound
	}
	return h.src.Award(r.Context(), id)
}
