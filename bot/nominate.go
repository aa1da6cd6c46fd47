package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// NominationView writes the messages of the nomination flow, which the
// store queues with each change; the chat router provides it.
type NominationView interface {
	// ReviewMessage is what the badge's reviewers see of a pending n.
	ReviewMessage(n *Nomination, b *Badge) Message
	// DecidedMessage replaces the review once n is decided; by is who
	// decided (nil for an expiry).
	DecidedMessage(n *Nomination, b *Badge, by *Party) Message
	// Notices tell the nominator how n ended.
	Notices(n *Nomination, b *Badge) []Announcement
	// ReviewTargets are where the nominations of b are reviewed.
	ReviewTargets(b *Badge) []Target
}

// NominationsStore is what the nominations service reads and writes.
type NominationsStore interface {
	BadgeStore
	PersonStore
	NominationStore
	Awards(ctx context.Context, f AwardFilter) ([]*Award, error)
}

// NominationsConfig is what the nominations service needs.
type NominationsConfig struct {
	Service *Service         // awards approved nominations; required
	Store   NominationsStore // required
	View    NominationView   // required
	// Rules counts approved nominations (nomination.approved events); nil:
	// no automatic rules.
	Rules *Rules
	// Admins may decide every nomination.
	Admins []Recipient
	// WeeklyCap is how many nominations and supports one person may make
	// in 7 days; 0: no cap.
	WeeklyCap int
	// Expiry is how long a nomination waits for a decision; 0:
	// DefaultNominationExpiry.
	Expiry time.Duration
	// Kick, when set, is called after announcements were queued.
	Kick func()
	Now  func() time.Time
	Log  *slog.Logger
}

// Nominations is the nomination flow (DESIGN §5): nominate, support,
// approve, reject and expire. Its rules hold across processes and
// replicas because the store enforces them in its transactions: one
// pending nomination per nominee and badge, the weekly cap, distinct
// supporters and approvers, the badge's approvals counted against the
// count the approver saw, the deciding approval stored with its award,
// and a decided nomination never decided again. A write refused because
// another came first is retried on a fresh read, which then says what
// happened. Its methods are safe for concurrent use.
type Nominations struct {
	cfg NominationsConfig
}

// NewNominations returns the nominations service.
func NewNominations(cfg NominationsConfig) *Nominations {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = DefaultNominationExpiry
	}
	return &Nominations{cfg: cfg}
}

// attempts bounds the retries of a write another one overtook.
const attempts = 5

func (ns *Nominations) now() time.Time {
	if ns.cfg.Now != nil {
		return ns.cfg.Now().UTC()
	}
	return time.Now().UTC()
}

func (ns *Nominations) kick() {
	if ns.cfg.Kick != nil {
		ns.cfg.Kick()
	}
}

// Expiry is how long a nomination waits for a decision.
func (ns *Nominations) Expiry() time.Duration { return ns.cfg.Expiry }

// MayDecide reports whether a may approve and reject the nominations of b
// (and award b by hand, AwardByHand): an admin or an owner.
func (ns *Nominations) MayDecide(a *Party, b *Badge) bool {
	return a.In(ns.cfg.Admins) || a.In(b.Owners)
}

// Party returns the party of an identity, with its person when known.
func (ns *Nominations) Party(ctx context.Context, who Recipient, name string) (*Party, error) {
	a := &Party{Who: who, Name: strings.TrimSpace(name)}
	p, err := ns.cfg.Store.PersonByRecipient(ctx, who)
	switch ErrorCode(err) {
	case "":
		a.Person = p
	case ENOTFOUND:
	default:
		return nil, err
	}
	return a, nil
}

// NominateRequest is a nomination as the router parsed it.
type NominateRequest struct {
	By, Nominee *Party
	Badge       *Badge
	Reason      string
	Platform    string // where it was made
	Channel     string
}

// NominateResult says what a nomination did.
type NominateResult struct {
	Nomination *Nomination
	// Supported is set when the nominee had a pending nomination for the
	// badge already: the caller now supports it, one of Backers.
	Supported bool
	Backers   int
	// Reviewed is set when the nomination went to reviewers (a review
	// channel or an owner on chat).
	Reviewed bool
}

