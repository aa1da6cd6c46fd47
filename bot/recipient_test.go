package bot

import "testing"

func TestParseRecipient(t *testing.T) {
	tests := []struct {
		in      string
		want    Recipient
		wantErr bool
	}{
		{"github:octocat", Recipient{"github", "octocat"}, false},
		{"github:OctoCat", Recipient{"github", "octocat"}, false},
		{"GitHub:octocat", Recipient{"github", "octocat"}, false},
		{"email:Ada@Example.org", Recipient{"email", "ada@example.org"}, false},
		{"bugzilla:dev@example.org", Recipient{"bugzilla", "dev@example.org"}, false},
		{"slack:U024BE7LH", Recipient{"slack", "U024BE7LH"}, false},
		{"discord:80351110224678912", Recipient{"discord", "80351110224678912"}, false},
		{" github:octocat ", Recipient{"github", "octocat"}, false},
		{"octocat", Recipient{}, true},
		{"github:", Recipient{}, true},
		{":octocat", Recipient{}, true},
		{"github:-bad", Recipient{"github", "-bad"}, true},
		{"github:a--b", Recipient{"github", "a--b"}, true},
		{"email:not-an-address", Recipient{"email", "not-an-address"}, true},
		{"email:Ada <ada@example.org>", Recipient{"email", "ada <ada@example.org>"}, true},
		{"slack:u024", Recipient{"slack", "u024"}, true},
		{"discord:abc", Recipient{"discord", "abc"}, true},
		{"myspace:tom", Recipient{"myspace", "tom"}, true},
	}
	for _, tt := range tests {
		got, err := ParseRecipient(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseRecipient(%q) error = %v, want error %t", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("ParseRecipient(%q) code = %q, want %q", tt.in, ErrorCode(err), EINVALID)
		}
		if got != tt.want {
			t.Errorf("ParseRecipient(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestRecipientEmail(t *testing.T) {
	for _, tt := range []struct {
		r    Recipient
		want bool
	}{
		{Recipient{PlatformEmail, "a@example.org"}, true},
		{Recipient{PlatformBugzilla, "a@example.org"}, true},
		{Recipient{PlatformGitHub, "a"}, false},
	} {
		if _, ok := tt.r.Email(); ok != tt.want {
			t.Errorf("%v.Email() ok = %t, want %t", tt.r, ok, tt.want)
		}
	}
}
