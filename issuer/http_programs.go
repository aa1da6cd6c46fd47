package issuer

import (
	"cmp"
	"html/template"
	"net/http"
	"path"
	"slices"
)

// The routes of a program (DESIGN §3 /programs/{slug}): its profile and
// page, its keys under its own URLs, its status lists, its OB 2.0
// revocation list and its logo. They read the path value {slug}; an
// unknown program is 404.

// program returns the issuer of the program named by {slug}.
func (h *Handler) program(w http.ResponseWriter, r *http.Request) (*Issuer, bool) {
	p, ok := h.is.Program(r.PathValue("slug"))
	if !ok {
		h.writeError(w, r, http.StatusNotFound, "no such program")
	}
	return p, ok
}

// ProgramProfile serves GET /programs/{slug}: the program's OB 3.0
// Profile (JSON clients, ?format=ob3), which lists the keys it signs with
// and names the instance's issuer as parentOrg; its OB 2.0 Profile
// (?format=ob2); or its page.
func (h *Handler) ProgramProfile(w http.ResponseWriter, r *http.Request) {
	negotiated(w)
	pis, ok := h.program(w, r)
	if !ok {
		return
	}
	f, ok := h.format(w, r, formatHTML, formatJSON, formatOB3, formatOB2)
	if !ok {
		return
	}
	switch f {
	case formatOB2:
		writeBody(w, http.StatusOK, mediaJSONLD, cacheKeys, pis.ProfileOB2())
		return
	case formatJSON, formatOB3:
		writeBody(w, http.StatusOK, mediaJSONLD, cacheKeys, pis.ProfileDocument())
		return
	}
	all, err := h.src.Achievements(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var badges []Achievement
	for _, a := range all {
		if a.Program == pis.program.Slug {
			badges = append(badges, a)
		}
	}
	v := h.pages.programPage(pis, badges)
	if ps, ok := h.src.(PageSource); ok {
		// The latest earners of each of its badges, merged: a program
		// has a handful of badges.
		var es []Earner
		for _, a := range badges {
			got, _, err := ps.Earners(r.Context(), a.Slug, 0, homeListSize)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			es = append(es, got...)
		}
		slices.SortStableFunc(es, func(a, b Earner) int {
			return cmp.Or(b.IssuedAt.Compare(a.IssuedAt), cmp.Compare(a.AwardID, b.AwardID))
		})
		v.Recent = h.pages.earners(es[:min(len(es), homeListSize)])
	}
	h.page(w, r, http.StatusOK, cacheRevocable, "program.html", v)
}

// ProgramKey serves GET /programs/{slug}/keys/{id}: a signing key as the
// program's (its controller is the program), as Key serves the
// instance's.
func (h *Handler) ProgramKey(w http.ResponseWriter, r *http.Request) {
	negotiated(w)
	pis, ok := h.program(w, r)
	if !ok {
		return
	}
	body, media, ok := pis.KeyDocument(r.PathValue("id"), wantsJWK(r))
	if !ok {
		h.writeError(w, r, http.StatusNotFound, "no such key")
		return
	}
	writeBody(w, http.StatusOK, media, cacheKeys, body)
}

// ProgramStatusList serves GET /programs/{slug}/status/{list}: the status
// list the program's credentials point at, issued by the program (a
// verifier may require the list's issuer to be the credential's). Status
// indexes are the instance's, so its bits are those of /status/{list}.
func (h *Handler) ProgramStatusList(w http.ResponseWriter, r *http.Request) {
	pis, ok := h.program(w, r)
	if !ok {
		return
	}
	h.statusList(w, r, pis)
}

// ProgramRevocations serves GET /programs/{slug}/revocations: the OB 2.0
// RevocationList of the program's awards.
func (h *Handler) ProgramRevocations(w http.ResponseWriter, r *http.Request) {
	pis, ok := h.program(w, r)
	if !ok {
		return
	}
	revs, err := h.src.Revocations(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeBody(w, http.StatusOK, mediaJSONLD, cacheRevocable, pis.RevocationListOB2(revs))
}

// ProgramLogo serves GET /programs/{slug}/logo.png and logo.svg: the
// program's logo, under the extension of its type only. An SVG logo is
// served with the policy that keeps scripts in it from running.
func (h *Handler) ProgramLogo(w http.ResponseWriter, r *http.Request) {
	pis, ok := h.program(w, r)
	if !ok {
		return
	}
	p := pis.program
	if len(p.Logo) == 0 || pis.LogoURL() != pis.IssuerID()+"/"+path.Base(r.URL.Path) {
		h.writeError(w, r, http.StatusNotFound, "no such logo")
		return
	}
	if p.LogoType == mediaSVG {
		w.Header().Set("Content-Security-Policy", svgImagePolicy)
	}
	writeBody(w, http.StatusOK, p.LogoType, cacheDocument, p.Logo)
}

// programView is what a page shows of the program whose badge, award or
// page it is: its name, link, logo and colour.
type programView struct {
	Name        string
	Description string
	URL         string
	LogoURL     string
	Color       template.CSS // a colour AddProgram checked: #rgb or #rrggbb
	Own         bool         // the program's own page: no "Issued by" banner
}

// programOf returns the view of a program's issuer, nil for the
// instance's.
func programOf(pis *Issuer) *programView {
	if pis.parent == nil {
		return nil
	}
	v := &programView{Name: pis.p.Name, Description: pis.p.Description, URL: pis.IssuerID(), LogoURL: pis.LogoURL()}
	if programColor.MatchString(pis.program.Color) { // never anything else in a style sheet
		v.Color = template.CSS(pis.program.Color)
	}
	return v
}

// programPage is the page of a program.
type programPage struct {
	pageHead
	Name        string
	Description string
	Website     string
	Email       string
	Badges      []badgeView
	Recent      []earnerView
	Links       []linkView
}

func (p *pages) programPage(pis *Issuer, badges []Achievement) programPage {
	prof := pis.p
	website := prof.URL
	if website == pis.IssuerID() {
		website = "" // AddProgram defaults the URL to this page
	}
	head := p.head(prof.Name, prof.Description, linkView{URL: pis.IssuerID() + "?format=ob3", Type: mediaJSONLD})
	head.Program = programOf(pis)
	head.Program.Own = true
	head.OG = &ogView{Title: prof.Name, Description: prof.Description, URL: pis.IssuerID()}
	if pis.program.LogoType == mediaPNG { // Open Graph images are raster images
		head.OG.Image, head.OG.ImageAlt = pis.LogoURL(), prof.Name+" logo"
	} else if len(badges) > 0 {
		head.OG.Image, head.OG.ImageAlt = p.is.ImageURL(badges[0]), badges[0].Name+" badge artwork"
	}
	return programPage{
		pageHead:    head,
		Name:        prof.Name,
		Description: prof.Description,
		Website:     website,
		Email:       prof.Email, // the program's published contact, never a person's
		Badges:      p.badges(badges),
		Links: []linkView{
			{Label: "Issuer profile", URL: pis.IssuerID() + "?format=ob3", Note: "Open Badges 3.0, JSON-LD, lists the signing keys"},
			{Label: "Issuer profile", URL: pis.ProfileOB2URL(), Note: "Open Badges 2.0"},
			{Label: "Revocation list", URL: pis.RevocationListURL(), Note: "Open Badges 2.0"},
			{Label: "Part of " + p.is.p.Name, URL: p.is.IssuerID()},
		},
	}
}
