package chat

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// decisionSource says where an approval or rejection came from.
type decisionSource struct {
	platform  string
	messageID string // the review message whose button was clicked
	click     bool
}

// refresh returns the review rewrite for m, skipping the clicked message,
// which the click's reply updates.
func (s decisionSource) refresh(m bot.Message, final bool) bot.ReviewRefresh {
	rr := bot.ReviewRefresh{Message: m, Final: final}
	if s.click && s.messageID != "" {
		rr.SkipPlatform, rr.SkipMessageID = s.platform, s.messageID
	}
	return rr
}

// reply returns a private reply, which for a click also replaces the
// clicked message with m.
func (s decisionSource) reply(text bot.Message, m bot.Message) bot.Reply {
	rep := private(text)
	if s.click {
		rep.Update = &m
	}
	return rep
}

// nominate answers `nominate @user SLUG REASON`.
func (r *Router) nominate(ctx context.Context, c bot.Command, p parsedCommand) (bot.Reply, error) {
	nominee, err := r.resolveUser(ctx, c, p.arg(0))
	if err != nil {
		return bot.Reply{}, err
	}
	b, err := r.badge(ctx, p.arg(1))
	if err != nil {
		return bot.Reply{}, err
	}
	if !b.Nominations {
		return bot.Reply{}, bot.Errorf(bot.EFORBIDDEN, "%s is not open to nominations: its rules or its owners award it. Type `/badge show %s` to see how to earn it.", b.Name, b.Slug)
	}
	me, err := r.lookup(ctx, c.Caller, c.CallerName)
	if err != nil {
		return bot.Reply{}, err
	}
	if me.same(nominee) {
		return bot.Reply{}, bot.Errorf(bot.EINVALID, "You can't nominate yourself, but someone else can. Type `/badge progress %s` to see how close you are.", b.Slug)
	}
	reason := strings.TrimSpace(p.rest)
	if len(reason) > bot.MaxReason {
		return bot.Reply{}, bot.Errorf(bot.EINVALID, "That reason is too long: keep it under %d characters.", bot.MaxReason)
	}
	// Before a supporter's reason joins a pending nomination, too.
	if err := bot.NoEmail("The reason", reason); err != nil {
		return bot.Reply{}, err
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if held, err := r.holds(ctx, nominee, b); err != nil {
		return bot.Reply{}, err
	} else if held {
		return bot.Reply{}, bot.Errorf(bot.ECONFLICT, "%s already holds %s.", nominee.displayName(), b.Name)
	}
	pending, err := r.cfg.Store.PendingNomination(ctx, b.Slug, nominee.r)
	switch bot.ErrorCode(err) {
	case "":
		return r.support(ctx, me, pending, b, reason)
	case bot.ENOTFOUND:
	default:
		return bot.Reply{}, err
	}
	limit, err := r.nominationLimit(ctx, me)
	if err != nil {
		return bot.Reply{}, err
	}
	id, err := r.cfg.Store.NextNominationID(ctx)
	if err != nil {
		return bot.Reply{}, err
	}
	n := &bot.Nomination{
		ID: id, Badge: b.Slug,
		Nominee: nominee.r, NomineeName: nominee.name,
		Nominator: me.r, NominatorName: me.name,
		Reason: reason, Platform: c.Platform, Channel: c.Channel,
		Status: bot.NominationPending, CreatedAt: r.now().Truncate(time.Millisecond),
	}
	if err := n.Validate(); err != nil {
		return bot.Reply{}, err
	}
	shown := *n
	shown.NomineeName, shown.NominatorName = nominee.displayName(), me.displayName()
	targets := r.reviewTargets(b)
	if err := r.cfg.Store.CreateNomination(ctx, n, limit, reviewAnnouncements(targets, r.reviewMessage(&shown, b))); err != nil {
		return bot.Reply{}, err
	}
	r.kick()
	m := bot.Message{}
	text := fmt.Sprintf("Thanks! Nomination #%d of %s for %s went to its reviewers; you'll hear back when they decide.", n.ID, mentionKey(&m, nominee), b.Name)
	if len(targets) == 0 {
		text = fmt.Sprintf("Nomination #%d of %s for %s is recorded, but there is no review channel or owner on chat to send it to: an admin can decide with `/badge approve %d`.",
			n.ID, mentionKey(&m, nominee), b.Name, n.ID)
	}
	m.Text = text
	return private(m), nil
}

// support adds the caller as a supporter of a pending nomination of the
// same person for the same badge.
func (r *Router) support(ctx context.Context, me *actor, n *bot.Nomination, b *bot.Badge, reason string) (bot.Reply, error) {
	nominee, _ := nominationActors(n)
	if n.BackedBy(me.r, me.personID()) {
		return bot.Reply{}, bot.Errorf(bot.ECONFLICT, "You nominated or supported %s for %s already (nomination #%d); it is waiting for the reviewers.",
			nominee.displayName(), b.Name, n.ID)
	}
	limit, err := r.nominationLimit(ctx, me)
	if err != nil {
		return bot.Reply{}, err
	}
	s := bot.Endorsement{Who: me.r, Name: me.name, Reason: reason, At: r.now()}
	shown := *n
	shown.Supporters = append(shown.Supporters[:len(shown.Supporters):len(shown.Supporters)], bot.Endorsement{Who: me.r, Name: me.displayName(), Reason: reason, At: s.At})
	if err := r.cfg.Store.AddSupporter(ctx, n.ID, s, limit, bot.ReviewRefresh{Message: r.reviewMessage(&shown, b)}); err != nil {
		return bot.Reply{}, err
	}
	r.kick()
	m := bot.Message{}
	backers := len(shown.Backers())
	m.Text = fmt.Sprintf("%s is already nominated for %s (nomination #%d), so I added your support: %d people back it now.",
		mentionKey(&m, nominee), b.Name, n.ID, backers)
	return private(m), nil
}

// nominationLimit checks the weekly cap for the caller and returns the
// limit the store enforces again when it writes.
func (r *Router) nominationLimit(ctx context.Context, me *actor) (bot.NominationLimit, error) {
	if r.cfg.WeeklyCap <= 0 {
		return bot.NominationLimit{}, nil
	}
	since := r.now().Add(-bot.NominationWeek)
	limit := bot.NominationLimit{Max: r.cfg.WeeklyCap, Since: since}
	if me.person == nil {
		return limit, nil
	}
	n, oldest, err := r.cfg.Store.NominationCount(ctx, me.r, since)
	if err != nil {
		return limit, err
	}
	if n >= r.cfg.WeeklyCap {
		return limit, bot.Errorf(bot.ELIMIT, "You made %d %s in the last 7 days, the most allowed. You can nominate again from %s.",
			n, bot.Plural(n, "nomination", "nominations and supports"), oldest.Add(bot.NominationWeek).UTC().Format("Mon 2 Jan 15:04 UTC"))
	}
	return limit, nil
}

// holds reports whether a holds b and b cannot be held twice.
func (r *Router) holds(ctx context.Context, a *actor, b *bot.Badge) (bool, error) {
	if b.Repeatable || a.person == nil {
		return false, nil
	}
	held, err := r.cfg.Store.Awards(ctx, bot.AwardFilter{Badge: b.Slug, PersonID: a.person.ID, Revoked: new(false), Limit: 1})
	return len(held) > 0, err
}

// openNomination loads a nomination and its badge for a decision. A
// pending nomination past its expiry is expired first. stale is set when
// it is decided already: the reply says so (and, for a click, refreshes
// the clicked message).
func (r *Router) openNomination(ctx context.Context, id int64, src decisionSource) (n *bot.Nomination, b *bot.Badge, stale *bot.Reply, err error) {
	n, err = r.cfg.Store.Nomination(ctx, id)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil, nil, nil, bot.Errorf(bot.ENOTFOUND, "There is no nomination #%d. The number is on the nomination's review message.", id)
	} else if err != nil {
		return nil, nil, nil, err
	}
	if b, err = r.cfg.Store.Badge(ctx, n.Badge); err != nil {
		return nil, nil, nil, err
	}
	if n.Status == bot.NominationPending && !r.now().Before(n.CreatedAt.Add(r.cfg.Expiry)) {
		if err := r.expire(ctx, n, b, r.now()); err != nil && bot.ErrorCode(err) != bot.ECONFLICT {
			return nil, nil, nil, err
		}
		r.kick()
		if n, err = r.cfg.Store.Nomination(ctx, id); err != nil {
			return nil, nil, nil, err
		}
	}
	if n.Status == bot.NominationPending {
		return n, b, nil, nil
	}
	var by *actor
	if rc, err := bot.ParseRecipient(n.DecidedBy); err == nil {
		if by, err = r.lookup(ctx, rc, ""); err != nil {
			return nil, nil, nil, err
		}
	}
	decided := r.decidedMessage(n, b, by)
	already := bot.Message{Text: fmt.Sprintf("Nomination #%d was %s already", n.ID, n.Status)}
	if by != nil {
		already.Text += " by " + mentionKey(&already, by)
	}
	already.Text += " on " + n.DecidedAt.Format("2006-01-02") + "; there is nothing left to decide."
	rep := src.reply(already, decided)
	return nil, nil, &rep, nil
}

