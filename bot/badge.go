package bot

import (
	"regexp"
	"strings"
	"time"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidSlug reports whether s is a well-formed badge slug.
func ValidSlug(s string) bool { return slugPattern.MatchString(s) }

// Badge is something a person can be awarded.
type Badge struct {
	Slug        string
	Program     string // slug of the program it belongs to; empty: the instance's
	Name        string
	Description string
	Criteria    string // how to earn it, in words
	Image       []byte // PNG or SVG; nil: generated artwork
	ImageType   string // "image/png" or "image/svg+xml"
	Owners      []Recipient
	Approvals   int  // approvals a nomination needs
	Repeatable  bool // may one person hold it more than once?
	Nominations bool // may members nominate for it?
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Validate checks the fields a user supplies.
func (b *Badge) Validate() error {
	switch {
	case !ValidSlug(b.Slug):
		return Errorf(EINVALID, "badge slug %q: use 1-63 lower-case letters, digits and dashes", b.Slug)
	case strings.TrimSpace(b.Name) == "":
		return Errorf(EINVALID, "badge %s: name is required", b.Slug)
	case strings.TrimSpace(b.Description) == "":
		return Errorf(EINVALID, "badge %s: description is required", b.Slug)
	case strings.TrimSpace(b.Criteria) == "":
		return Errorf(EINVALID, "badge %s: criteria are required", b.Slug)
	case b.Approvals < 1:
		return Errorf(EINVALID, "badge %s: approvals must be at least 1", b.Slug)
	case len(b.Image) > 0 && b.ImageType != "image/png" && b.ImageType != "image/svg+xml":
		return Errorf(EINVALID, "badge %s: image must be PNG or SVG", b.Slug)
	}
	for _, o := range b.Owners {
		if err := o.Validate(); err != nil {
			return Errorf(EINVALID, "badge %s: owner: %s", b.Slug, ErrorMessage(err))
		}
	}
	return nil
}

// IsOwner reports whether r owns the badge.
func (b *Badge) IsOwner(r Recipient) bool {
	for _, o := range b.Owners {
		if o == r {
			return true
		}
	}
	return false
}
