package issuer

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Program is a team that issues its own badges (DESIGN §5 "Programs"): an
// issuer of its own, with its own OB Profile at /programs/{slug} whose
// parentOrg is the instance's issuer. It signs with the instance's keys,
// which its profile lists under its own URLs (/programs/{slug}/keys/{id}),
// so that each verification method's controller is the credential's
// issuer.
type Program struct {
	Slug        string
	Name        string
	URL         string // the team's home page; empty: its page here
	Email       string // empty: the instance's (an OB 2.0 Profile needs one)
	Description string
	Color       string // "#rrggbb" or "#rgb"; empty: none
	Logo        []byte // PNG or SVG; nil: none
	LogoType    string // "image/png" or "image/svg+xml"
}

var (
	programSlug  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	programColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
)

// AddProgram adds a program's issuer to the instance's issuer is and
// returns it. Call it before is is used: the set of programs is fixed
// once serving starts.
func (is *Issuer) AddProgram(p Program) (*Issuer, error) {
	switch {
	case is.parent != nil:
		return nil, errors.New("issuer: a program cannot have programs")
	case !programSlug.MatchString(p.Slug):
		return nil, fmt.Errorf("issuer: program slug %q: use 1-63 lower-case letters, digits and dashes", p.Slug)
	case p.Color != "" && !programColor.MatchString(p.Color):
		return nil, fmt.Errorf("issuer: program %s: colour %q is not #rrggbb or #rgb", p.Slug, p.Color)
	case len(p.Logo) > 0 && p.LogoType != "image/png" && p.LogoType != "image/svg+xml":
		return nil, fmt.Errorf("issuer: program %s: logo must be PNG or SVG", p.Slug)
	}
	if _, ok := is.Program(p.Slug); ok {
		return nil, fmt.Errorf("issuer: program %q added twice", p.Slug)
	}
	p.Name, p.Description, p.Email = CleanText(p.Name), CleanText(p.Description), CleanText(p.Email)
	if strings.TrimSpace(p.Name) == "" {
		return nil, fmt.Errorf("issuer: program %s: name is empty", p.Slug)
	}
	if p.Email == "" {
		p.Email = is.p.Email
	}
	prof := Profile{BaseURL: is.p.BaseURL, Name: p.Name, URL: p.URL, Email: p.Email, Description: p.Description}
	child := &Issuer{
		p:           prof,
		keys:        is.keys,
		canon:       is.canon,
		now:         func() time.Time { return is.now() },
		root:        "/programs/" + url.PathEscape(p.Slug),
		parent:      is,
		program:     p,
		statusCache: make(map[int]statusEntry),
	}
	if child.p.URL == "" {
		child.p.URL = child.IssuerID()
	}
	is.programs = append(is.programs, child)
	return child, nil
}

// Program returns the issuer of the program with that slug.
func (is *Issuer) Program(slug string) (*Issuer, bool) {
	for _, c := range is.programs {
		if c.program.Slug == slug {
			return c, true
		}
	}
	return nil, false
}

// Programs returns the issuers of the instance's programs, in the order
// they were added.
func (is *Issuer) Programs() []*Issuer { return is.programs }

// ProgramInfo returns what the program issuer is was made from; the zero
// Program for the instance's issuer.
func (is *Issuer) ProgramInfo() Program { return is.program }

// Parent returns the instance's issuer of a program's issuer, nil for the
// instance's own.
func (is *Issuer) Parent() *Issuer { return is.parent }

// LogoURL is where a program's logo is served, empty when it has none.
func (is *Issuer) LogoURL() string {
	switch is.program.LogoType {
	case "image/png":
		return is.IssuerID() + "/logo.png"
	case "image/svg+xml":
		return is.IssuerID() + "/logo.svg"
	}
	return ""
}

// issuerOf returns the issuer of a badge or award of the given program:
// the program's, or is itself for "" (and for a program no longer
// configured, whose badges the instance issues again).
func (is *Issuer) issuerOf(program string) *Issuer {
	if program == "" || is.parent != nil {
		return is
	}
	if c, ok := is.Program(program); ok {
		return c
	}
	return is
}

// issuerByID returns the issuer, the instance's or a program's, whose
// OB 3.0 id is id.
func (is *Issuer) issuerByID(id string) (*Issuer, bool) {
	root := is
	if is.parent != nil {
		root = is.parent
	}
	if id == root.IssuerID() {
		return root, true
	}
	for _, c := range root.programs {
		if id == c.IssuerID() {
			return c, true
		}
	}
	return nil, false
}
