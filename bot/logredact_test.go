package bot

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRedactingHandler(t *testing.T) {
	var buf strings.Builder
	log := slog.New(NewRedactingHandler(slog.NewTextHandler(&buf, nil)))
	log = log.With("caller", "slack:U0ADA", "who", "bob@example.org")
	log.WithGroup("req").Info("lookup of dave@example.org failed",
		"path", "/people/email:erin%40example.org",
		"err", errors.New(`person "bugzilla:frank@example.org": not found`),
		slog.Group("identity", "id", Recipient{Platform: PlatformBugzilla, ID: "gina@example.org"}),
		"github", Recipient{Platform: PlatformGitHub, ID: "octocat"},
		"count", 3)
	got := buf.String()
	if a := FindEmail(got); a != "" {
		t.Errorf("the log shows %q:\n%s", a, got)
	}
	for _, want := range []string{"caller=slack:U0ADA", "req.github=github:octocat", "req.count=3", "bugzilla:[address hidden]", "lookup of [address hidden] failed"} {
		if !strings.Contains(got, want) {
			t.Errorf("the log lacks %q:\n%s", want, got)
		}
	}

	// A record whose only address is in its last value, and one without
	// any, which goes on as it is.
	buf.Reset()
	log = slog.New(NewRedactingHandler(slog.NewTextHandler(&buf, nil)))
	log.Info("award made", "award", "abc", "to", Recipient{Platform: PlatformGitHub, ID: "octocat"}, "n", 1,
		"err", errors.New("mail to ivan@example.org bounced"))
	log.Info("award made", "award", "def", "to", Recipient{Platform: PlatformBugzilla, ID: "judy@example.org"})
	log.Info("award made", "award", "ghi", "to", Recipient{Platform: PlatformGitHub, ID: "octocat"}, "n", 2)
	got = buf.String()
	if a := FindEmail(got); a != "" {
		t.Errorf("the log shows %q:\n%s", a, got)
	}
	for _, want := range []string{`award=abc to=github:octocat n=1 err="mail to [address hidden] bounced"`,
		`award=def to="bugzilla:[address hidden]"`, "award=ghi to=github:octocat n=2\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("the log lacks %q:\n%s", want, got)
		}
	}
}
