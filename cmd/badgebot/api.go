package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
	"github.com/badgebot/badgebot/storage"
	"github.com/badgebot/badgebot/storage/postgres"
)

// apiReads is what the JSON API and the people pages read from the
// database, the public nomination page (nomination_page.go) and the
// audit trail (cmd_audit.go) too. Their one write, a link,
// goes through bot.Linker; awards and revocations through bot.Service.
type apiReads interface {
	nominationReads // the public nomination page's
	bot.AuditStore  // `badgebot audit` and GET /api/v1/audit
	Badges(ctx context.Context) ([]*bot.Badge, error)
	Awards(ctx context.Context, f bot.AwardFilter) ([]*bot.Award, error)
	// Nomination is read for the approvers an admin's award list shows.
	Nomination(ctx context.Context, id int64) (*bot.Nomination, error)
	PersonByHandle(ctx context.Context, handle string) (*bot.Person, error)
	PersonByRecipient(ctx context.Context, r bot.Recipient) (*bot.Person, error)
	// HandleRedirect returns the current handle of a person by a handle
	// they had before (/people/{old} redirects).
	HandleRedirect(ctx context.Context, old string) (string, error)
}

var (
	_ apiReads = (*storage.DB)(nil)
	_ apiReads = (*postgres.DB)(nil)
)

// maxAPIBody bounds request bodies of the JSON API.
const maxAPIBody = 1 << 20

// awardJSON is an award as `--json` and the API print it (DESIGN §2).
type awardJSON struct {
	ID            string    `json:"id"`
	Badge         string    `json:"badge"`
	Recipient     string    `json:"recipient,omitempty"`
	Holder        string    `json:"holder,omitempty"`
	IssuedAt      time.Time `json:"issued_at"`
	Revoked       bool      `json:"revoked"`
	RevokedAt     string    `json:"revoked_at,omitempty"`
	Reason        string    `json:"revocation_reason,omitempty"`
	URL           string    `json:"url"`
	CredentialURL string    `json:"credential_url"`
	JWTURL        string    `json:"jwt_url"`
	BakedURL      string    `json:"baked_url"`
	Evidence      []string  `json:"evidence,omitempty"`
	Narrative     string    `json:"narrative,omitempty"`
	Source        string    `json:"source"`
	*auditJSON              // admins only: nil for everyone else
}

// auditJSON is who made and who revoked an award, and from where: only
// `awards list --json` and the API with the admin token show it.
type auditJSON struct {
	AwardedBy  string   `json:"awarded_by"`            // PLATFORM:ID, cli, api or badgebot
	AwardedVia string   `json:"awarded_via"`           // slack, discord, console, cli, api, rule, backfill; "" unknown
	Rule       string   `json:"rule,omitempty"`        // the rules that fired
	Nomination int64    `json:"nomination,omitempty"`  // the nomination approved
	ApprovedBy []string `json:"approved_by,omitempty"` // its approvers, PLATFORM:ID
	RevokedBy  string   `json:"revoked_by,omitempty"`
	RevokedVia string   `json:"revoked_via,omitempty"`
}

// withAudit adds the audit fields to awards rendered by toAwardJSON, in
// the same order.
func (a *App) withAudit(ctx context.Context, out []awardJSON, awards []*bot.Award) error {
	approvers := map[int64][]string{}
	for i, aw := range awards {
		j := &auditJSON{AwardedBy: aw.AwardedBy, AwardedVia: aw.Via, RevokedBy: aw.RevokedBy, RevokedVia: aw.RevokedVia}
		switch aw.Source {
		case bot.SourceRule:
			j.Rule = aw.SourceRef
		case bot.SourceNomination:
			j.Nomination, _ = strconv.ParseInt(aw.SourceRef, 10, 64)
			if _, ok := approvers[j.Nomination]; !ok && j.Nomination != 0 {
				n, err := a.reads.Nomination(ctx, j.Nomination)
				if err != nil && bot.ErrorCode(err) != bot.ENOTFOUND {
					return err
				}
				var who []string
				if n != nil {
					for _, e := range n.Approvals {
						who = append(who, e.Who.String())
					}
				}
				approvers[j.Nomination] = who
			}
			j.ApprovedBy = approvers[j.Nomination]
		}
		out[i].auditJSON = j
	}
	return nil
}

