package bot

import "testing"

func TestFindEmail(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"thanks to carol@example.org for the fix", "carol@example.org"},
		{"https://example.org/report?email=carol@example.org", "carol@example.org"},
		{"https://example.org/report?email=carol%40example.org", "carol@example.org"},
		{"https://example.org/report?email=carol%2540example.org", "carol@example.org"},
		{"https://example.org/r?to=carol%40example%2Eorg&x=1", "carol@example.org"},
		{"mailto:Carol.Ng+badges@Mail.Example.ORG", "Carol.Ng+badges@Mail.Example.ORG"},
		{"carol&#64;example.org", "carol@example.org"},
		{"carol\uFF20example.org", "carol@example.org"},
		{"ada@localhost.localdomain", "ada@localhost.localdomain"},
		// No address.
		{"https://github.com/octo/hello/pull/1", ""},
		{"https://medium.com/@alice/my-first-pr-1f2e", ""},
		{"icon@2x.png and npm i left-pad@1.3.0", ""},
		{"ping @alice in #general", ""},
		{"100% done, 50%off", ""},
		{"", ""},
	} {
		if got := FindEmail(tc.in); got != tc.want {
			t.Errorf("FindEmail(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactEmails(t *testing.T) {
	for in, want := range map[string]string{
		"Fix crash reported by bob@example.org": "Fix crash reported by [address hidden]",
		"no address here":                       "no address here",
		"bob%40example.org":                     "",
	} {
		if got := RedactEmails(in); got != want {
			t.Errorf("RedactEmails(%q) = %q, want %q", in, got, want)
		}
	}
}
