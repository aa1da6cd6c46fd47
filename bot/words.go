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
