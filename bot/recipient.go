package bot

import (
	"net/mail"
	"regexp"
	"strings"
)

// Platforms an identity can live on.
const (
	PlatformEmail    = "email"
	PlatformGitHub   = "github"
	PlatformBugzilla = "bugzilla"
	PlatformSlack    = "slack"
	PlatformDiscord  = "discord"
	PlatformConsole  = "console"
)

var (
	githubLogin = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)
	slackID     = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	discordID   = regexp.MustCompile(`^[0-9]{15,21}$`)
	consoleID   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

// Recipient names one identity as PLATFORM:ID, e.g. "github:octocat".
type Recipient struct {
	Platform string
	ID       string
}

// ParseRecipient parses and validates "PLATFORM:ID". GitHub logins are
// case-insensitive and e-mail addresses are compared lower-case, so both
// are folded to lower case.
func ParseRecipient(s string) (Recipient, error) {
	platform, id, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || platform == "" || id == "" {
		return Recipient{}, Errorf(EINVALID, "recipient %q: want PLATFORM:ID, e.g. github:octocat or email:ada@example.org", s)
	}
	r := Recipient{Platform: strings.ToLower(platform), ID: id}
	if r.Platform == PlatformGitHub || r.Platform == PlatformEmail || r.Platform == PlatformBugzilla {
		r.ID = strings.ToLower(r.ID)
	}
	return r, r.Validate()
}

// Validate reports whether the ID is well formed for its platform.
func (r Recipient) Validate() error {
	ok := false
	switch r.Platform {
	case PlatformEmail, PlatformBugzilla:
		a, err := mail.ParseAddress(r.ID)
		ok = err == nil && a.Address == r.ID && a.Name == ""
	case PlatformGitHub:
		ok = githubLogin.MatchString(r.ID)
	case PlatformSlack:
		ok = slackID.MatchString(r.ID)
	case PlatformDiscord:
		ok = discordID.MatchString(r.ID)
	case PlatformConsole:
		ok = consoleID.MatchString(r.ID)
	default:
		return Errorf(EINVALID, "recipient %q: unknown platform %q (want email, github, bugzilla, slack, discord or console)", r.String(), r.Platform)
	}
	if !ok {
		return Errorf(EINVALID, "recipient %q: not a valid %s id", r.String(), r.Platform)
	}
	return nil
}

// String returns "PLATFORM:ID".
func (r Recipient) String() string { return r.Platform + ":" + r.ID }

// IsZero reports whether r is the zero Recipient.
func (r Recipient) IsZero() bool { return r.Platform == "" && r.ID == "" }

// Email returns the e-mail address this identity is, if it is one
// (email: and bugzilla: identities are e-mail addresses).
func (r Recipient) Email() (string, bool) {
	if r.Platform == PlatformEmail || r.Platform == PlatformBugzilla {
		return r.ID, true
	}
	return "", false
}
