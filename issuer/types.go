// Package issuer is badgebot's Open Badges module: issuer profile, badge
// classes and achievements, OB 2.0 hosted assertions, OB 3.0 credentials
// signed with Ed25519 (Data Integrity eddsa-rdfc-2022) and as RS256 VC-JWTs,
// revocation, baking into PNG and SVG, verification, and the hosted routes.
//
// It knows nothing of chat, webhooks or storage: callers hand it plain
// values and a Source to read them from.
package issuer

import (
	"errors"
	"strings"
	"time"
)

// ErrNotFound is returned by a Source when the requested object does not exist.
var ErrNotFound = errors.New("issuer: not found")

// Profile describes the issuing organisation. BaseURL is the public URL of
// the badgebot server (config server.public_url); every hosted id hangs off it.
type Profile struct {
	BaseURL     string // e.g. "https://badges.example.org", no trailing slash
	Name        string
	URL         string // the organisation's home page
	Email       string
	Description string
}

// Achievement is a badge as Open Badges sees it: an OB 2.0 BadgeClass and
// an OB 3.0 Achievement.
type Achievement struct {
	Slug        string
	Name        string
	Description string
	Criteria    string // narrative
	Image       []byte // PNG or SVG artwork; nil means generated artwork
	ImageType   string // "image/png" or "image/svg+xml"; empty when Image is nil
	Program     string // slug of the program whose badge it is; empty: the instance's
}

// Recipient types, as OB 2.0 recipient.type and OB 3.0 identityType.
const (
	RecipientEmail = "email" // OB 3.0 identityType "emailAddress"
	RecipientURL   = "url"   // OB 3.0 identityType "ext:url" (the enum has no url)
)

// Recipient is the plain identity an award is made to. Documents only ever
// carry its salted SHA-256 hash.
type Recipient struct {
	Type     string // RecipientEmail or RecipientURL
	Identity string // e-mail address or URL, in the clear
	Salt     string // per-award salt
}

// Evidence is one piece of evidence: a pull request, a bug, a chat message.
type Evidence struct {
	URL         string // id of the evidence; may be empty when only a narrative exists
	Name        string
	Description string
	Narrative   string
	Genre       string // e.g. "Pull request", "Bug", "Nomination"
}

// Award is one issued badge.
type Award struct {
	ID    string // short opaque id used in URLs: /awards/{id}
	Badge Achievement
	// Program is the slug of the program that issued the award, empty
	// for the instance's issuer: recorded at issuance, so that moving
	// a badge into a program later leaves the award as it was.
	Program     string
	Recipient   Recipient
	IssuedAt    time.Time
	Evidence    []Evidence
	Narrative   string // why it was awarded
	Holder      string // public display name of the recipient (never an e-mail); may be empty
	HolderURL   string // public page of the recipient (/people/{handle}); may be empty
	StatusIndex int    // index into the BitstringStatusList; list = StatusIndex / StatusListSize + 1

	Revoked          bool
	RevokedAt        time.Time
	RevocationReason string

	// Signed forms, created once by Issuer.Sign and stored by the caller.
	Credential []byte // OB 3.0 credential JSON with embedded proof
	JWT        string // the same credential as a VC-JWT
	SigningKey string // set by SignCredential: the publicKeyMultibase of the key that signed Credential
}

// StatusListSize is the number of entries in one BitstringStatusList (the
// W3C minimum, for herd privacy).
const StatusListSize = 131072

// Revocation is one revoked award, as the OB 2.0 revocation list and the
// OB 3.0 status list need it.
type Revocation struct {
	AwardID     string
	Program     string // the issuing program's slug; empty: the instance's
	StatusIndex int
	RevokedAt   time.Time
	Reason      string
}

// ValidRune reports whether r may appear in the text of a signed
// document: any character but the C0 and C1 controls, except tab, newline
// and carriage return. json-gold writes the others into N-Quads unescaped
// where RDFC-1.0 escapes them, so a credential carrying one would be
// signed over a canonical form other verifiers do not produce.
func ValidRune(r rune) bool {
	return !((r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f))
}

// ValidText reports whether every character of s is a ValidRune.
func ValidText(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !ValidRune(r) }) < 0
}

// CleanText drops from s the characters that are not ValidRunes: text
// that comes in (badges, narratives, evidence, the profile) is cleaned
// once, so that every form of an award says the same, and signing refuses
// what was not. They carry no meaning in such text anyway.
func CleanText(s string) string {
	if ValidText(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if !ValidRune(r) {
			return -1
		}
		return r
	}, s)
}
