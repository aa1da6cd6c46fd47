package issuer

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The human pages: one base layout (templates/base.html) around one
// template per page, with the style sheet of static/style.css inlined, so
// a page is one self-contained response with no scripts and no external
// assets. html/template escapes everything; text about people also goes
// through hideEmails, so no e-mail address is ever shown.

//go:embed templates/*.html static/style.css
var pageFS embed.FS

// pagePolicy is the Content-Security-Policy of the pages: no scripts but
// the award page's copy-link script (allowed by its hash), the inline
// style sheet, images from anywhere (badge artwork lives on the public
// URL, which may differ from the host serving the page behind a proxy).
var pagePolicy = "default-src 'none'; script-src '" + copyScriptHash + "'; style-src 'self' 'unsafe-inline'; img-src * data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// copyScript makes the award page's "Copy link" button copy the link; the
// link stays in a read-only text field for browsers without scripts.
const copyScript = `document.querySelectorAll("button[data-copy]").forEach(function(b){b.hidden=false;b.addEventListener("click",function(){navigator.clipboard.writeText(b.dataset.copy).then(function(){b.textContent="Link copied"})})})`

// copyScriptHash is the CSP source of copyScript.
var copyScriptHash = func() string {
	sum := sha256.Sum256([]byte(copyScript))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

// pages renders the HTML pages of one issuer.
type pages struct {
	is *Issuer
	// style is the site's style sheet, served at styleName under /assets/
	// with a long cache: a name made from its hash, so a new sheet gets a
	// new name and pages stay small (the sheet was two thirds of a page).
	style     func() *cachedResponse // made on the first request for it
	styleName string
}

// newPages prepares the pages of is. The templates are part of the
// binary, so a parse error is a programming error caught by every test
// run.
func newPages(is *Issuer) *pages {
	css, err := pageFS.ReadFile("static/style.css")
	if err != nil {
		panic(fmt.Sprintf("issuer: reading embedded style sheet: %v", err))
	}
	sum := sha256.Sum256(css)
	p := &pages{is: is,
		styleName: "style." + hex.EncodeToString(sum[:8]) + ".css",
		style: sync.OnceValue(func() *cachedResponse {
			return newCachedResponse(http.StatusOK, "text/css; charset=utf-8", cacheSigned, css).withGzip()
		})}
	go pageTemplates() // beside the rest of start-up
	return p
}

// pageTemplates parses every page's template on first use. Parsing them
// was half of what `badgebot serve` did before it served (about 10 ms);
// newPages starts it without waiting. The layout is parsed once and each
// page added to a copy of it.
var pageTemplates = sync.OnceValue(func() map[string]*template.Template {
	funcs := template.FuncMap{
		"copyScript": func() template.JS { return template.JS(copyScript) },
		"date":       func(t time.Time) string { return t.UTC().Format("2 January 2006") },
		"iso":        func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return "1 " + one
			}
			return strconv.Itoa(n) + " " + many
		},
	}
	names := []string{"issuer.html", "badges.html", "badge.html", "award.html", "person.html", "nomination.html", "error.html", "home.html", "leaderboard.html", "program.html"}
	base := template.Must(template.New("base.html").Funcs(funcs).ParseFS(pageFS, "templates/base.html"))
	t := make(map[string]*template.Template, len(names))
	for _, name := range names {
		t[name] = template.Must(template.Must(base.Clone()).ParseFS(pageFS, "templates/"+name))
	}
	return t
})

// write renders page name into a buffer, then sends it, so that a
// template error can still become a clean error response.
func (p *pages) write(w http.ResponseWriter, status int, cache, name string, data any) error {
	b, err := p.render(name, data)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Security-Policy", pagePolicy)
	w.Header().Set("Referrer-Policy", "strict-origin-when-cross-origin")
	writeBody(w, status, mediaHTML, cache, b)
	return nil
}