// toAwardJSON renders an award. Public output never carries an e-mail
// address: e-mail identities are left out there.
func toAwardJSON(s *bot.Service, a *bot.Award, public bool) awardJSON {
	j := awardJSON{
		ID: a.ID, Badge: a.Badge, Recipient: a.Recipient.String(), IssuedAt: a.IssuedAt.UTC(),
		Revoked: a.Revoked, Reason: a.RevocationReason,
		URL: s.AwardURL(a.ID), CredentialURL: s.CredentialURL(a.ID),
		JWTURL: s.AwardURL(a.ID) + "/credential.jwt", BakedURL: s.AwardURL(a.ID) + "/badge.png",
		Narrative: a.Narrative, Source: a.Source,
	}
	if a.Revoked {
		j.RevokedAt = a.RevokedAt.UTC().Format(time.RFC3339)
	}
	for _, e := range a.Evidence {
		if e.URL != "" {
			j.Evidence = append(j.Evidence, e.URL)
		}
	}
	if _, isEmail := a.Recipient.Email(); isEmail && public {
		j.Recipient = ""
	}
	return j
}

func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	if err := a.ready(r.Context()); err != nil {
		a.Log.Error("readiness: database", "err", err)
		http.Error(w, "not ready: the database cannot take writes", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ready\n")
}

type badgeJSON struct {
	Slug        string `json:"slug"`
	Program     string `json:"program,omitempty"` // its [[programs]] slug
	Name        string `json:"name"`
	Description string `json:"description"`
	Criteria    string `json:"criteria"`
	Repeatable  bool   `json:"repeatable"`
	Nominations bool   `json:"nominations"`
	Approvals   int    `json:"approvals"`
	URL         string `json:"url"`
	Image       string `json:"image"`
}

func toBadgeJSON(base string, b *bot.Badge) badgeJSON {
	return badgeJSON{
		Slug: b.Slug, Program: b.Program, Name: b.Name, Description: b.Description, Criteria: b.Criteria,
		Repeatable: b.Repeatable, Nominations: b.Nominations, Approvals: b.Approvals,
		URL: base + "/badges/" + b.Slug, Image: base + "/badges/" + b.Slug + "/image.png",
	}
}

func (a *App) apiBadges(w http.ResponseWriter, r *http.Request) {
	badges, err := a.reads.Badges(r.Context())
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	out := make([]badgeJSON, 0, len(badges))
	for _, b := range badges {
		out = append(out, toBadgeJSON(a.Config.Server.PublicURL, b))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *App) apiAwards(w http.ResponseWriter, r *http.Request) {
	f := bot.AwardFilter{Badge: r.URL.Query().Get("badge"), Limit: 1000}
	if to := r.URL.Query().Get("to"); to != "" {
		rec, err := bot.ParseRecipient(to)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		// A filter on an e-mail address is a question about it: only
		// admins may ask (DESIGN §5), else the answer ties the address to
		// a person and their awards.
		if _, isEmail := rec.Email(); isEmail && !a.hasAdminToken(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="badgebot"`)
			writeJSONError(w, http.StatusUnauthorized, "filtering by an e-mail address needs the admin bearer token")
			return
		}
		f.Recipient = rec
	}
	awards, err := a.reads.Awards(r.Context(), f)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	admin := a.hasAdminToken(r)
	out := make([]awardJSON, 0, len(awards))
	for _, aw := range awards {
		out = append(out, toAwardJSON(a.Service, aw, !admin))
	}
	if admin {
		if err := a.withAudit(r.Context(), out, awards); err != nil {
			a.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// awardRequestJSON is the body of POST /api/v1/awards.
type awardRequestJSON struct {
	Badge     string `json:"badge"`
	Recipient string `json:"recipient"`
	// Recipients awards the same badge to each (award_bulk.go).
	Recipients []string `json:"recipients"`
	Evidence   []string `json:"evidence"`
	Narrative  string   `json:"narrative"`
}

func (a *App) apiCreateAward(w http.ResponseWriter, r *http.Request) {
	var body awardRequestJSON
	if !a.decodeJSON(w, r, &body) {
		return
	}
	if len(body.Recipients) > 0 {
		a.apiCreateAwards(w, r, body)
		return
	}
	to, err := bot.ParseRecipient(body.Recipient)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	req := bot.AwardRequest{Badge: body.Badge, To: to, Narrative: body.Narrative, Source: bot.SourceAPI, By: bot.ViaAPI, Via: bot.ViaAPI}
	for _, u := range body.Evidence {
		req.Evidence = append(req.Evidence, bot.Evidence{URL: u, Name: u})
	}
	aw, err := a.Service.Award(apiOrigin(r), req)
	if errors.Is(err, bot.ErrNoEvidence) {
		err = bot.Errorf(bot.EINVALID, `add "narrative" (why the badge is given) or "evidence" (URLs of the work)`)
	}
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", a.Service.AwardURL(aw.ID))
	writeJSON(w, http.StatusCreated, toAwardJSON(a.Service, aw, false))
}

func (a *App) apiRevokeAward(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Reason string `json:"reason"`
	}
	if !a.decodeJSON(w, r, &body) {
		return
	}
	aw, err := a.Service.Revoke(apiOrigin(r), r.PathValue("id"), body.Reason, bot.ViaAPI)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAwardJSON(a.Service, aw, false))
}

// apiLink joins two identities into one person, as `badgebot link` does.
func (a *App) apiLink(w http.ResponseWriter, r *http.Request) {
	var body struct {
		A string `json:"a"`
		B string `json:"b"`
	}
	if !a.decodeJSON(w, r, &body) {
		return
	}
	ra, err := bot.ParseRecipient(body.A)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	rb, err := bot.ParseRecipient(body.B)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	p, err := a.Linker.Link(apiOrigin(r), ra, rb) // refuses ra == rb
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"handle": p.Handle, "url": a.Config.Server.PublicURL + "/people/" + p.Handle,
	})
}

// apiOrigin marks what a request of the admin API does, for the audit
// trail.
func apiOrigin(r *http.Request) context.Context {
	return bot.WithOrigin(r.Context(), bot.Origin{By: bot.ViaAPI, Via: bot.ViaAPI})
}

// hasAdminToken reports whether r carries the admin bearer token (and
// one is set).
func (a *App) hasAdminToken(r *http.Request) bool {
	return bearerOK(r, a.Config.Server.AdminToken.Reveal())
}

// admin guards the write API with the admin bearer token.
func (a *App) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.Config.Server.AdminToken == "" {
			writeJSONError(w, http.StatusForbidden, "the write API is off: set server.admin_token")
			return
		}
		if !a.hasAdminToken(r) {
			unauthorized(w, "missing or wrong bearer token")
			return
		}
		next(w, r)
	}
}

// decodeJSON reads a bounded JSON body into v, answering 400/413 itself.
func (a *App) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooBig):
		writeJSONError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", tooBig.Limit))
	default:
		writeJSONError(w, http.StatusBadRequest, "malformed JSON body: "+err.Error())
	}
	return false
}

// httpStatus maps error codes to HTTP status codes, in one place.
var httpStatus = map[string]int{
	bot.ECONFLICT:     http.StatusConflict,
	bot.EINVALID:      http.StatusBadRequest,
	bot.ENOTFOUND:     http.StatusNotFound,
	bot.EFORBIDDEN:    http.StatusForbidden,
	bot.EUNAUTHORIZED: http.StatusUnauthorized,
	bot.ELIMIT:        http.StatusTooManyRequests,
	bot.EINTERNAL:     http.StatusInternalServerError,
}

// writeError answers with the error's code; internal errors are logged
// here, once, and not shown.
func (a *App) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := bot.ErrorCode(err)
	if code == bot.EINTERNAL {
		a.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status, ok := httpStatus[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	writeJSONError(w, status, bot.ErrorMessage(err))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// recoverer turns a panic in a handler into a 500 and a log line, so no
// request can take the process down.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// personPage serves /people/{handle}: a person's public badges, as JSON to
// machines and HTML to browsers. PLATFORM:ID also resolves, but an e-mail
// identity (email:, bugzilla:) only with the admin token: without it the
// answer is the 404 of an unknown handle, so it tells nothing about whether
// anyone has that address.
func (a *App) personPage(is *issuer.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		handle := r.PathValue("handle")
		p, err := a.reads.PersonByHandle(ctx, handle)
		if bot.ErrorCode(err) == bot.ENOTFOUND && strings.Contains(handle, ":") {
			if rec, perr := bot.ParseRecipient(handle); perr == nil {
				if _, isEmail := rec.Email(); !isEmail || a.hasAdminToken(r) {
					p, err = a.reads.PersonByRecipient(ctx, rec)
				}
			}
		}
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			// A handle given up for a new one (migration 008) still leads
			// to its person.
			if to, rerr := a.reads.HandleRedirect(ctx, handle); rerr == nil {
				http.Redirect(w, r, a.Config.Server.PublicURL+"/people/"+url.PathEscape(to), http.StatusMovedPermanently)
				return
			}
		}
		if err != nil {
			a.pageError(is, w, r, err)
			return
		}
		awards, err := a.reads.Awards(ctx, bot.AwardFilter{PersonID: p.ID, Revoked: new(false)})
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		if issuer.WantsJSON(r) {
			out := struct {
				Handle string      `json:"handle"`
				Name   string      `json:"name,omitempty"`
				URL    string      `json:"url"`
				Awards []awardJSON `json:"awards"`
			}{Handle: p.Handle, Name: p.Name, URL: a.Config.Server.PublicURL + "/people/" + p.Handle, Awards: []awardJSON{}}
			for _, aw := range awards {
				out.Awards = append(out.Awards, toAwardJSON(a.Service, aw, true))
			}
			writeJSON(w, http.StatusOK, out)
			return
		}
		src := a.Source
		var docs []issuer.Award
		for _, aw := range awards {
			d, err := src.Award(ctx, aw.ID)
			if err != nil {
				a.writeError(w, r, err)
				return
			}
			docs = append(docs, d)
		}
		is.PersonPage(w, r, p.Handle, docs)
	}
}
