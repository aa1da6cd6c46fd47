package bot

import "time"

// Event kinds: normalised contributions that rules count.
const (
	EventPRMerged           = "github.pull_request.merged"
	EventReviewApproved     = "github.pull_request_review.approved"
	EventIssueClosed        = "github.issues.closed"
	EventBugFixed           = "bugzilla.bug.fixed"
	EventBugCreated         = "bugzilla.bug.created"
	EventAttachmentReviewed = "bugzilla.attachment.reviewed"
	EventNominationApproved = "nomination.approved"
)

// EventKinds lists every event kind a rule may name.
var EventKinds = []string{
	EventPRMerged, EventReviewApproved, EventIssueClosed,
	EventBugFixed, EventBugCreated, EventAttachmentReviewed,
	EventNominationApproved,
}

// WebhookDelivery is one raw webhook delivery, kept as received.
type WebhookDelivery struct {
	Seq    int64  // the store's row id, once stored
	Source string // PlatformGitHub or PlatformBugzilla
	ID     string // X-GitHub-Delivery, or derived for Bugzilla
	Type   string // X-GitHub-Event, or the Bugzilla routing key
	Body   []byte
	// Extract, when set, is what the source's normaliser reads of Body, in
	// its own form, taken by the webhook handler as the body arrived. The
	// store keeps it beside Body and, for processing, hands it back in
	// Body's place (Body nil): smaller, and checked already. A normaliser
	// that cannot read it (another version took it) returns
	// ErrStaleExtract, and the Ingestor reads Body back from the store.
	Extract    []byte
	ReceivedAt time.Time
	Unreadable string // set by the store: why the stored body could not be read back
	// Release, when a store sets it, gives Body's buffer back to the
	// store: the Ingestor calls it once the delivery is processed, after
	// which nothing may read Body (the normalisers copy what they keep).
	Release func()
}

// Event is one contribution by one person, normalised from a delivery or a
// backfill. Key identifies the happening itself, so the same merged pull
// request seen by a webhook and by a backfill is stored once.
type Event struct {
	ID         int64
	Source     string // PlatformGitHub or PlatformBugzilla
	Kind       string // one of EventKinds
	Key        string // e.g. "github.com/owner/repo/pull/12"
	Actor      Recipient
	ActorName  string
	PersonID   int64  // set by the store: the person owning Actor
	Repository string // GitHub "owner/repo"
	Product    string // Bugzilla product
	Component  string // Bugzilla component
	URL        string
	Title      string
	Private    bool // never shown in evidence, pages or chat
	OccurredAt time.Time
	ReceivedAt time.Time
}