// render renders page name.
func (p *pages) render(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := pageTemplates()[name].ExecuteTemplate(&b, "layout", data); err != nil {
		return nil, fmt.Errorf("issuer: rendering %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// writeError sends the small HTML error page.
func (p *pages) writeError(w http.ResponseWriter, status int, msg string) {
	title := http.StatusText(status)
	switch status {
	case http.StatusNotFound:
		title = "Page not found"
	case http.StatusGone:
		title = "Gone"
	}
	data := errorPage{pageHead: p.head(title, ""), Status: status, Message: msg}
	if err := p.write(w, status, cacheNone, "error.html", data); err != nil {
		http.Error(w, msg, status)
	}
}

// siteView is what the layout shows of the issuer.
type siteView struct {
	Name           string
	URL            string // the issuer page
	HomeURL        string
	BadgesURL      string
	LeaderboardURL string
	StyleURL       string // the style sheet, under /assets/
}

// linkView is one link to another representation.
type linkView struct {
	Label string
	URL   string
	Type  string // media type, for <link rel="alternate">
	Note  string
}

// pageHead is what every page passes to the layout.
type pageHead struct {
	Site        siteView
	Title       string
	Description string
	Alternates  []linkView
	OG          *ogView // Open Graph and Twitter card tags; nil: none
	// Program is the program whose page, badge or award it is: its
	// colour, logo and name; nil: the instance's.
	Program *programView
}

type badgeView struct {
	Name        string
	Description string
	Criteria    string
	URL         string
	ImageURL    string
	Count       int // awards, where a list shows it
}

type evidenceView struct {
	Title       string
	URL         string // empty: not linked
	Genre       string
	Description string
	Narrative   string
}

type awardCard struct {
	Badge  badgeView
	URL    string
	Issued time.Time
}

type issuerPage struct {
	pageHead
	Name        string
	Description string
	Website     string
	Email       string
	Badges      []badgeView
	Links       []linkView
}

type badgesPage struct {
	pageHead
	Badges []badgeView
}

type badgePage struct {
	pageHead
	Badge    badgeView
	Links    []linkView
	Rules    []string // how it is awarded automatically, in plain words
	Nominate string   // the chat command that nominates someone for it
	Earners  []earnerView
	Total    int
	Pager    pagerView
}

type awardPage struct {
	pageHead
	Badge            badgeView
	Holder           string
	HolderURL        string
	Issued           time.Time
	Narrative        string
	Evidence         []evidenceView
	Revoked          bool
	RevokedAt        time.Time
	RevocationReason string
	OB3              []linkView
	OB2              []linkView
	VerifyURL        string
	URL              string // this page, to copy and share
	Status           statusView
	Downloads        []linkView
	LinkedInURL      string
}

type personPage struct {
	pageHead
	Name   string
	Awards []awardCard
}

type errorPage struct {
	pageHead
	Status  int
	Message string
}

func (p *pages) head(title, description string, alternates ...linkView) pageHead {
	return pageHead{
		Site: siteView{
			Name:           p.is.p.Name,
			URL:            p.is.IssuerID(),
			HomeURL:        p.is.p.BaseURL + "/",
			BadgesURL:      p.is.p.BaseURL + "/badges",
			LeaderboardURL: p.is.p.BaseURL + "/leaderboard",
			StyleURL:       p.is.p.BaseURL + "/assets/" + p.styleName,
		},
		Title:       title,
		Description: description,
		Alternates:  alternates,
	}
}

func (p *pages) badge(a Achievement) badgeView {
	criteria := a.Criteria
	if criteria == "" {
		criteria = a.Description
	}
	return badgeView{
		Name:        a.Name,
		Description: a.Description,
		Criteria:    criteria,
		URL:         p.is.AchievementURL(a.Slug),
		ImageURL:    p.is.ImageURL(a),
	}
}

func (p *pages) badges(as []Achievement) []badgeView {
	vs := make([]badgeView, 0, len(as))
	for _, a := range as {
		vs = append(vs, p.badge(a))
	}
	return vs
}

func (p *pages) issuerPage(badges []Achievement) issuerPage {
	prof := p.is.p
	website := prof.URL
	if website == prof.BaseURL {
		website = "" // New defaults the URL to the server itself
	}
	return issuerPage{
		pageHead: p.head(prof.Name, prof.Description,
			linkView{URL: p.is.IssuerID() + "?format=ob3", Type: mediaJSONLD}),
		Name:        prof.Name,
		Description: prof.Description,
		Website:     website,
		Email:       prof.Email, // the organisation's published contact, never a person's
		Badges:      p.badges(badges),
		Links: []linkView{
			{Label: "Issuer profile", URL: p.is.IssuerID() + "?format=ob3", Note: "Open Badges 3.0, JSON-LD, lists the signing keys"},
			{Label: "Issuer profile", URL: p.is.ProfileOB2URL(), Note: "Open Badges 2.0"},
			{Label: "JSON Web Key Set", URL: p.is.JWKSURL(), Note: "keys of the VC-JWT credentials"},
			{Label: "Revocation list", URL: p.is.RevocationListURL(), Note: "Open Badges 2.0"},
		},
	}
}

func (p *pages) badgesPage(badges []Achievement) badgesPage {
	return badgesPage{
		pageHead: p.head("Badges", "The badges "+p.is.p.Name+" awards.",
			linkView{URL: p.is.p.BaseURL + "/badges?format=json", Type: mediaJSONLD}),
		Badges: p.badges(badges),
	}
}

func (p *pages) badgePage(a Achievement) badgePage {
	ach := p.is.AchievementURL(a.Slug)
	head := p.head(a.Name, a.Description, linkView{URL: ach + "?format=ob3", Type: mediaJSONLD})
	head.OG = &ogView{Title: a.Name, Description: a.Description, URL: ach, Image: p.is.ImageURL(a), ImageAlt: a.Name + " badge artwork"}
	head.Program = programOf(p.is.issuerOf(a.Program))
	return badgePage{
		pageHead: head,
		Nominate: "/badge nominate @someone " + a.Slug + " why they earned it",
		Badge:    p.badge(a),
		Links: []linkView{
			{Label: "Achievement", URL: ach + "?format=ob3", Note: "Open Badges 3.0"},
			{Label: "BadgeClass", URL: p.is.BadgeClassURL(a.Slug), Note: "Open Badges 2.0"},
			{Label: "Artwork", URL: p.is.ImageURL(a)},
		},
	}
}

func (p *pages) awardPage(a Award) awardPage {
	award := p.is.AwardURL(a.ID)
	holder := hideEmails(a.Holder)
	title := a.Badge.Name
	if holder != "" {
		title += " awarded to " + holder
	}
	v := awardPage{
		pageHead: p.head(title, a.Badge.Description,
			linkView{URL: award + "?format=ob2", Type: mediaJSONLD},
			linkView{URL: p.is.CredentialURL(a.ID), Type: mediaJSONLD}),
		Badge:            p.badge(a.Badge),
		Holder:           holder,
		HolderURL:        a.HolderURL,
		Issued:           a.IssuedAt,
		Narrative:        hideEmails(a.Narrative),
		Revoked:          a.Revoked,
		RevokedAt:        a.RevokedAt,
		RevocationReason: hideEmails(a.RevocationReason),
		VerifyURL:        p.is.CredentialURL(a.ID),
		URL:              award,
		LinkedInURL:      p.linkedInURL(a),
	}
	// The award's own program (recorded when it was issued), not its
	// badge's today.
	pis := p.is.issuerOf(a.Program)
	v.Program = programOf(pis)
	desc := a.Badge.Description
	if holder != "" {
		desc = holder + " earned " + a.Badge.Name + " from " + pis.p.Name + ". " + desc
	}
	v.OG = &ogView{Type: "article", Title: title, Description: desc, URL: award, Image: award + "/card.png",
		ImageAlt: a.Badge.Name + " badge", Large: true}
	for _, e := range a.Evidence {
		v.Evidence = append(v.Evidence, evidenceFor(e))
	}
	hasPNG := len(a.Badge.Image) == 0 || a.Badge.ImageType == mediaPNG
	if len(a.Credential) > 0 {
		v.OB3 = append(v.OB3, linkView{Label: "credential.json", URL: p.is.CredentialURL(a.ID), Note: "signed credential (Data Integrity)"})
	}
	if a.JWT != "" || len(a.Credential) > 0 {
		v.OB3 = append(v.OB3, linkView{Label: "credential.jwt", URL: p.is.CredentialJWTURL(a.ID), Note: "VC-JWT"})
	}
	if len(a.Credential) > 0 {
		if hasPNG {
			v.OB3 = append(v.OB3, linkView{Label: "badge.png", URL: award + "/badge.png", Note: "baked image"})
		}
		v.OB3 = append(v.OB3, linkView{Label: "badge.svg", URL: award + "/badge.svg", Note: "baked image"})
	}
	v.OB2 = append(v.OB2, linkView{Label: "assertion", URL: award + "?format=ob2", Note: "hosted assertion"})
	if hasPNG {
		v.OB2 = append(v.OB2, linkView{Label: "badge.png", URL: award + "/badge.png?format=ob2", Note: "baked image"})
	}
	v.OB2 = append(v.OB2, linkView{Label: "badge.svg", URL: award + "/badge.svg?format=ob2", Note: "baked image"})
	if len(a.Credential) > 0 {
		if hasPNG {
			v.Downloads = append(v.Downloads, linkView{Label: "Image (PNG)", URL: award + "/badge.png", Note: "the badge with its credential baked in"})
		}
		v.Downloads = append(v.Downloads, linkView{Label: "Image (SVG)", URL: award + "/badge.svg", Note: "the badge with its credential baked in"},
			linkView{Label: "Credential (JSON)", URL: p.is.CredentialURL(a.ID), Note: "credential.json"},
			linkView{Label: "Credential (VC-JWT)", URL: p.is.CredentialJWTURL(a.ID), Note: "credential.jwt"})
	}
	return v
}

// evidenceFor shows one piece of evidence. Evidence without a name (a
// private bug, say) is titled with its URL without the scheme; a URL that
// carries an e-mail address is neither linked nor shown.
func evidenceFor(e Evidence) evidenceView {
	v := evidenceView{
		Title:       hideEmails(e.Name),
		URL:         e.URL,
		Genre:       e.Genre,
		Description: hideEmails(e.Description),
		Narrative:   hideEmails(e.Narrative),
	}
	if hideEmails(v.URL) != v.URL || !(strings.HasPrefix(v.URL, "https://") || strings.HasPrefix(v.URL, "http://")) {
		v.URL = ""
	}
	if v.Title == "" && v.URL != "" {
		_, rest, ok := strings.Cut(v.URL, "://")
		if !ok {
			rest = v.URL
		}
		v.Title = rest
	}
	if v.Title == "" && v.Description == "" && v.Narrative == "" {
		v.Title = "Evidence"
	}
	return v
}

func (p *pages) personPage(name string, awards []Award) personPage {
	name = hideEmails(name)
	v := personPage{
		pageHead: p.head(name, "Open Badges awarded to "+name+" by "+p.is.p.Name+"."),
		Name:     name,
	}
	v.OG = &ogView{Type: "profile", Title: name + " · " + p.is.p.Name, Description: v.Description, URL: p.is.PersonURL(name)}
	for _, a := range awards {
		if a.Revoked {
			continue
		}
		v.Awards = append(v.Awards, awardCard{Badge: p.badge(a.Badge), URL: p.is.AwardURL(a.ID), Issued: a.IssuedAt})
		if v.OG.Image == "" {
			v.OG.Image, v.OG.ImageAlt = p.is.ImageURL(a.Badge), a.Badge.Name+" badge artwork"
		}
	}
	return v
}

// hideEmails replaces every e-mail address in s by its local part and
// "@…", so that a display name or a narrative never shows an address.
func hideEmails(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	for {
		at := strings.IndexByte(s, '@')
		if at < 0 {
			b.WriteString(s)
			return b.String()
		}
		start := at
		for start > 0 && isLocalByte(s[start-1]) {
			start--
		}
		end := at + 1
		dot := false
		for end < len(s) && isDomainByte(s[end]) {
			dot = dot || s[end] == '.'
			end++
		}
		// A trailing dot ends a sentence, not the domain.
		for end > at+1 && s[end-1] == '.' {
			end--
		}
		dot = dot && strings.Contains(s[at+1:end], ".")
		if start == at || !dot {
			b.WriteString(s[:at+1])
			s = s[at+1:]
			continue
		}
		b.WriteString(s[:at])
		b.WriteString("@…")
		s = s[end:]
	}
}

func isLocalByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0
}

func isDomainByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// Asset serves the pages' static files (GET /assets/{name}): the style
// sheet under the name made from its hash, immutable, gzipped for
// clients that take it, 304 to a matching If-None-Match.
func (h *Handler) Asset(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("name") != h.pages.styleName {
		h.writeError(w, r, http.StatusNotFound, "no such file")
		return
	}
	h.pages.style().serve(w, r)
}