// decider checks that a may approve or reject n.
func (r *Router) decider(ctx context.Context, who bot.Recipient, name string, n *bot.Nomination, b *bot.Badge, verb string) (*actor, error) {
	me, err := r.lookup(ctx, who, name)
	if err != nil {
		return nil, err
	}
	if !r.mayDecide(me, b) {
		return nil, bot.Errorf(bot.EFORBIDDEN, "Only the owners of %s and admins can %s its nominations.", b.Name, verb)
	}
	return me, nil
}

// approve records an approval of nomination id; the last one needed
// awards the badge.
func (r *Router) approve(ctx context.Context, who bot.Recipient, name string, id int64, src decisionSource) (bot.Reply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, b, stale, err := r.openNomination(ctx, id, src)
	if err != nil || stale != nil {
		return deref(stale), err
	}
	me, err := r.decider(ctx, who, name, n, b, "approve")
	if err != nil {
		return bot.Reply{}, err
	}
	nominee, _ := nominationActors(n)
	switch {
	case who == n.Nominee || (me.personID() != 0 && me.personID() == n.NomineePersonID):
		return bot.Reply{}, bot.Errorf(bot.EFORBIDDEN, "You can't approve your own nomination; another owner or an admin has to.")
	case n.BackedBy(me.r, me.personID()):
		return bot.Reply{}, bot.Errorf(bot.EFORBIDDEN, "You nominated or supported %s for this badge, so another owner or an admin has to approve it.", nominee.displayName())
	case n.ApprovedBy(me.r, me.personID()):
		return bot.Reply{}, bot.Errorf(bot.ECONFLICT, "You approved nomination #%d already; it needs %d more from another owner or an admin.",
			n.ID, max(b.Approvals, 1)-len(n.Approvals))
	}
	now := r.now()
	shown := *n
	shown.Approvals = append(shown.Approvals[:len(n.Approvals):len(n.Approvals)], bot.Endorsement{Who: me.r, Name: me.displayName(), PersonID: me.personID(), At: now})
	if need := max(b.Approvals, 1); len(shown.Approvals) < need {
		review := r.reviewMessage(&shown, b)
		if err := r.cfg.Store.AddApproval(ctx, n.ID, bot.Endorsement{Who: me.r, Name: me.name, At: now}, src.refresh(review, false)); err != nil {
			return bot.Reply{}, err
		}
		r.kick()
		left := need - len(shown.Approvals)
		return src.reply(bot.Message{Text: fmt.Sprintf("Approved. Nomination #%d has %d of %d approvals; it needs %d more from another owner or an admin.",
			n.ID, len(shown.Approvals), need, left)}, review), nil
	}
	return r.finishApproval(ctx, &shown, b, me, now, src)
}

