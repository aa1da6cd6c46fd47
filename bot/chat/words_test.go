package chat_test

import (
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

// An award by hand with a link names the link by itself: the evidence has
// no name of its own, so that the announcement reads "Evidence: <link>"
// on every platform, not "Evidence: Evidence <link>".
func TestAwardEvidenceWords(t *testing.T) {
	e := newEnv(t)
	wantText(t, e.Cmd(owner, "award @slack:U0BOB first-pr https://github.com/octo/hello/pull/1 landed the parser"), "Awarded")
	as := e.Awards(bob)
	if len(as) != 1 {
		t.Fatalf("awards of bob: %d", len(as))
	}
	if diff := cmp.Diff([]bot.Evidence{{URL: "https://github.com/octo/hello/pull/1"}}, as[0].Evidence); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	e.Deliver()
	posts := postsTo(e.Slack, "C0ANNOUNCE")
	if len(posts) != 1 {
		t.Fatalf("announcements: %d, want 1", len(posts))
	}
	want := []bot.Field{
		{Label: "Evidence", URL: "https://github.com/octo/hello/pull/1"},
		{Label: "Why", Value: "landed the parser"},
	}
	if diff := cmp.Diff(want, posts[0].Message.Fields); diff != "" {
		t.Errorf("announcement fields (-want +got):\n%s", diff)
	}
}