// Nominate nominates req.Nominee for req.Badge, or, when they have a
// pending nomination for it already, adds the caller's support.
func (ns *Nominations) Nominate(ctx context.Context, req NominateRequest) (*NominateResult, error) {
	b, me, nominee := req.Badge, req.By, req.Nominee
	if !b.Nominations {
		return nil, Errorf(EFORBIDDEN, "%s is not open to nominations: its rules or its owners award it. Type `/badge show %s` to see how to earn it.", b.Name, b.Slug)
	}
	if me.Same(nominee) {
		return nil, Errorf(EINVALID, "You can't nominate yourself, but someone else can. Type `/badge progress %s` to see how close you are.", b.Slug)
	}
	reason := strings.TrimSpace(req.Reason)
	if len(reason) > MaxReason {
		return nil, Errorf(EINVALID, "That reason is too long: keep it under %d characters.", MaxReason)
	}
	// Before a supporter's reason joins a pending nomination, too.
	if err := NoEmail("The reason", reason); err != nil {
		return nil, err
	}
	var err error
	for range attempts {
		var res *NominateResult
		res, err = ns.nominateOnce(ctx, req, reason)
		if ErrorCode(err) != ECONFLICT || res != nil {
			return res, err
		}
		// Another write came first (a nomination of the same nominee, a
		// decision, an award): read again.
	}
	return nil, err
}

// nominateOnce tries once; a conflict the store found returns a nil
// result with ECONFLICT, to read again.
func (ns *Nominations) nominateOnce(ctx context.Context, req NominateRequest, reason string) (*NominateResult, error) {
	b, me, nominee := req.Badge, req.By, req.Nominee
	if held, err := ns.holds(ctx, nominee, b); err != nil {
		return nil, err
	} else if held {
		return &NominateResult{}, Errorf(ECONFLICT, "%s already holds %s.", nominee.DisplayName(), b.Name)
	}
	pending, err := ns.cfg.Store.PendingNomination(ctx, b.Slug, nominee.Who)
	switch ErrorCode(err) {
	case "":
		return ns.support(ctx, me, pending, b, reason)
	case ENOTFOUND:
	default:
		return nil, err
	}
	limit, err := ns.limit(ctx, me)
	if err != nil {
		return &NominateResult{}, err
	}
	id, err := ns.cfg.Store.NextNominationID(ctx)
	if err != nil {
		return nil, err
	}
	n := &Nomination{
		ID: id, Badge: b.Slug,
		Nominee: nominee.Who, NomineeName: nominee.Name,
		Nominator: me.Who, NominatorName: me.Name,
		Reason: reason, Platform: req.Platform, Channel: req.Channel,
		Status: NominationPending, CreatedAt: ns.now().Truncate(time.Millisecond),
	}
	if err := n.Validate(); err != nil {
		return &NominateResult{}, err
	}
	shown := *n
	shown.NomineeName, shown.NominatorName = nominee.DisplayName(), me.DisplayName()
	targets := ns.cfg.View.ReviewTargets(b)
	if err := ns.cfg.Store.CreateNomination(ctx, n, limit, reviewAnnouncements(targets, ns.cfg.View.ReviewMessage(&shown, b))); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return nil, err
		}
		return &NominateResult{}, err
	}
	ns.kick()
	return &NominateResult{Nomination: n, Backers: 1, Reviewed: len(targets) > 0}, nil
}

// support adds me as a supporter of the pending nomination n.
func (ns *Nominations) support(ctx context.Context, me *Party, n *Nomination, b *Badge, reason string) (*NominateResult, error) {
	nominee := &Party{Who: n.Nominee, Name: n.NomineeName}
	if n.BackedBy(me.Who, me.PersonID()) {
		return &NominateResult{}, Errorf(ECONFLICT, "You nominated or supported %s for %s already (nomination #%d); it is waiting for the reviewers.",
			nominee.DisplayName(), b.Name, n.ID)
	}
	limit, err := ns.limit(ctx, me)
	if err != nil {
		return &NominateResult{}, err
	}
	s := Endorsement{Who: me.Who, Name: me.Name, Reason: reason, At: ns.now()}
	shown := *n
	shown.Supporters = append(shown.Supporters[:len(shown.Supporters):len(shown.Supporters)], Endorsement{Who: me.Who, Name: me.DisplayName(), Reason: reason, At: s.At})
	if err := ns.cfg.Store.AddSupporter(ctx, n.ID, s, limit, ReviewRefresh{Message: ns.cfg.View.ReviewMessage(&shown, b)}); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return nil, err // decided meanwhile, or backed by a linked identity: read again
		}
		return &NominateResult{}, err
	}
	ns.kick()
	return &NominateResult{Nomination: &shown, Supported: true, Backers: len(shown.Backers())}, nil
}

