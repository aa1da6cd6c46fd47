package bot

import (
	"strings"
	"unicode"
)

// maxHandle caps a derived handle's length in runes (GitHub's login limit).
const maxHandle = 39

// HandleBase derives a handle from an identity: a GitHub login; for chat
// identities the display name when one is given and holds no e-mail
// address, else the id. (E-mail and Bugzilla identities are numbered by
// ensurePerson: no part of an address may become a handle.) The result is
// lower case, with runs of anything but letters, digits, '.' and '_'
// turned into one '-'.
func HandleBase(r Recipient, name string) string {
	base := r.ID
	switch r.Platform {
	case PlatformSlack, PlatformDiscord, PlatformConsole:
		if name != "" && FindEmail(name) == "" {
			base = name
		}
	}
	// Nothing of an address, whatever else: cut at the first '@'.
	base, _, _ = strings.Cut(base, "@")
	var sb strings.Builder
	dash := false
	n := 0
	for _, c := range strings.ToLower(base) {
		ok := unicode.IsLetter(c) || unicode.IsDigit(c) || c == '.' || c == '_'
		if !ok {
			dash = sb.Len() > 0
			continue
		}
		if dash {
			sb.WriteByte('-')
			n++
			dash = false
		}
		if n >= maxHandle {
			break
		}
		sb.WriteRune(c)
		n++
	}
	h := strings.Trim(sb.String(), ".-_")
	if h == "" {
		h = strings.Trim(r.Platform, ".-_")
		if h == "" {
			h = "person"
		}
	}
	return h
}
