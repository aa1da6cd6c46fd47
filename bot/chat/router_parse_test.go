package chat

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text     string
		name     string
		args     []string
		rest     string
		wantErr  string // substring of the error message
		wantCode string
	}{
		{text: "", name: "help"},
		{text: "   ", name: "help"},
		{text: "/badge", name: "help"},
		{text: "help", name: "help"},
		{text: "HELP nominate", name: "help", args: []string{"nominate"}},
		{text: "/badge list", name: "list"},
		{text: "show first-pr", name: "show", args: []string{"first-pr"}},
		{text: "show", wantErr: "`/badge show SLUG`, e.g. `/badge show first-pr`"},
		{text: "show first-pr now", wantErr: "There is more than I expected."},
		{text: "nominate @slack:U024BE7LH first-pr  rewrote   the docs ",
			name: "nominate", args: []string{"@slack:U024BE7LH", "first-pr"}, rest: "rewrote   the docs"},
		{text: "nominate\t@ada\nfirst-pr\u00a0great work", name: "nominate", args: []string{"@ada", "first-pr"}, rest: "great work"},
		{text: "nominate @ada first-pr", wantErr: "`/badge nominate @user SLUG REASON`"},
		{text: "approve 42", name: "approve", args: []string{"42"}},
		{text: "reject 42", name: "reject", args: []string{"42"}},
		{text: "reject 42 not yet: see the criteria", name: "reject", args: []string{"42"}, rest: "not yet: see the criteria"},
		{text: "award @ada first-pr", name: "award", args: []string{"@ada", "first-pr"}},
		{text: "award @ada first-pr https://x.org/1 nice", name: "award", args: []string{"@ada", "first-pr"}, rest: "https://x.org/1 nice"},
		{text: "revoke abc", wantErr: "`/badge revoke AWARD_ID REASON`"},
		{text: "revoke abc oops", name: "revoke", args: []string{"abc"}, rest: "oops"},
		{text: "mine", name: "mine"},
		{text: "of @ada", name: "of", args: []string{"@ada"}},
		{text: "progress", name: "progress"},
		{text: "progress first-pr", name: "progress", args: []string{"first-pr"}},
		{text: "why @ada first-pr", name: "why", args: []string{"@ada", "first-pr"}},
		{text: "link github octocat", name: "link", args: []string{"github", "octocat"}},
		{text: "link github", wantErr: "`/badge link github|bugzilla LOGIN|EMAIL`"},
		{text: "leaderboard", name: "leaderboard"},
		{text: "settings", name: "settings"},
		{text: "settings announce dm", name: "settings", args: []string{"announce", "dm"}},
		{text: "digest now", name: "digest", args: []string{"now"}},
		{text: "nominte @ada x y", wantErr: "Did you mean `/badge nominate`?"},
		{text: "frobnicate", wantErr: `I don't know "frobnicate". Type ` + "`/badge help`"},
		{text: strings.Repeat("x", maxCommandLen+1), wantErr: "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p, err := parseCommand(tt.text)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(bot.ErrorMessage(err), tt.wantErr) {
					t.Fatalf("parseCommand(%q) = %+v, %v; want an error containing %q", tt.text, p, err, tt.wantErr)
				}
				if bot.ErrorCode(err) != bot.EINVALID {
					t.Errorf("error code %q, want %q", bot.ErrorCode(err), bot.EINVALID)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseCommand(%q): %v", tt.text, err)
			}
			got := struct {
				Name string
				Args []string
				Rest string
			}{p.spec.name, p.args, p.rest}
			want := struct {
				Name string
				Args []string
				Rest string
			}{tt.name, tt.args, tt.rest}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("parseCommand(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for name, want := range map[string]string{
		"nominate": "nominate @user SLUG REASON",
		"reject":   "reject ID [REASON]",
		"progress": "progress [SLUG|PROGRAM]",
		"help":     "help [COMMAND]",
		"settings": "settings [announce] [public|dm|off]",
	} {
		if got := findSpec(name).usage(); got != want {
			t.Errorf("usage of %s = %q, want %q", name, got, want)
		}
	}
}

// FuzzParseCommand checks that no text makes the parser panic and that
// what it accepts is well formed.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"", "help", "/badge nominate @slack:U1 first-pr great", "reject 42 no", "award @a b https://x",
		"link bugzilla a@b.org", "\xff\xfe", "nominate \u00a0\u2003@x y z", "/badge", "  revoke  id  why  ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := parseCommand(text)
		if err != nil {
			if bot.ErrorCode(err) != bot.EINVALID || bot.ErrorMessage(err) == "" {
				t.Fatalf("parseCommand(%q): error %v with code %q", text, err, bot.ErrorCode(err))
			}
			return
		}
		if p.spec == nil || findSpec(p.spec.name) == nil {
			t.Fatalf("parseCommand(%q): unknown spec %+v", text, p.spec)
		}
		if len(p.args) < p.spec.min || len(p.args) > len(p.spec.words) {
			t.Fatalf("parseCommand(%q): %d args for %s", text, len(p.args), p.spec.usage())
		}
		for _, a := range p.args {
			if a == "" || strings.IndexFunc(a, unicode.IsSpace) >= 0 {
				t.Fatalf("parseCommand(%q): arg %q is not one word", text, a)
			}
		}
		if p.rest != strings.TrimSpace(p.rest) || !utf8.ValidString(p.rest) {
			t.Fatalf("parseCommand(%q): rest %q not trimmed or not UTF-8", text, p.rest)
		}
		if p.spec.rest == restRequired && p.rest == "" {
			t.Fatalf("parseCommand(%q): %s without its free text", text, p.spec.name)
		}
		if p.spec.rest == restNone && p.rest != "" {
			t.Fatalf("parseCommand(%q): %s with free text %q", text, p.spec.name, p.rest)
		}
	})
}