// limit checks the weekly cap for me and returns the limit the store
// enforces again when it writes.
func (ns *Nominations) limit(ctx context.Context, me *Party) (NominationLimit, error) {
	if ns.cfg.WeeklyCap <= 0 {
		return NominationLimit{}, nil
	}
	since := ns.now().Add(-NominationWeek)
	limit := NominationLimit{Max: ns.cfg.WeeklyCap, Since: since}
	if me.Person == nil {
		return limit, nil
	}
	n, oldest, err := ns.cfg.Store.NominationCount(ctx, me.Who, since)
	if err != nil {
		return limit, err
	}
	if n >= ns.cfg.WeeklyCap {
		return limit, Errorf(ELIMIT, "You made %d %s in the last 7 days, the most allowed. You can nominate again from %s.",
			n, Plural(n, "nomination", "nominations and supports"), oldest.Add(NominationWeek).UTC().Format("Mon 2 Jan 15:04 UTC"))
	}
	return limit, nil
}

// holds reports whether a holds b and b cannot be held twice.
func (ns *Nominations) holds(ctx context.Context, a *Party, b *Badge) (bool, error) {
	if b.Repeatable || a.Person == nil {
		return false, nil
	}
	held, err := ns.cfg.Store.Awards(ctx, AwardFilter{Badge: b.Slug, PersonID: a.Person.ID, Revoked: new(false), Limit: 1})
	return len(held) > 0, err
}

// DecideRequest is an approval or a rejection.
type DecideRequest struct {
	By     Recipient
	ByName string
	ID     int64
	Reason string // a rejection's reason
	// SkipPlatform and SkipMessageID name the review message a button
	// was pressed on: the click's reply updates it, the outbox does not.
	SkipPlatform, SkipMessageID string
}

func (r DecideRequest) refresh(m Message, final bool) ReviewRefresh {
	return ReviewRefresh{Message: m, Final: final, SkipPlatform: r.SkipPlatform, SkipMessageID: r.SkipMessageID}
}

// Decision says what an approval or a rejection did.
type Decision struct {
	Nomination *Nomination // as it now stands
	Badge      *Badge
	By         *Party // the caller; for Already, who decided (nil: expired)
	// Already is set when the nomination was decided before: nothing
	// changed.
	Already bool
	// Message is the review as it now reads (pending or decided).
	Message Message
	// Award is the award an approval made.
	Award *Award
	// Have and Need count the approvals of a nomination still pending.
	Have, Need int
}

// open loads a nomination and its badge for a decision. A pending
// nomination past its expiry is expired first. A decided one comes back
// as Already.
func (ns *Nominations) open(ctx context.Context, id int64) (*Decision, error) {
	n, err := ns.cfg.Store.Nomination(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(ENOTFOUND, "There is no nomination #%d. The number is on the nomination's review message.", id)
	} else if err != nil {
		return nil, err
	}
	b, err := ns.cfg.Store.Badge(ctx, n.Badge)
	if err != nil {
		return nil, err
	}
	if n.Status == NominationPending && !ns.now().Before(n.CreatedAt.Add(ns.cfg.Expiry)) {
		if err := ns.expire(ctx, n, b, ns.now()); err != nil && ErrorCode(err) != ECONFLICT {
			return nil, err
		}
		ns.kick()
		if n, err = ns.cfg.Store.Nomination(ctx, id); err != nil {
			return nil, err
		}
	}
	d := &Decision{Nomination: n, Badge: b}
	if n.Status == NominationPending {
		return d, nil
	}
	d.Already = true
	if rc, err := ParseRecipient(n.DecidedBy); err == nil {
		if d.By, err = ns.Party(ctx, rc, ""); err != nil {
			return nil, err
		}
	}
	d.Message = ns.cfg.View.DecidedMessage(n, b, d.By)
	return d, nil
}

