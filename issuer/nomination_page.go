package issuer

import (
	"net/http"
	"strconv"
	"time"
)

// Nomination is an approved nomination as its public page shows it: the
// evidence of the award it made. People are named by their public handle.
type Nomination struct {
	ID         int64
	Badge      Achievement
	Nominee    string // handle
	NomineeURL string
	AwardID    string
	Revoked    bool       // the award was revoked since
	Backers    []Endorser // the nominator first, then supporters
	Approvers  []Endorser
	CreatedAt  time.Time
	DecidedAt  time.Time
}

// Endorser is someone who nominated, supported or approved a nomination.
type Endorser struct {
	Name   string // handle, "@ada"
	URL    string // their page; empty: not linked
	Reason string // a backer's own words
	At     time.Time
}

type endorserView struct {
	Name   string
	URL    string
	Reason string
	At     time.Time
}

type nominationPage struct {
	pageHead
	Number     int64
	Badge      badgeView
	Nominee    string
	NomineeURL string
	AwardURL   string
	Revoked    bool
	Nominator  endorserView
	Supporters []endorserView
	Approvers  []endorserView
	Created    time.Time
	Decided    time.Time
}

// NominationPage writes the HTML page of an approved nomination. The
// caller finds it, and answers JSON clients itself.
func (h *Handler) NominationPage(w http.ResponseWriter, r *http.Request, n Nomination) {
	negotiated(w)
	h.page(w, r, http.StatusOK, cacheRevocable, "nomination.html", h.pages.nominationPage(n))
}

func (p *pages) nominationPage(n Nomination) nominationPage {
	nominee := hideEmails(n.Nominee)
	title := "Nomination #" + strconv.FormatInt(n.ID, 10) + ": " + n.Badge.Name + " for " + nominee
	v := nominationPage{
		pageHead:   p.head(title, "Why "+nominee+" was awarded "+n.Badge.Name+" by "+p.is.p.Name+"."),
		Number:     n.ID,
		Badge:      p.badge(n.Badge),
		Nominee:    nominee,
		NomineeURL: n.NomineeURL,
		AwardURL:   p.is.AwardURL(n.AwardID),
		Revoked:    n.Revoked,
		Created:    n.CreatedAt,
		Decided:    n.DecidedAt,
	}
	view := func(e Endorser) endorserView {
		return endorserView{Name: hideEmails(e.Name), URL: e.URL, Reason: hideEmails(e.Reason), At: e.At}
	}
	for i, e := range n.Backers {
		if i == 0 {
			v.Nominator = view(e)
			continue
		}
		v.Supporters = append(v.Supporters, view(e))
	}
	for _, e := range n.Approvers {
		v.Approvers = append(v.Approvers, view(e))
	}
	return v
}
