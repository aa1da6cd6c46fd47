package bot

import (
	"context"
	"time"
)

// Where an action came from, for the audit trail: a chat platform's name
// (PlatformSlack, PlatformDiscord, PlatformConsole) or one of these.
const (
	ViaCLI       = "cli"        // a badgebot command
	ViaAPI       = "api"        // the admin API
	ViaRule      = "rule"       // a rule fired on an event or in a sweep
	ViaBackfill  = "backfill"   // a rule fired on events a backfill fetched
	ViaSchedule  = "schedule"   // a scheduled job (nomination expiry)
	ViaGitHub    = "github"     // a link code in a GitHub comment (webhook)
	ViaBugzilla  = "bugzilla"   // a link code in a Bugzilla comment (webhook)
	ViaGitHubBio = "github-bio" // a link code in a GitHub profile bio (API)
)

// Audit actions.
const (
	AuditAward   = "award"
	AuditApprove = "approve"
	AuditReject  = "reject"
	AuditExpire  = "expire"
	AuditRevoke  = "revoke"
	AuditLink    = "link"
)

// Origin is who acts and from where. The boundary where a request enters
// (a chat command, the CLI, the API, a scheduled job, a webhook's proof)
// puts it in the context; the store records it with the action, in the
// same transaction, for the audit trail. Fields a call names itself (an
// award's AwardedBy, a revocation's by) take precedence.
type Origin struct {
	By  string // PLATFORM:ID of a person, "cli", "api" or "badgebot"
	Via string // a platform name or a Via* constant
}

type originKey struct{}

// WithOrigin returns ctx carrying o.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginOf returns the origin ctx carries; zero when none.
func OriginOf(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// AuditEntry is one action of the audit trail.
type AuditEntry struct {
	ID           int64
	At           time.Time
	Action       string // AuditAward, AuditApprove, …
	By           string // PLATFORM:ID, "cli", "api" or "badgebot"
	Via          string // where it came from; "" when not known (before the trail was kept)
	Badge        string // slug, when the action concerns a badge
	Subject      string // the recipient or nominee; for a link, the two identities
	AwardID      string
	NominationID int64
	Detail       string // a reason, the rule, the linked person's handle
}

// AuditFilter selects audit entries, oldest first.
type AuditFilter struct {
	Since time.Time // zero: from the start
	Limit int       // 0: all
}

// AuditStore reads the audit trail; the stores that change awards,
// nominations and people write it.
type AuditStore interface {
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}
