package bot

import (
	"strings"
	"time"

	"github.com/badgebot/badgebot/issuer"
)

// Evidence is what an award was given for: a pull request, a bug, a chat
// message or a nomination.
type Evidence = issuer.Evidence

// Award sources.
const (
	SourceManual     = "manual"     // `badgebot award` or chat `award`
	SourceAPI        = "api"        // POST /api/v1/awards
	SourceRule       = "rule"       // a [[rules]] entry fired
	SourceNomination = "nomination" // an approved nomination
)

// Award is one badge held by one person.
type Award struct {
	ID          string
	Badge       string    // slug
	Recipient   Recipient // the identity it was awarded to
	PersonID    int64
	IssuedAt    time.Time
	Evidence    []Evidence
	Narrative   string
	Source      string // SourceManual, SourceAPI, SourceRule, SourceNomination
	SourceRef   string // rule name or nomination id
	AwardedBy   string // PLATFORM:ID of the person who awarded it, or "badgebot"
	StatusIndex int

	// The recipient identity as it is hashed in the documents.
	IdentityType string // issuer.RecipientEmail or issuer.RecipientURL
	Identity     string
	Salt         string

	Credential []byte // signed OB 3.0 credential
	JWT        string // the same as a VC-JWT

	Revoked          bool
	RevokedAt        time.Time
	RevocationReason string
	RevokedBy        string
}

// AwardRequest asks for a badge to be awarded.
type AwardRequest struct {
	Badge     string
	To        Recipient
	ToName    string // display name of the recipient, if known
	Evidence  []Evidence
	Narrative string
	Source    string
	SourceRef string
	By        string    // PLATFORM:ID of the awarding person; empty for badgebot itself
	At        time.Time // zero: now
}

// Validate checks the request's own fields.
func (r *AwardRequest) Validate() error {
	if !ValidSlug(r.Badge) {
		return Errorf(EINVALID, "badge %q: no such badge", r.Badge)
	}
	if err := r.To.Validate(); err != nil {
		return err
	}
	for _, e := range r.Evidence {
		if e.URL != "" && !strings.HasPrefix(e.URL, "https://") && !strings.HasPrefix(e.URL, "http://") {
			return Errorf(EINVALID, "evidence %q: must be an http(s) URL", e.URL)
		}
	}
	if len(r.Narrative) > 4000 {
		return Errorf(EINVALID, "narrative: at most 4000 characters")
	}
	switch r.Source {
	case SourceManual, SourceAPI, SourceRule, SourceNomination:
	default:
		return Errorf(EINVALID, "award source %q unknown", r.Source)
	}
	return nil
}

// AwardFilter selects awards; zero fields match everything.
type AwardFilter struct {
	Badge     string
	Recipient Recipient // any identity of the person owning it
	PersonID  int64
	Revoked   *bool
	Limit     int
}
