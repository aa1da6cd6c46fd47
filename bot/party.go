package bot

import "strings"

// Party is someone the nomination flow and the chat router deal with: an
// identity, the name chat gave it, and its person when the store knows
// them.
type Party struct {
	Who    Recipient
	Name   string
	Person *Person // nil: nobody has the identity yet
}

// PersonID returns the person's id, or 0 for an unknown identity.
func (a *Party) PersonID() int64 {
	if a.Person == nil {
		return 0
	}
	return a.Person.ID
}

// In reports whether the identity, or any identity of its person, is in rs.
func (a *Party) In(rs []Recipient) bool {
	for _, x := range rs {
		if x == a.Who {
			return true
		}
		if a.Person != nil {
			for _, id := range a.Person.Identities {
				if id.Recipient == x {
					return true
				}
			}
		}
	}
	return false
}

// Same reports whether a and b are the same identity or person.
func (a *Party) Same(b *Party) bool {
	return a.Who == b.Who || (a.PersonID() != 0 && a.PersonID() == b.PersonID())
}

// DisplayName is the name to show for a: the given name, else the
// person's name or handle, else the id (never an e-mail address).
func (a *Party) DisplayName() string {
	switch {
	case a.Name != "":
		return a.Name
	case a.Person != nil && a.Person.Name != "":
		return a.Person.Name
	case a.Person != nil:
		return a.Person.Handle
	}
	if _, ok := a.Who.Email(); ok {
		return "someone"
	}
	// Someone without a record yet: named as their handle will be, so
	// "@u0bob" never stands beside "@U0BOB".
	return HandleBase(a.Who, "")
}

// PublicName is "@handle" of the party's person; without a person, a
// GitHub login or the display name, and never an e-mail address.
func (a *Party) PublicName() string {
	switch {
	case a.Person != nil:
		return "@" + a.Person.Handle
	case a.Who.Platform == PlatformGitHub:
		return "@" + a.Who.ID
	case a.Name != "" && !strings.Contains(a.Name, "@"):
		return a.Name
	}
	return "someone"
}
