package bot

import "testing"

// BenchmarkFindEmail is FindEmail over what it mostly sees: log values
// and evidence without an address.
//
//	go test -run XXX -bench FindEmail ./bot
func BenchmarkFindEmail(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"handle", "github:octocat"},
		{"url", "https://github.com/badgebot/badgebot/pull/1234"},
		{"title", "Add a weekly digest of the awards, near misses and leaders"},
		{"non-ascii", "Übersetzung der Hilfe ins Deutsche"},
	} {
		s := c.s
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if FindEmail(s) != "" {
					b.Fatal(s)
				}
			}
		})
	}
}
