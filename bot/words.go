package bot

import (
	"fmt"
	"time"
	"unicode/utf8"
)

func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// days writes a duration in whole days ("14 days"), or as Go does when it
// is shorter than a day.
func Days(d time.Duration) string {
	if d < 24*time.Hour {
		return d.String()
	}
	n := int(d / (24 * time.Hour))
	return fmt.Sprintf("%d %s", n, Plural(n, "day", "days"))
}

// truncateRunes shortens s to n runes, ending in "…" when cut.
func TruncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// eventNoun names what an event kind counts.
func EventNoun(kind string, n int) string {
	one, many := kind, kind
	switch kind {
	case EventPRMerged:
		one, many = "merged pull request", "merged pull requests"
	case EventReviewApproved:
		one, many = "approving review", "approving reviews"
	case EventIssueClosed:
		one, many = "closed issue", "closed issues"
	case EventBugFixed:
		one, many = "fixed bug", "fixed bugs"
	case EventBugCreated:
		one, many = "filed bug", "filed bugs"
	case EventAttachmentReviewed:
		one, many = "reviewed patch", "reviewed patches"
	case EventNominationApproved:
		one, many = "approved nomination", "approved nominations"
	}
	return Plural(n, one, many)
}

// Nearest returns the name of names nearest to word, when it is at most
// two edits away (a slip of the keyboard) and nearer than the name is long;
// the first such on a tie, "" when there is none. Only word's first 40
// runes count, which bounds what a hostile word costs.
func Nearest(word string, names []string) string {
	word = TruncateRunes(word, 40)
	best, bestD := "", 3
	for _, name := range names {
		if d := editDistance(word, name); d < bestD && d < utf8.RuneCountInString(name) {
			best, bestD = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short strings, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
