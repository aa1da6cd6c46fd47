package bot

import "time"

// Announcement preferences a person can choose with `settings announce`.
const (
	AnnouncePublic = "public"
	AnnounceDM     = "dm"
	AnnounceOff    = "off"
)

// Person is someone who can hold badges. A person has one or more
// identities; awards attach to the person.
type Person struct {
	ID         int64
	Handle     string // public name, unique: /people/{handle}
	Name       string // display name
	Announce   string // AnnouncePublic, AnnounceDM or AnnounceOff
	CreatedAt  time.Time
	Identities []Identity
}

// Identity is one account of a person on one platform.
type Identity struct {
	Recipient
	PersonID  int64
	Name      string // display name on that platform, if known
	Verified  bool   // proven (code, verified profile e-mail) or linked by an admin
	CreatedAt time.Time
}

// Identity returns the person's identity on platform, if any.
func (p *Person) Identity(platform string) (Identity, bool) {
	for _, id := range p.Identities {
		if id.Platform == platform {
			return id, true
		}
	}
	return Identity{}, false
}

// Email returns an e-mail address of the person, if one is known.
func (p *Person) Email() (string, bool) {
	for _, platform := range []string{PlatformEmail, PlatformBugzilla} {
		if id, ok := p.Identity(platform); ok {
			return id.ID, true
		}
	}
	return "", false
}
