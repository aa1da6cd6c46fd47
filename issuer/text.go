package issuer

import "strings"

// cleanText drops control characters other than tab, newline and carriage
// return from text that goes into signed documents. json-gold writes them
// into N-Quads unescaped where RDFC-1.0 escapes them, so a credential
// carrying one would be signed over a canonical form other verifiers do
// not produce, and fail everywhere else. They carry no meaning in badge
// names, narratives or evidence anyway.
func cleanText(s string) string {
	if strings.IndexFunc(s, isDroppedControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isDroppedControl(r) {
			return -1
		}
		return r
	}, s)
}

func isDroppedControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f)
}
