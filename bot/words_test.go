package bot

import (
	"strings"
	"testing"
)

func TestNearest(t *testing.T) {
	names := []string{"nominate", "mine", "of", "list", "leaderboard", "approve"}
	for word, want := range map[string]string{
		"nominate":                        "nominate",
		"nomniate":                        "nominate", // two letters swapped: two edits
		"mien":                            "mine",
		"lits":                            "list",
		"x":                               "", // "of" is two edits away, but no nearer than it is long
		"leaderbord":                      "leaderboard",
		"aprove":                          "approve",
		"zzzzzz":                          "",
		"":                                "",
		"löst":                            "list", // one rune, not two bytes
		strings.Repeat("nominate", 10000): "",     // only the first 40 runes count
	} {
		if got := Nearest(word, names); got != want {
			t.Errorf("Nearest(%.20q) = %q, want %q", word, got, want)
		}
	}
}
