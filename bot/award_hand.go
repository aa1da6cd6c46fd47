package bot

import (
	"context"
	"strings"
)

// HandAward is an award by hand in chat, as the router parsed it. The
// CLI and the API award as admins, through Service.Award.
type HandAward struct {
	By, To *Party
	Badge  *Badge
	// Named is how the caller named To, for the commands a refusal
	// suggests; "": "@" and To's identity.
	Named     string
	Evidence  []Evidence // a link to the work, if any
	Narrative string
	Via       string // the platform it was typed on
}

// mayAward returns nil when req.By may award req.Badge by hand: an owner
// of it (a program's owners are stored as owners of each of its badges)
// or an admin; a badge that needs more than one approval, only an admin,
// and Service.Award records the override in the audit trail. Otherwise an
// EFORBIDDEN error says why and what to type instead.
func (ns *Nominations) mayAward(req HandAward) error {
	b := req.Badge
	if !ns.MayDecide(req.By, b) {
		return Errorf(EFORBIDDEN, "Only the owners of %s and admins can award it. To suggest %s, type `/badge nominate %s %s REASON`.",
			b.Name, req.To.DisplayName(), req.named(), b.Slug)
	}
	if b.Approvals > 1 && !req.By.In(ns.cfg.Admins) {
		return Errorf(EFORBIDDEN, "%s needs %d approvals, so owners award it by nomination: type `/badge nominate %s %s REASON` and another owner approves. Admins may award it directly.",
			b.Name, b.Approvals, req.named(), b.Slug)
	}
	return nil
}

// named is how the caller named the recipient.
func (req HandAward) named() string {
	if req.Named != "" {
		return req.Named
	}
	return "@" + req.To.Who.String()
}

// AwardByHand awards req.Badge to req.To when req.By may (an owner of it
// or an admin; only an admin when it needs more than one approval), with
// the evidence the caller gave, and queues its announcement.
func (ns *Nominations) AwardByHand(ctx context.Context, req HandAward) (*Award, error) {
	b, me, to := req.Badge, req.By, req.To
	if err := ns.mayAward(req); err != nil {
		return nil, err
	}
	narrative := strings.TrimSpace(req.Narrative)
	if !hasEvidenceURL(req.Evidence) && narrative == "" {
		return nil, Errorf(EINVALID, "Say why %s gets %s, so that the badge shows it: type `/badge award %s %s WHY`, or `/badge award %s %s https://… WHY` with a link to the work.",
			to.DisplayName(), b.Name, req.named(), b.Slug, req.named(), b.Slug)
	}
	if me.Person == nil {
		// The evidence names the awarder by the handle of their person.
		if _, err := ns.cfg.Store.EnsurePerson(ctx, me.Who, me.Name); err != nil {
			return nil, err
		}
	}
	a, err := ns.cfg.Service.Award(ctx, AwardRequest{
		Badge: b.Slug, To: to.Who, ToName: to.Name, Source: SourceManual, By: me.Who.String(), Via: req.Via,
		Evidence: req.Evidence, Narrative: narrative,
	})
	if ErrorCode(err) == ECONFLICT {
		return nil, Errorf(ECONFLICT, "%s already holds %s.", to.DisplayName(), b.Name)
	}
	return a, err
}
