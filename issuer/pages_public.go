package issuer

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The community pages: home, leaderboard, badge earners, the 404 page and
// what the award page says about its own validity. They read a PageSource
// when the Source is one; without it the lists are empty.

// Earner is one award as the community pages list it.
type Earner struct {
	AwardID  string
	Handle   string // the holder's public handle
	IssuedAt time.Time
	Badge    Achievement // Slug and Name at least
}

// BadgeCount is a badge with how many unrevoked awards it has.
type BadgeCount struct {
	Badge  Achievement
	Awards int
}

// Leader is one person on the leaderboard.
type Leader struct {
	Handle string
	Awards int // unrevoked awards
}

// PageSource is what the community pages read beyond Source. Lists leave
// revoked awards out.
type PageSource interface {
	// RecentAwards returns the latest awards, newest first.
	RecentAwards(ctx context.Context, limit int) ([]Earner, error)
	// PopularBadges returns the badges with the most awards, most first.
	PopularBadges(ctx context.Context, limit int) ([]BadgeCount, error)
	// Earners returns one page of a badge's awards, newest first, and how
	// many there are in all.
	Earners(ctx context.Context, slug string, offset, limit int) ([]Earner, int, error)
	// Leaderboard returns one page of the people holding the most badges,
	// leaving out those who chose not to be announced, and how many there
	// are in all.
	Leaderboard(ctx context.Context, offset, limit int) ([]Leader, int, error)
}

// Page sizes of the community lists.
const (
	homeListSize = 8
	earnersPage  = 24
	leadersPage  = 50
)

// SetBadgeRules gives the badge pages the rules of each badge in plain
// words (nil: none). Call it before serving.
func (h *Handler) SetBadgeRules(fn func(slug string) []string) { h.rules = fn }

// PersonURL is the public page of the person with the handle.
func (is *Issuer) PersonURL(handle string) string {
	return is.p.BaseURL + "/people/" + url.PathEscape(handle)
}

// NotFound answers any path no route claims: the HTML 404 page to
// browsers, a JSON error to everyone else.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	h.writeError(w, r, http.StatusNotFound, "not found")
}

// Error answers with an error status: the site's HTML error page to
// browsers, {"error", "status"} JSON to API clients.
func (h *Handler) Error(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.writeError(w, r, status, msg)
}

// Home serves GET /: the community, its recent awards and popular badges.
func (h *Handler) Home(w http.ResponseWriter, r *http.Request) {
	v := homePage{pageHead: h.pages.head(h.is.p.Name, h.is.p.Description)}
	v.Name, v.Description = h.is.p.Name, h.is.p.Description
	v.OG = &ogView{Title: h.is.p.Name, Description: h.is.p.Description, URL: h.is.p.BaseURL + "/"}
	for _, pis := range h.is.programs {
		v.Programs = append(v.Programs, *programOf(pis))
	}
	if ps, ok := h.src.(PageSource); ok {
		recent, err := ps.RecentAwards(r.Context(), homeListSize)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		popular, err := ps.PopularBadges(r.Context(), homeListSize)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Recent = h.pages.earners(recent)
		for _, b := range popular {
			bv := h.pages.badge(b.Badge)
			bv.Count = b.Awards
			v.Popular = append(v.Popular, bv)
		}
	}
	h.page(w, r, http.StatusOK, cacheRevocable, "home.html", v)
}

// Leaderboard serves GET /leaderboard: who holds the most badges, 50 a
// page (?page=N).
func (h *Handler) Leaderboard(w http.ResponseWriter, r *http.Request) {
	page, ok := h.pageNumber(w, r)
	if !ok {
		return
	}
	v := leaderboardPage{pageHead: h.pages.head("Leaderboard", "Who holds the most badges from "+h.is.p.Name+".")}
	if ps, ok := h.src.(PageSource); ok {
		leaders, total, err := ps.Leaderboard(r.Context(), (page-1)*leadersPage, leadersPage)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for i, l := range leaders {
			v.Leaders = append(v.Leaders, leaderView{Rank: (page-1)*leadersPage + i + 1, Handle: hideEmails(l.Handle),
				URL: h.is.PersonURL(l.Handle), Awards: l.Awards})
		}
		v.Pager = pager(h.is.p.BaseURL+"/leaderboard", page, leadersPage, total)
	}
	h.page(w, r, http.StatusOK, cacheRevocable, "leaderboard.html", v)
}