// decider checks that who may approve or reject the nomination of d.
func (ns *Nominations) decider(ctx context.Context, req DecideRequest, b *Badge, verb string) (*Party, error) {
	me, err := ns.Party(ctx, req.By, req.ByName)
	if err != nil {
		return nil, err
	}
	if !ns.MayDecide(me, b) {
		return nil, Errorf(EFORBIDDEN, "Only the owners of %s and admins can %s its nominations.", b.Name, verb)
	}
	return me, nil
}

// Approve records an approval of nomination req.ID by an owner of its
// badge or an admin, each person once and none who backs it. The
// approval that makes the badge's approvals (owners' and admins' alike)
// awards the badge and decides the nomination, together.
func (ns *Nominations) Approve(ctx context.Context, req DecideRequest) (*Decision, error) {
	var err error
	for range attempts {
		var d *Decision
		d, err = ns.approveOnce(ctx, req)
		if ErrorCode(err) != ECONFLICT || d != nil {
			return d, err
		}
	}
	return nil, err
}

func (ns *Nominations) approveOnce(ctx context.Context, req DecideRequest) (*Decision, error) {
	d, err := ns.open(ctx, req.ID)
	if err != nil || d.Already {
		return d, err
	}
	n, b := d.Nomination, d.Badge
	me, err := ns.decider(ctx, req, b, "approve")
	if err != nil {
		return d, err
	}
	d.By = me
	nominee := &Party{Who: n.Nominee, Name: n.NomineeName}
	d.Need = max(b.Approvals, 1)
	switch {
	case req.By == n.Nominee || (me.PersonID() != 0 && me.PersonID() == n.NomineePersonID):
		return d, Errorf(EFORBIDDEN, "You can't approve your own nomination; another owner or an admin has to.")
	case n.BackedBy(me.Who, me.PersonID()):
		return d, Errorf(EFORBIDDEN, "You nominated or supported %s for this badge, so another owner or an admin has to approve it.", nominee.DisplayName())
	case n.ApprovedBy(me.Who, me.PersonID()):
		return d, Errorf(ECONFLICT, "You approved nomination #%d already; it needs %d more from another owner or an admin.",
			n.ID, d.Need-len(n.Approvals))
	}
	now := ns.now()
	seen := len(n.Approvals)
	shown := *n
	shown.Approvals = append(shown.Approvals[:seen:seen], Endorsement{Who: me.Who, Name: me.DisplayName(), PersonID: me.PersonID(), At: now})
	d.Nomination, d.Have = &shown, len(shown.Approvals)
	if d.Have < d.Need {
		d.Message = ns.cfg.View.ReviewMessage(&shown, b)
		if err := ns.cfg.Store.AddApproval(ctx, n.ID, Endorsement{Who: me.Who, Name: me.Name, At: now}, seen, d.Need, req.refresh(d.Message, false)); err != nil {
			if ErrorCode(err) == ECONFLICT {
				return nil, err // another approval or a decision came first: read again
			}
			return d, err
		}
		ns.kick()
		return d, nil
	}
	return ns.finishApproval(ctx, d, req, now)
}

