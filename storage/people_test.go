package storage

import (
	"strings"
	"testing"
)

func TestHandleBase(t *testing.T) {
	tests := []struct {
		r    string
		name string
		want string
	}{
		{"github:octocat", "The Octocat", "octocat"},
		{"github:ada-l", "", "ada-l"},
		{"slack:U024BE7LH", "Ada Lovelace", "ada-lovelace"},
		{"slack:U024BE7LH", "", "u024be7lh"},
		{"discord:80351110224678912", "  zoë 🚀 ", "zoë"},
		{"discord:80351110224678912", "🚀", "discord"},
		{"console:alice", "", "alice"},
		{"console:alice", "ada@example.org", "ada"},
		{"email:ada.lovelace@example.org", "Ada", "ada.lovelace"},
		{"bugzilla:dev+bmo@example.org", "", "dev-bmo"},
		{"slack:U024BE7LH", "..hidden..", "hidden"},
		{"slack:U024BE7LH", "a/b?c#d:e", "a-b-c-d-e"},
		{"slack:U024BE7LH", strings.Repeat("x", 60), strings.Repeat("x", maxHandle)},
	}
	for _, tt := range tests {
		t.Run(tt.r+"/"+tt.name, func(t *testing.T) {
			if got := handleBase(recipient(t, tt.r), tt.name); got != tt.want {
				t.Errorf("handleBase(%s, %q) = %q, want %q", tt.r, tt.name, got, tt.want)
			}
		})
	}
}
