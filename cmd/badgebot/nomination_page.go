package main

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
)

// nominationReads is what the public page of a nomination reads: the
// nomination, the award it made and the people it names (App.reads).
type nominationReads interface {
	Nomination(ctx context.Context, id int64) (*bot.Nomination, error)
	Award(ctx context.Context, id string) (*bot.Award, error)
	PersonByRecipient(ctx context.Context, r bot.Recipient) (*bot.Person, error)
}

// nominationPage serves /nominations/{id}: the public page of an approved
// nomination, which the award it made links as its evidence. A chat
// message's permalink would not do: strangers who verify the badge cannot
// open a Slack or Discord workspace, the console has none, and the review
// message sits in a private review channel. Nominations not approved
// (pending, rejected, expired) are nobody's business: 404.
func (a *App) nominationPage(is *issuer.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		notFound := bot.Errorf(bot.ENOTFOUND, "no such approved nomination")
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			a.writeError(w, r, notFound)
			return
		}
		n, err := a.reads.Nomination(ctx, id)
		if bot.ErrorCode(err) == bot.ENOTFOUND || (err == nil && (n.Status != bot.NominationApproved || n.AwardID == "")) {
			a.writeError(w, r, notFound)
			return
		} else if err != nil {
			a.writeError(w, r, err)
			return
		}
		page, err := a.nominationView(ctx, n)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		if issuer.WantsJSON(r) {
			writeJSON(w, http.StatusOK, toNominationJSON(a.Service, page))
			return
		}
		is.NominationPage(w, r, page)
	}
}

// nominationView names everyone of n by their public handle.
func (a *App) nominationView(ctx context.Context, n *bot.Nomination) (issuer.Nomination, error) {
	base := a.Config.Server.PublicURL
	badge, err := a.Source.Achievement(ctx, n.Badge)
	if err != nil {
		return issuer.Nomination{}, err
	}
	award, err := a.reads.Award(ctx, n.AwardID)
	if err != nil {
		return issuer.Nomination{}, err
	}
	v := issuer.Nomination{ID: n.ID, Badge: badge, AwardID: n.AwardID, Revoked: award.Revoked, CreatedAt: n.CreatedAt, DecidedAt: n.DecidedAt}
	who := func(r bot.Recipient) (name, link string, err error) {
		p, err := a.reads.PersonByRecipient(ctx, r)
		switch bot.ErrorCode(err) {
		case "":
			return "@" + p.Handle, base + "/people/" + url.PathEscape(p.Handle), nil
		case bot.ENOTFOUND:
			return "someone", "", nil
		}
		return "", "", err
	}
	if v.Nominee, v.NomineeURL, err = who(n.Nominee); err != nil {
		return v, err
	}
	for _, e := range n.Backers() {
		// Addresses are refused at input now; a reason stored before that
		// still shows none, on the page and in its JSON alike.
		x := issuer.Endorser{Reason: bot.RedactEmails(e.Reason), At: e.At}
		if x.Name, x.URL, err = who(e.Who); err != nil {
			return v, err
		}
		v.Backers = append(v.Backers, x)
	}
	for _, e := range n.Approvals {
		x := issuer.Endorser{At: e.At}
		if x.Name, x.URL, err = who(e.Who); err != nil {
			return v, err
		}
		v.Approvers = append(v.Approvers, x)
	}
	return v, nil
}

// nominationJSON is the nomination page for machines.
type nominationJSON struct {
	ID         int64          `json:"id"`
	Badge      string         `json:"badge"`
	Nominee    string         `json:"nominee"`
	Award      string         `json:"award"`
	Revoked    bool           `json:"revoked"`
	Nominated  time.Time      `json:"nominated_at"`
	Approved   time.Time      `json:"approved_at"`
	Backers    []endorserJSON `json:"backers"`
	ApprovedBy []endorserJSON `json:"approved_by"`
}

type endorserJSON struct {
	Name   string    `json:"name"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

func toNominationJSON(s *bot.Service, n issuer.Nomination) nominationJSON {
	j := nominationJSON{ID: n.ID, Badge: n.Badge.Slug, Nominee: n.Nominee, Award: s.AwardURL(n.AwardID), Revoked: n.Revoked,
		Nominated: n.CreatedAt.UTC(), Approved: n.DecidedAt.UTC(), Backers: []endorserJSON{}, ApprovedBy: []endorserJSON{}}
	for _, e := range n.Backers {
		j.Backers = append(j.Backers, endorserJSON{Name: e.Name, Reason: e.Reason, At: e.At.UTC()})
	}
	for _, e := range n.Approvers {
		j.ApprovedBy = append(j.ApprovedBy, endorserJSON{Name: e.Name, At: e.At.UTC()})
	}
	return j
}
