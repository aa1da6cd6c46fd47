package bot

import (
	"context"
	"strings"
	"time"
)

// Nomination statuses.
const (
	NominationPending  = "pending"
	NominationApproved = "approved"
	NominationRejected = "rejected"
	NominationExpired  = "expired"
)

// Outbox kinds of the nomination flow (beside KindAward, KindRevoke…).
const (
	// KindNomination is a review message with Approve and Reject buttons,
	// posted to a review channel or an owner. Its row carries the
	// nomination id; once delivered, its channel and message id are where
	// the nomination's review can be edited.
	KindNomination = "nomination"
	// KindNominationUpdate replaces the delivered review message of the
	// same nomination in the same channel (see DeliveryStore.ReplacedMessage).
	KindNominationUpdate = "nomination-update"
	// KindNotice is a direct message to one person, e.g. the nominator
	// told that their nomination was rejected.
	KindNotice = "notice"
)

// SourceNominationEvent is the Event.Source of nomination.approved events.
const SourceNominationEvent = "nomination"

// DefaultNominationExpiry is how long a nomination waits for a decision
// when RouterConfig.Expiry is zero (DESIGN §5: 14 days).
const DefaultNominationExpiry = 14 * 24 * time.Hour

// nominationWeek is the window of the weekly nomination cap.
const NominationWeek = 7 * 24 * time.Hour

// maxReason caps a nomination or rejection reason.
const MaxReason = 1000

// Nomination proposes that someone receive a badge. It waits for the
// badge's owners (or an admin) to approve or reject it.
type Nomination struct {
	ID    int64
	Badge string // slug

	Nominee         Recipient
	NomineeName     string
	NomineePersonID int64 // set by the store

	Nominator         Recipient
	NominatorName     string
	NominatorPersonID int64 // set by the store

	Reason   string
	Platform string // where it was made, e.g. PlatformSlack
	Channel  string

	Status         string // NominationPending, …Approved, …Rejected, …Expired
	CreatedAt      time.Time
	DecidedAt      time.Time
	DecidedBy      string // PLATFORM:ID, or "badgebot" for an expiry
	DecisionReason string // why it was rejected
	AwardID        string // the award an approval made

	// Supporters nominated the same person for the same badge later.
	Supporters []Endorsement
	// Approvals are the approvals so far, one per person.
	Approvals []Endorsement
}

// Endorsement is a supporter's or an approver's part in a nomination.
type Endorsement struct {
	Who      Recipient
	Name     string
	PersonID int64  // set by the store
	Reason   string // a supporter's own reason
	At       time.Time
}

// Validate checks the fields a nominator supplies.
func (n *Nomination) Validate() error {
	if !ValidSlug(n.Badge) {
		return Errorf(EINVALID, "badge %q is not a badge slug", n.Badge)
	}
	if err := n.Nominee.Validate(); err != nil {
		return err
	}
	if err := n.Nominator.Validate(); err != nil {
		return err
	}
	if n.Nominee == n.Nominator {
		return Errorf(EINVALID, "nobody can nominate themselves")
	}
	reason := strings.TrimSpace(n.Reason)
	switch {
	case reason == "":
		return Errorf(EINVALID, "a nomination needs a reason")
	case len(reason) > MaxReason:
		return Errorf(EINVALID, "the reason is too long: at most %d characters", MaxReason)
	}
	return NoEmail("The reason", reason)
}

// Backers returns the nominator and the supporters.
func (n *Nomination) Backers() []Endorsement {
	out := []Endorsement{{Who: n.Nominator, Name: n.NominatorName, PersonID: n.NominatorPersonID, Reason: n.Reason, At: n.CreatedAt}}
	return append(out, n.Supporters...)
}

// backedBy reports whether the person (or, with no person yet, the
// identity) nominated or supported n.
func (n *Nomination) BackedBy(r Recipient, personID int64) bool {
	for _, b := range n.Backers() {
		if b.Who == r || (personID != 0 && b.PersonID == personID) {
			return true
		}
	}
	return false
}

// approvedBy reports whether the person already approved n.
func (n *Nomination) ApprovedBy(r Recipient, personID int64) bool {
	for _, a := range n.Approvals {
		if a.Who == r || (personID != 0 && a.PersonID == personID) {
			return true
		}
	}
	return false
}

// NominationLimit is the weekly cap a store enforces when it records a
// nomination or a support: at most Max of them by the same person made
// after Since. Max 0 means no cap.
type NominationLimit struct {
	Max   int
	Since time.Time
}

// ReviewRefresh tells the store how the review messages of a nomination
// read now.
type ReviewRefresh struct {
	// Message is the review as it now reads.
	Message Message
	// Final is set once the nomination is decided: review messages not
	// delivered yet are dropped instead of rewritten.
	Final bool
	// SkipPlatform and SkipMessageID name the review message that the
	// click's reply updates already; it gets no outbox update.
	SkipPlatform  string
	SkipMessageID string
}

