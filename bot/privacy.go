package bot

import (
	"regexp"
	"strings"
)

// emailPattern matches an e-mail address: a local part of the characters
// an unquoted one may hold (but those that delimit URL parts: / = ? & %),
// '@', and a domain of dot-separated labels whose last is letters only (so
// "pkg@1.2.3" is no address).
var emailPattern = regexp.MustCompile("(?i)[a-z0-9!#$'*+^_`{|}~.-]+@" +
	`([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,63}\b`)

// density matches the first domain label of an image's pixel-density
// suffix ("icon@2x.png"), which looks like an address but is none.
var density = regexp.MustCompile(`^[1-9]x$`)

// atSigns spells '@' the ways text may hide it: percent-encoded (also twice),
// as HTML character references and as Unicode look-alikes.
var atSigns = strings.NewReplacer(
	"%2540", "@", "%40", "@", "&#64;", "@", "&#x40;", "@", "&#X40;", "@", "&commat;", "@",
	"\uFF20", "@", "\uFE6B", "@",
)

// FindEmail returns the first e-mail address in s, or "" when there is none.
// It also sees addresses written with a percent-encoded '@' (a URL's
// "?email=carol%40example.org") or a look-alike of it; percent-encoded
// dots and letters around the '@' are undone too.
func FindEmail(s string) string {
	if m := findEmail(s); m != "" {
		return m
	}
	// Four scans for a byte or a sequence, each vectorised, where
	// ContainsAny with runes beyond ASCII loops over the runes of s: this
	// runs on every string a log line or an award's evidence holds.
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '&') < 0 &&
		!strings.Contains(s, "\uFF20") && !strings.Contains(s, "\uFE6B") {
		return ""
	}
	return findEmail(percentDecode(atSigns.Replace(s)))
}

func findEmail(s string) string {
	if !strings.Contains(s, "@") {
		return ""
	}
	for _, m := range emailPattern.FindAllStringSubmatch(s, -1) {
		if !density.MatchString(m[1]) {
			return m[0]
		}
	}
	return ""
}

// percentDecode undoes every well-formed %XX of s, leaving the rest as it is
// (url.PathUnescape gives up on the whole string at the first bad one).
func percentDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// NoEmail refuses text that holds an e-mail address, before anything is
// signed: awards are public and their credentials can never be changed.
// what names the field for the reply ("The narrative"). Every way free text
// reaches an award or a nomination (chat, CLI, API, import) passes here,
// through AwardRequest.Validate, Nomination.Validate and Service.Revoke.
func NoEmail(what, text string) error {
	if FindEmail(text) == "" {
		return nil
	}
	return Errorf(EINVALID, "%s contains an e-mail address. Awards are public and signed, so no address may go in one: "+
		"name people by @mention or handle, and drop the address from links (remove the part like `?email=…`).", what)
}

// emailHidden stands in for an address in text the core composes itself.
const emailHidden = "[address hidden]"

// RedactEmails replaces the e-mail addresses in s, for text that nobody
// typed into an award (pull request titles, chat display names): there is
// no one to refuse it to. Text whose address hides in an encoding is
// dropped whole.
func RedactEmails(s string) string {
	if FindEmail(s) == "" {
		return s
	}
	s = emailPattern.ReplaceAllStringFunc(s, func(m string) string {
		if findEmail(m) == "" {
			return m
		}
		return emailHidden
	})
	if FindEmail(s) != "" {
		return ""
	}
	return s
}