// finishApproval awards the badge of an approved nomination and records
// the decision.
func (r *Router) finishApproval(ctx context.Context, n *bot.Nomination, b *bot.Badge, me *actor, now time.Time, src decisionSource) (bot.Reply, error) {
	nominee, _ := nominationActors(n)
	a, err := r.nominationAward(ctx, n)
	if err != nil {
		return bot.Reply{}, err
	}
	if a == nil {
		// The evidence links the nomination's page and names the people
		// behind it by handle: signed text never holds a chat display
		// name that might be an address, nor an opaque platform id.
		names, err := r.publicNames(ctx, n.Backers())
		if err != nil {
			return bot.Reply{}, err
		}
		approvers, err := r.publicNames(ctx, n.Approvals)
		if err != nil {
			return bot.Reply{}, err
		}
		narrative := fmt.Sprintf("Nominated by %s: %s", names[0], sentence(n.Reason))
		if len(names) > 1 {
			narrative += fmt.Sprintf(" Supported by %s.", strings.Join(names[1:], ", "))
		}
		narrative += fmt.Sprintf(" Approved by %s.", strings.Join(approvers, ", "))
		a, err = r.cfg.Service.Award(ctx, bot.AwardRequest{
			Badge: b.Slug, To: n.Nominee, ToName: n.NomineeName,
			Source: bot.SourceNomination, SourceRef: strconv.FormatInt(n.ID, 10), By: me.r.String(), At: now,
			Evidence: []bot.Evidence{{
				URL:  r.cfg.Service.NominationURL(n.ID),
				Name: fmt.Sprintf("Nomination #%d", n.ID), Narrative: narrative, Genre: "Nomination",
			}},
			Narrative: narrative,
		})
		if bot.ErrorCode(err) == bot.ECONFLICT {
			return bot.Reply{}, bot.Errorf(bot.ECONFLICT, "%s holds %s already. Type `/badge reject %d already holds it` to close this nomination.",
				nominee.displayName(), b.Name, n.ID)
		} else if err != nil {
			return bot.Reply{}, err
		}
	}
	n.Status, n.DecidedAt, n.DecidedBy, n.AwardID = bot.NominationApproved, now, me.r.String(), a.ID
	decided := r.decidedMessage(n, b, me)
	d := &bot.NominationDecision{
		ID: n.ID, Status: bot.NominationApproved, By: me.r, ByName: me.name, At: now,
		AwardID: a.ID, Approve: true,
		Event: &bot.Event{
			Source: bot.SourceNominationEvent, Kind: bot.EventNominationApproved,
			Key:   "nomination/" + strconv.FormatInt(n.ID, 10),
			Actor: n.Nominee, ActorName: n.NomineeName,
			URL: r.cfg.Service.AwardURL(a.ID), Title: "Nominated for " + b.Name,
			OccurredAt: now, ReceivedAt: now,
		},
		Review:  src.refresh(decided, true),
		Notices: r.notices(n, b),
	}
	if err := r.cfg.Store.DecideNomination(ctx, d); err != nil {
		// The award stands; approving again finds it (nominationAward)
		// and records the decision then.
		return bot.Reply{}, fmt.Errorf("router: nomination %d awarded as %s but not recorded: %w", n.ID, a.ID, err)
	}
	// Rules may count approved nominations; what they award is announced
	// with the rest.
	if r.cfg.Rules != nil && d.Event.ID != 0 {
		if err := r.cfg.Rules.OnEvents(ctx, []bot.Event{*d.Event}); err != nil {
			r.cfg.Log.Error("router: rules on nomination.approved", "nomination", n.ID, "err", err)
		}
	}
	r.kick()
	m := bot.Message{Link: r.cfg.Service.AwardURL(a.ID)}
	m.Text = fmt.Sprintf("Approved: %s now holds %s (award %s). The announcement is on its way.", mentionKey(&m, nominee), b.Name, a.ID)
	return src.reply(m, decided), nil
}