// NominationDecision ends a pending nomination.
type NominationDecision struct {
	ID     int64
	Status string    // NominationApproved, NominationRejected or NominationExpired
	By     Recipient // zero for badgebot itself (expiry)
	ByName string
	At     time.Time
	Reason string // a rejection's reason
	// AwardID is the award an approval made.
	AwardID string
	// Approve records By as one more approver (the deciding approval).
	Approve bool
	// Need, for an approval, is how many approvals the badge needs; the
	// store refuses the decision (ECONFLICT) while there are fewer.
	Need int
	// Event, when set, is stored with the decision (nomination.approved);
	// the store sets its ID and PersonID.
	Event *Event
	// Review rewrites the review messages (Final is implied).
	Review ReviewRefresh
	// Notices are queued in the same transaction (the nominator told).
	Notices []Announcement
}

// NominationFilter selects nominations; zero fields match everything.
type NominationFilter struct {
	Status        string
	Badge         string
	CreatedBefore time.Time // only those created before this time
	Limit         int
}

// NominationStore keeps nominations and queues their review messages.
type NominationStore interface {
	// NextNominationID reserves a fresh nomination id (ids are small
	// numbers, easy to type: "approve 42").
	NextNominationID(ctx context.Context) (int64, error)
	// CreateNomination stores a pending nomination with the reserved n.ID
	// and queues its review messages, in one transaction; nominee and
	// nominator get a person when they have none. It returns ECONFLICT when
	// the nominee's person has a pending nomination for the badge already
	// and ELIMIT when the nominator reached the limit. It sets the person
	// ids, Status and CreatedAt of n.
	CreateNomination(ctx context.Context, n *Nomination, limit NominationLimit, reviews []Announcement) error
	// AddSupporter adds s as a supporter of the pending nomination id and
	// rewrites its review messages. ECONFLICT: not pending, or s backs it
	// already; ELIMIT: s reached the limit.
	AddSupporter(ctx context.Context, id int64, s Endorsement, limit NominationLimit, review ReviewRefresh) error
	// AddApproval records an approval that does not decide the nomination
	// yet and rewrites its review messages. ECONFLICT: not pending, the
	// approver's person approved already, the nomination has not exactly
	// seen approvals (another came first), or this one would make need
	// (the deciding approval goes with its award: ApproveNomination).
	AddApproval(ctx context.Context, id int64, a Endorsement, seen, need int, review ReviewRefresh) error
	// DecideNomination ends a pending nomination (ECONFLICT when it is not
	// pending any more), stores its event, drops or rewrites its review
	// messages and queues the notices, in one transaction.
	DecideNomination(ctx context.Context, d *NominationDecision) error
	// ApproveNomination decides a pending nomination as approved (d, as
	// DecideNomination, with d.Approve and d.Need) and stores the award a
	// it makes (as CreateAward), in one transaction: of two approvals
	// racing, one awards and the other gets ECONFLICT.
	ApproveNomination(ctx context.Context, d *NominationDecision, a *Award, repeatable bool, out []Announcement) error
	// Nomination returns ENOTFOUND when no nomination has the id.
	Nomination(ctx context.Context, id int64) (*Nomination, error)
	// PendingNomination returns the pending nomination of the person
	// owning nominee for the badge, or ENOTFOUND.
	PendingNomination(ctx context.Context, badge string, nominee Recipient) (*Nomination, error)
	// Nominations returns the nominations matching f, oldest first.
	Nominations(ctx context.Context, f NominationFilter) ([]*Nomination, error)
	// NominationCount counts the nominations and supports by the person
	// owning who made after the given time, and returns the time of the
	// oldest of them.
	NominationCount(ctx context.Context, who Recipient, since time.Time) (n int, oldest time.Time, err error)
}

// LeaderboardEntry is one person on the leaderboard.
type LeaderboardEntry struct {
	PersonID int64
	Handle   string
	Name     string
	Awards   int // unrevoked awards
}

// ChatStore is what the router reads and writes beyond awards and
// nominations.
type ChatStore interface {
	// SetAnnounce sets a person's announcement preference (AnnouncePublic,
	// AnnounceDM or AnnounceOff); ENOTFOUND for an unknown person.
	SetAnnounce(ctx context.Context, personID int64, choice string) error
	// Leaderboard returns up to limit people with the most unrevoked
	// awards, most first (ties by handle).
	Leaderboard(ctx context.Context, limit int) ([]LeaderboardEntry, error)
}

// RouterStore is everything the chat router keeps and reads.
type RouterStore interface {
	BadgeStore
	PersonStore
	NominationStore
	ChatStore
	ProgramStore
	Award(ctx context.Context, id string) (*Award, error)
	Awards(ctx context.Context, f AwardFilter) ([]*Award, error)
}
