package rdfc

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/piprate/json-gold/ld"
)

// maxURLRunes is ld.IsURL's length limit: it refuses IRIs of this many
// runes or more.
const maxURLRunes = 2083

// validHTTPIRI reports whether an http(s) IRI comes through json-gold's
// ToRDF like the placeholder it replaces: IsAbsoluteIri (url.Parse) and
// validIRI (ld.IsURL) must both accept it.
//
// ld.IsURL runs a large regular expression, which was a third of the
// signing time, so it is run on the origin ("https://host/", cached) and
// the rest is settled by this argument:
//
// Let s = origin + rest, where origin is "scheme://authority/", the
// authority is not empty and ends at the first '/', '?' or '#', and s has
// no '@', no white space after the authority and is valid UTF-8. When
// url.Parse(s) succeeds with a non-empty host, IsURL(s) == IsURL(origin):
//   - its length checks are checked here (rune count) or hold (prefix);
//   - url.Parse takes the same authority from both, so IsURL's host checks
//     give the same answer;
//   - in the regular expression, with no '@' URLUsername cannot match, so
//     URLSchema takes "scheme://"; the host and port parts take no '/',
//     '?' or '#', so they must match the whole authority, and URLPath
//     (`(/|\?|#)[^\s]*`) the rest, which it does for "/" and for any "/..."
//     without white space (Go's \s is [\t\n\f\r ]) alike.
//
// TestValidHTTPIRIMatchesJSONGold compares the two on many IRIs. Any IRI
// outside the argument goes to ld.IsURL itself (cached too: such IRIs,
// like an origin without its slash, recur). Only origins and those are
// cached, not the IRIs unique to an award (its id, its evidence), which
// would only churn the cache.
func (tc *templateCache) validHTTPIRI(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(s, "://")
	end := strings.IndexAny(rest, "/?#")
	if end <= 0 || rest[end] != '/' || u.Host == "" || strings.IndexByte(s, '@') >= 0 ||
		strings.ContainsAny(rest[end:], " \t\n\f\r") || !utf8.ValidString(s) ||
		utf8.RuneCountInString(s) >= maxURLRunes {
		return tc.isURL(s)
	}
	return tc.isURL(s[:len(s)-len(rest)+end+1])
}

// isURL is ld.IsURL, its answers cached.
func (tc *templateCache) isURL(s string) bool {
	if ok, known := tc.iris.Lookup(s); known {
		return ok
	}
	ok := ld.IsURL(s)
	tc.iris.Store(strings.Clone(s), ok) // s may point into a whole document
	return ok
}