// finishApproval awards the badge of the nomination d approves and
// records the decision, in one transaction.
func (ns *Nominations) finishApproval(ctx context.Context, d *Decision, req DecideRequest, now time.Time) (*Decision, error) {
	n, b, me := d.Nomination, d.Badge, d.By
	nominee := &Party{Who: n.Nominee, Name: n.NomineeName}
	dec := &NominationDecision{
		ID: n.ID, Status: NominationApproved, By: me.Who, ByName: me.Name, At: now,
		Approve: true, Need: d.Need,
		Event: &Event{
			Source: SourceNominationEvent, Kind: EventNominationApproved,
			Key:   "nomination/" + strconv.FormatInt(n.ID, 10),
			Actor: n.Nominee, ActorName: n.NomineeName,
			Title:      "Nominated for " + b.Name,
			OccurredAt: now, ReceivedAt: now,
		},
	}
	// What the messages say once it is decided; the award's id is filled
	// in below.
	decided := func(awardID string) {
		n.Status, n.DecidedAt, n.DecidedBy, n.AwardID = NominationApproved, now, me.Who.String(), awardID
		d.Message = ns.cfg.View.DecidedMessage(n, b, me)
		dec.Review, dec.Notices = req.refresh(d.Message, true), ns.cfg.View.Notices(n, b)
	}
	a, err := ns.nominationAward(ctx, n)
	if err != nil {
		return d, err
	}
	if a != nil {
		// Awarded before this release recorded award and decision
		// together: record the decision now.
		decided(a.ID)
		dec.AwardID, dec.Event.URL = a.ID, ns.cfg.Service.AwardURL(a.ID)
		if err := ns.cfg.Store.DecideNomination(ctx, dec); err != nil {
			if ErrorCode(err) == ECONFLICT {
				return nil, err
			}
			return d, err
		}
	} else {
		req, err := ns.awardRequest(ctx, n, b, me, now)
		if err != nil {
			return d, err
		}
		if held, err := ns.holds(ctx, nominee, b); err != nil {
			return d, err
		} else if held {
			return d, Errorf(ECONFLICT, "%s holds %s already. Type `/badge reject %d already holds it` to close this nomination.",
				nominee.DisplayName(), b.Name, n.ID)
		}
		// The award's id is made as it is signed; the messages name it.
		var awarded *Award
		awarded, err = ns.cfg.Service.awardWith(ctx, req, b, false, true, func(x *Award, out []Announcement) error {
			decided(x.ID)
			dec.AwardID, dec.Event.URL = x.ID, ns.cfg.Service.AwardURL(x.ID)
			return ns.cfg.Store.ApproveNomination(ctx, dec, x, b.Repeatable, out)
		})
		if err != nil {
			if ErrorCode(err) == ECONFLICT {
				return nil, err // decided meanwhile, or the badge awarded: read again
			}
			return d, err
		}
		a = awarded
	}
	d.Award, d.Have = a, len(n.Approvals)
	// Rules may count approved nominations; what they award is announced
	// with the rest.
	if ns.cfg.Rules != nil && dec.Event.ID != 0 {
		if err := ns.cfg.Rules.OnEvents(ctx, []Event{*dec.Event}); err != nil {
			ns.cfg.Log.Error("nominations: rules on nomination.approved", "nomination", n.ID, "err", err)
		}
	}
	ns.kick()
	return d, nil
}

// awardRequest is the award an approved nomination makes. The evidence
// links the nomination's page and names the people behind it by handle:
// signed text never holds a chat display name that might be an address,
// nor an opaque platform id.
func (ns *Nominations) awardRequest(ctx context.Context, n *Nomination, b *Badge, me *Party, now time.Time) (AwardRequest, error) {
	names, err := ns.publicNames(ctx, n.Backers())
	if err != nil {
		return AwardRequest{}, err
	}
	approvers, err := ns.publicNames(ctx, n.Approvals)
	if err != nil {
		return AwardRequest{}, err
	}
	narrative := fmt.Sprintf("Nominated by %s: %s", names[0], sentence(n.Reason))
	if len(names) > 1 {
		narrative += fmt.Sprintf(" Supported by %s.", strings.Join(names[1:], ", "))
	}
	narrative += fmt.Sprintf(" Approved by %s.", strings.Join(approvers, ", "))
	req := AwardRequest{
		Badge: b.Slug, To: n.Nominee, ToName: n.NomineeName,
		Source: SourceNomination, SourceRef: strconv.FormatInt(n.ID, 10), By: me.Who.String(), At: now,
		Evidence: []Evidence{{
			URL:  ns.cfg.Service.NominationURL(n.ID),
			Name: fmt.Sprintf("Nomination #%d", n.ID), Narrative: narrative, Genre: "Nomination",
		}},
		Narrative: narrative,
	}
	req.redactEmails()
	return req, req.Validate()
}

// nominationAward finds an award made for n whose decision was not
// recorded (before award and decision were one transaction), so that
// approving again does not award twice.
func (ns *Nominations) nominationAward(ctx context.Context, n *Nomination) (*Award, error) {
	as, err := ns.cfg.Store.Awards(ctx, AwardFilter{Badge: n.Badge, Recipient: n.Nominee, Revoked: new(false)})
	if err != nil {
		return nil, err
	}
	ref := strconv.FormatInt(n.ID, 10)
	for _, a := range as {
		if a.Source == SourceNomination && a.SourceRef == ref {
			return a, nil
		}
	}
	return nil, nil
}