// nominationAward finds an award made for n before its decision was
// recorded (a crash or a store error in between), so that approving again
// does not award twice.
func (r *Router) nominationAward(ctx context.Context, n *bot.Nomination) (*bot.Award, error) {
	as, err := r.cfg.Store.Awards(ctx, bot.AwardFilter{Badge: n.Badge, Recipient: n.Nominee, Revoked: new(false)})
	if err != nil {
		return nil, err
	}
	ref := strconv.FormatInt(n.ID, 10)
	for _, a := range as {
		if a.Source == bot.SourceNomination && a.SourceRef == ref {
			return a, nil
		}
	}
	return nil, nil
}

// reject rejects nomination id; the nominator is told, with the reason.
func (r *Router) reject(ctx context.Context, who bot.Recipient, name string, id int64, reason string, src decisionSource) (bot.Reply, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > bot.MaxReason {
		return bot.Reply{}, bot.Errorf(bot.EINVALID, "That reason is too long: keep it under %d characters.", bot.MaxReason)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n, b, stale, err := r.openNomination(ctx, id, src)
	if err != nil || stale != nil {
		return deref(stale), err
	}
	me, err := r.decider(ctx, who, name, n, b, "reject")
	if err != nil {
		return bot.Reply{}, err
	}
	now := r.now()
	n.Status, n.DecidedAt, n.DecidedBy, n.DecisionReason = bot.NominationRejected, now, me.r.String(), reason
	decided := r.decidedMessage(n, b, me)
	err = r.cfg.Store.DecideNomination(ctx, &bot.NominationDecision{
		ID: n.ID, Status: bot.NominationRejected, By: me.r, ByName: me.name, At: now, Reason: reason,
		Review: src.refresh(decided, true), Notices: r.notices(n, b),
	})
	if err != nil {
		return bot.Reply{}, err
	}
	r.kick()
	_, nominator := nominationActors(n)
	m := bot.Message{}
	text := fmt.Sprintf("Rejected nomination #%d. I'll tell %s", n.ID, mentionKey(&m, nominator))
	if reason != "" {
		text += ", with your reason."
	} else {
		text += fmt.Sprintf(". Next time, `/badge reject %d REASON` tells them why.", n.ID)
	}
	m.Text = text
	return src.reply(m, decided), nil
}

// ExpireNominations expires the nominations pending longer than the
// expiry and tells their nominators; the scheduler calls it. It returns
// how many it expired.
func (r *Router) ExpireNominations(ctx context.Context, now time.Time) (int, error) {
	ctx = bot.WithOrigin(ctx, bot.Origin{By: "badgebot", Via: bot.ViaSchedule})
	r.mu.Lock()
	defer r.mu.Unlock()
	ns, err := r.cfg.Store.Nominations(ctx, bot.NominationFilter{Status: bot.NominationPending, CreatedBefore: now.Add(-r.cfg.Expiry).Add(time.Millisecond)})
	if err != nil {
		return 0, err
	}
	done := 0
	for _, n := range ns {
		b, err := r.cfg.Store.Badge(ctx, n.Badge)
		if err != nil {
			return done, err
		}
		switch err := r.expire(ctx, n, b, now); bot.ErrorCode(err) {
		case "":
			done++
		case bot.ECONFLICT: // decided meanwhile
		default:
			return done, err
		}
	}
	if done > 0 {
		r.kick()
	}
	return done, nil
}

// expire ends one pending nomination as expired.
func (r *Router) expire(ctx context.Context, n *bot.Nomination, b *bot.Badge, now time.Time) error {
	e := *n
	e.Status, e.DecidedAt, e.DecidedBy = bot.NominationExpired, now, "badgebot"
	return r.cfg.Store.DecideNomination(ctx, &bot.NominationDecision{
		ID: n.ID, Status: bot.NominationExpired, At: now,
		Review:  bot.ReviewRefresh{Message: r.decidedMessage(&e, b, nil), Final: true},
		Notices: r.notices(&e, b),
	})
}

// publicNames names each endorser by the public handle of their person
// ("@ada"), as the people pages do.
func (r *Router) publicNames(ctx context.Context, es []bot.Endorsement) ([]string, error) {
	out := make([]string, 0, len(es))
	for _, e := range es {
		a, err := r.lookup(ctx, e.Who, e.Name)
		if err != nil {
			return nil, err
		}
		if a.person == nil {
			// An owner approving for the first time has no person yet;
			// the decision would make one, too late for the evidence.
			if a.person, err = r.cfg.Store.EnsurePerson(ctx, e.Who, e.Name); err != nil {
				return nil, err
			}
		}
		out = append(out, a.publicName())
	}
	return out, nil
}

// publicName is "@handle" of the actor's person; without a person, a
// GitHub login or the display name, and never an e-mail address.
func (a *actor) publicName() string {
	switch {
	case a.person != nil:
		return "@" + a.person.Handle
	case a.r.Platform == bot.PlatformGitHub:
		return "@" + a.r.ID
	case a.name != "" && !strings.Contains(a.name, "@"):
		return a.name
	}
	return "someone"
}

// sentence ends s with a full stop unless it ends in punctuation.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?") {
		return s
	}
	return s + "."
}

func deref(r *bot.Reply) bot.Reply {
	if r == nil {
		return bot.Reply{}
	}
	return *r
}
