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
	SourceImport     = "import"     // `badgebot import`: SourceRef names the row
)

// Award is one badge held by one person.
type Award struct {
	ID          string
	Badge       string    // slug
	Program     string    // the program whose issuer signed it, as its badge's was then; empty: the instance's
	Recipient   Recipient // the identity it was awarded to
	PersonID    int64
	IssuedAt    time.Time
	Evidence    []Evidence
	Narrative   string
	Source      string // SourceManual, SourceAPI, SourceRule, SourceNomination, SourceImport
	SourceRef   string // rule name or nomination id
	AwardedBy   string // PLATFORM:ID of the person who awarded it, or "badgebot"
	Via         string // where it was made: a chat platform, ViaCLI, ViaAPI, ViaRule, ViaBackfill
	StatusIndex int

	// The recipient identity as it is hashed in the documents.
	IdentityType string // issuer.RecipientEmail or issuer.RecipientURL
	Identity     string
	Salt         string

	Credential []byte // signed OB 3.0 credential
	JWT        string // the same as a VC-JWT
	SigningKey string // the key that signed Credential (its publicKeyMultibase)

	Revoked          bool
	RevokedAt        time.Time
	RevocationReason string
	RevokedBy        string
	RevokedVia       string // where it was revoked, like Via
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
	Via       string    // where it is made; empty: the context's Origin, else from Source
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
		if e.URL != "" && !strings.HasPrefix(e.URL, "https://") && !strings.HasPrefix(e.URL, "http://") && !strings.HasPrefix(e.URL, PrivateEvidencePrefix) {
			return Errorf(EINVALID, "evidence %q: must be an http(s) URL", e.URL)
		}
	}
	if len(r.Narrative) > 4000 {
		return Errorf(EINVALID, "narrative: at most 4000 characters")
	}
	if err := r.noEmail(); err != nil {
		return err
	}
	switch r.Source {
	case SourceManual, SourceAPI, SourceRule, SourceNomination, SourceImport:
	default:
		return Errorf(EINVALID, "award source %q unknown", r.Source)
	}
	return nil
}

// ErrNoEvidence refuses an award by hand with neither an evidence URL nor
// a narrative; the CLI and the API name their own flag or field.
var ErrNoEvidence = Errorf(EINVALID, "an award by hand needs evidence: add a narrative saying why it is given, or an evidence URL")

// checkEvidence returns ErrNoEvidence unless the award will say why it was
// given.
func (r *AwardRequest) checkEvidence() error {
	if r.byHand() && !hasEvidenceURL(r.Evidence) && strings.TrimSpace(r.Narrative) == "" {
		return ErrNoEvidence
	}
	return nil
}

// byHand reports whether a person chose to make the award (chat, CLI,
// API), as opposed to a rule or an approved nomination, whose evidence is
// the event or the nomination.
func (r *AwardRequest) byHand() bool { return r.Source == SourceManual || r.Source == SourceAPI }

// hasEvidenceURL reports whether some piece of evidence links to the work.
func hasEvidenceURL(es []Evidence) bool {
	for _, e := range es {
		if e.URL != "" {
			return true
		}
	}
	return false
}

// noEmail refuses an e-mail address in any text of the request (DESIGN §5).
func (r *AwardRequest) noEmail() error {
	if err := NoEmail("The narrative", r.Narrative); err != nil {
		return err
	}
	for _, e := range r.Evidence {
		if err := NoEmail("The evidence link", e.URL); err != nil {
			return err
		}
		for _, text := range []string{e.Name, e.Description, e.Narrative, e.Genre} {
			if err := NoEmail("The evidence", text); err != nil {
				return err
			}
		}
	}
	return nil
}

// redactEmails hides the addresses in the texts of a request the core
// composed itself (a rule's or a nomination's): what users typed into it
// was refused at input, but names and titles from elsewhere may hold one.
func (r *AwardRequest) redactEmails() {
	r.Narrative = RedactEmails(r.Narrative)
	ev := make([]Evidence, len(r.Evidence))
	for i, e := range r.Evidence {
		ev[i] = Evidence{URL: e.URL, Name: RedactEmails(e.Name), Description: RedactEmails(e.Description),
			Narrative: RedactEmails(e.Narrative), Genre: RedactEmails(e.Genre)}
	}
	r.Evidence = ev
}

// AwardFilter selects awards; zero fields match everything.
type AwardFilter struct {
	Badge     string
	Recipient Recipient // any identity of the person owning it
	PersonID  int64
	Revoked   *bool
	Limit     int
}
