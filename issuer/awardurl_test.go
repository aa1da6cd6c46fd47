package issuer

import "testing"

// Every /awards/ link escapes the id: one that is not a plain award id
// stays one path segment.
func TestAwardURLEscapesTheID(t *testing.T) {
	if got, want := AwardURL("https://badges.example.org", "a/b?c#d"), "https://badges.example.org/awards/a%2Fb%3Fc%23d"; got != want {
		t.Errorf("AwardURL = %q, want %q", got, want)
	}
}