// Reject rejects nomination req.ID; the nominator is told, with the
// reason.
func (ns *Nominations) Reject(ctx context.Context, req DecideRequest) (*Decision, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	if len(req.Reason) > MaxReason {
		return nil, Errorf(EINVALID, "That reason is too long: keep it under %d characters.", MaxReason)
	}
	var err error
	for range attempts {
		var d *Decision
		d, err = ns.rejectOnce(ctx, req)
		if ErrorCode(err) != ECONFLICT || d != nil {
			return d, err
		}
	}
	return nil, err
}

func (ns *Nominations) rejectOnce(ctx context.Context, req DecideRequest) (*Decision, error) {
	d, err := ns.open(ctx, req.ID)
	if err != nil || d.Already {
		return d, err
	}
	n, b := d.Nomination, d.Badge
	me, err := ns.decider(ctx, req, b, "reject")
	if err != nil {
		return d, err
	}
	d.By = me
	now := ns.now()
	n.Status, n.DecidedAt, n.DecidedBy, n.DecisionReason = NominationRejected, now, me.Who.String(), req.Reason
	d.Message = ns.cfg.View.DecidedMessage(n, b, me)
	err = ns.cfg.Store.DecideNomination(ctx, &NominationDecision{
		ID: n.ID, Status: NominationRejected, By: me.Who, ByName: me.Name, At: now, Reason: req.Reason,
		Review: req.refresh(d.Message, true), Notices: ns.cfg.View.Notices(n, b),
	})
	if err != nil {
		if ErrorCode(err) == ECONFLICT {
			return nil, err // decided meanwhile: read again
		}
		return d, err
	}
	ns.kick()
	return d, nil
}

// ExpireDue expires the nominations pending longer than the expiry and
// tells their nominators; the scheduler's expiry job calls it. It returns
// how many it expired.
func (ns *Nominations) ExpireDue(ctx context.Context, now time.Time) (int, error) {
	ctx = WithOrigin(ctx, Origin{By: "badgebot", Via: ViaSchedule})
	list, err := ns.cfg.Store.Nominations(ctx, NominationFilter{Status: NominationPending, CreatedBefore: now.Add(-ns.cfg.Expiry).Add(time.Millisecond)})
	if err != nil {
		return 0, err
	}
	done := 0
	for _, n := range list {
		b, err := ns.cfg.Store.Badge(ctx, n.Badge)
		if err != nil {
			return done, err
		}
		switch err := ns.expire(ctx, n, b, now); ErrorCode(err) {
		case "":
			done++
		case ECONFLICT: // decided meanwhile
		default:
			return done, err
		}
	}
	if done > 0 {
		ns.kick()
	}
	return done, nil
}

// expire ends one pending nomination as expired.
func (ns *Nominations) expire(ctx context.Context, n *Nomination, b *Badge, now time.Time) error {
	e := *n
	e.Status, e.DecidedAt, e.DecidedBy = NominationExpired, now, "badgebot"
	return ns.cfg.Store.DecideNomination(ctx, &NominationDecision{
		ID: n.ID, Status: NominationExpired, At: now,
		Review:  ReviewRefresh{Message: ns.cfg.View.DecidedMessage(&e, b, nil), Final: true},
		Notices: ns.cfg.View.Notices(&e, b),
	})
}

// publicNames names each endorser by the public handle of their person
// ("@ada"), as the people pages do.
func (ns *Nominations) publicNames(ctx context.Context, es []Endorsement) ([]string, error) {
	out := make([]string, 0, len(es))
	for _, e := range es {
		a, err := ns.Party(ctx, e.Who, e.Name)
		if err != nil {
			return nil, err
		}
		if a.Person == nil {
			// An owner approving for the first time has no person yet;
			// the decision would make one, too late for the evidence.
			if a.Person, err = ns.cfg.Store.EnsurePerson(ctx, e.Who, e.Name); err != nil {
				return nil, err
			}
		}
		out = append(out, a.PublicName())
	}
	return out, nil
}

// reviewAnnouncements are the outbox rows that post m to every review
// target.
func reviewAnnouncements(targets []Target, m Message) []Announcement {
	out := make([]Announcement, 0, len(targets))
	for _, t := range targets {
		out = append(out, Announcement{Platform: t.Platform, Channel: t.Channel, Kind: KindNomination, Message: m})
	}
	return out
}

// sentence ends s with a full stop unless it ends in punctuation.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?") {
		return s
	}
	return s + "."
}