// pageNumber reads ?page= (1 when absent); anything but a positive number
// is 400.
func (h *Handler) pageNumber(w http.ResponseWriter, r *http.Request) (int, bool) {
	s := r.URL.Query().Get("page")
	if s == "" {
		return 1, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1_000_000 {
		h.writeError(w, r, http.StatusBadRequest, "page must be a positive number")
		return 0, false
	}
	return n, true
}

// pager links the pages of a list.
func pager(base string, page, size, total int) pagerView {
	p := pagerView{Page: page, Pages: (total + size - 1) / size}
	if page > 1 {
		p.Prev = base + "?page=" + strconv.Itoa(page-1)
	}
	if page*size < total {
		p.Next = base + "?page=" + strconv.Itoa(page+1)
	}
	return p
}

func (p *pages) earners(es []Earner) []earnerView {
	out := make([]earnerView, 0, len(es))
	for _, e := range es {
		out = append(out, earnerView{
			Handle: hideEmails(e.Handle), PersonURL: p.is.PersonURL(e.Handle),
			AwardURL: p.is.AwardURL(e.AwardID), Issued: e.IssuedAt, Badge: p.badge(e.Badge),
		})
	}
	return out
}

// Award statuses the award page shows.
const (
	statusValid    = "valid"
	statusRevoked  = "revoked"
	statusExpired  = "expired"
	statusUnproven = "unverified"
)

// statusView is the verdict the award page shows, and the checks behind it.
type statusView struct {
	State  string
	Checks []Check
}

type statusKey struct {
	id      string
	revoked bool
}

// awardStatus verifies the award's signed credential with the same code
// as `badgebot verify`, against the issuer's own profile, key set and
// current status list (nothing is fetched). The verdict depends only on
// the stored credential and whether the award is revoked, so it is kept.
func (h *Handler) awardStatus(ctx context.Context, a Award) (statusView, error) {
	if len(a.Credential) == 0 {
		if a.Revoked {
			return statusView{State: statusRevoked}, nil
		}
		return statusView{State: statusUnproven}, nil
	}
	return h.statuses.Get(statusKey{a.ID, a.Revoked}, func() (statusView, error) {
		revs, err := h.src.Revocations(ctx)
		if err != nil {
			return statusView{}, err
		}
		n := a.StatusIndex/StatusListSize + 1
		var idx []int
		for _, rv := range revs {
			if rv.StatusIndex/StatusListSize+1 == n {
				idx = append(idx, rv.StatusIndex)
			}
		}
		pis := h.is.issuerOf(a.Program) // a program's award: its profile and lists
		list, err := pis.StatusList(n, idx)
		if err != nil {
			return statusView{}, err
		}
		docs := map[string][]byte{
			pis.IssuerID():       pis.ProfileDocument(),
			h.is.JWKSURL():       h.is.JWKS(),
			pis.StatusListURL(n): list,
		}
		rep, err := h.is.Verify(ctx, a.Credential, VerifyOptions{Docs: docs, Now: h.is.now()})
		if err != nil {
			return statusView{}, fmt.Errorf("issuer: verifying award %q: %w", a.ID, err)
		}
		return statusView{State: verdict(rep, a.Revoked), Checks: rep.Checks}, nil
	})
}

// verdict turns a verification report into the award's status.
func verdict(rep *Report, revoked bool) string {
	if revoked {
		return statusRevoked
	}
	for _, c := range rep.Failed() {
		if c.Name == "status" {
			return statusRevoked
		}
		if c.Name == "dates" && strings.HasPrefix(c.Message, "expired") {
			return statusExpired
		}
	}
	if rep.Valid() {
		return statusValid
	}
	return statusUnproven
}

// linkedInURL is LinkedIn's "add certification to profile" link for an
// award.
func (p *pages) linkedInURL(a Award) string {
	q := url.Values{}
	q.Set("startTask", "CERTIFICATION_NAME")
	q.Set("name", a.Badge.Name)
	q.Set("organizationName", p.is.issuerOf(a.Program).p.Name)
	q.Set("issueYear", strconv.Itoa(a.IssuedAt.UTC().Year()))
	q.Set("issueMonth", strconv.Itoa(int(a.IssuedAt.UTC().Month())))
	q.Set("certUrl", p.is.AwardURL(a.ID))
	q.Set("certId", a.ID)
	return "https://www.linkedin.com/profile/add?" + q.Encode()
}

type homePage struct {
	pageHead
	Name        string
	Description string
	Recent      []earnerView
	Popular     []badgeView
	Programs    []programView
}

type earnerView struct {
	Handle    string
	PersonURL string
	AwardURL  string
	Issued    time.Time
	Badge     badgeView
}

type leaderView struct {
	Rank   int
	Handle string
	URL    string
	Awards int
}

type leaderboardPage struct {
	pageHead
	Leaders []leaderView
	Pager   pagerView
}

type pagerView struct {
	Page, Pages int
	Prev, Next  string
}

// ogView is what the Open Graph and Twitter card tags say.
type ogView struct {
	Type        string // "website" when empty
	Title       string
	Description string
	URL         string
	Image       string
	ImageAlt    string
	Large       bool // a 1200x630 card: twitter:card summary_large_image
}
