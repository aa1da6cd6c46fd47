package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/bot/chat"
	"github.com/badgebot/badgebot/bot/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

// TestRouterTranscript runs every command once or more and pins the
// replies, as the console renders them, in testdata/transcript.golden.
// "{award}" in a command stands for the newest award's id.
func TestRouterTranscript(t *testing.T) {
	e := newEnv(t)
	s := testenv.NewScrubber(e.DB)
	script := []struct{ who, text string }{
		{ada, "help"},
		{ada, "help nominate"},
		{ada, "list"},
		{ada, "show first-pr"},
		{ada, "show frist-pr"},
		{ada, "show First Pull Request"},
		{ada, "bogus"},
		{ada, "nominte @slack:U0BOB first-pr x"},
		{ada, "nominate @slack:U0BOB first-pr"},
		{ada, "mine"},
		{owner, "award @slack:U0ADA first-pr https://github.com/octo/hello/pull/1 landed the parser"},
		{owner, "award @slack:U0ADA first-pr again"},
		{owner, "award @slack:U0BOB helper"},
		{bob, "award @slack:U0ADA helper"},
		{ada, "mine"},
		{bob, "of @slack:U0ADA"},
		{bob, "of @ada"},
		{bob, "of slack:U0ADA"},
		{bob, "of @nobody"},
		{bob, "of @email:"},
		{ada, "progress"},
		{bob, "progress first-pr"},
		{bob, "why @slack:U0ADA first-pr"},
		{bob, "why @ada appreciated"},
		{ada, "link github octocat"},
		{ada, "link github not_a_login!"},
		{ada, "link myspace ada"},
		{ada, "leaderboard"},
		{ada, "settings"},
		{ada, "settings announce dm"},
		{ada, "settings"},
		{ada, "settings announce loud"},
		{ada, "settings colour blue"},
		{bob, "revoke {award} oops"},
		{admin, "revoke {award} awarded by mistake"},
		{admin, "revoke {award} twice"},
		{admin, "revoke nosuchaward x"},
		{ada, "mine"},
		{bob, "digest now"},
		{admin, "digest now"},
		{admin, "digest later"},
		{ada, "approve x"},
		{ada, "approve 99"},
	}
	var out strings.Builder
	for _, line := range script {
		text := line.text
		if strings.Contains(text, "{award}") {
			as, err := e.DB.Awards(e.Ctx, bot.AwardFilter{Limit: 1})
			if err != nil || len(as) == 0 {
				t.Fatalf("no award for %q: %v", text, err)
			}
			text = strings.ReplaceAll(text, "{award}", as[0].ID)
		}
		r := e.Cmd(line.who, text)
		if !r.Private {
			t.Errorf("%s: reply is public, want private", text)
		}
		out.WriteString(names[line.who] + "> " + s.Scrub(t, text) + "\n" + s.Scrub(t, textOf(r)) + "\n\n")
	}
	goldenFile(t, "transcript.golden", out.String())
}

func textOf(r bot.Reply) string { return text(r) }

func TestMentionForms(t *testing.T) {
	e := newEnv(t)
	if _, err := e.DB.EnsurePerson(e.Ctx, bottest.Recipient(t, ada), "Ada"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user string
		want string
	}{
		{"@slack:U0ADA", "Ada holds no badges yet"},
		{"slack:U0ADA", "Ada holds no badges yet"},
		{"@ada", "Ada holds no badges yet"},
		{"ADA", "Ada holds no badges yet"},
		{"@github:octocat", "octocat holds no badges yet"},
		{"@email:ada@example.org", "Only admins can look people up by e-mail address"},
		{"@nobody", "I don't know anyone called @nobody"},
		{"@slack:lowercase", "is not someone I can name"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			wantText(t, e.Cmd(bob, "of "+tc.user), tc.want)
		})
	}
}

func TestPermissions(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		who, text string
		want      string
	}{
		{bob, "award @slack:U0ADA first-pr", "Only the owners of First Pull Request and admins can award it."},
		{owner2, "award @slack:U0ADA first-pr", "Only the owners of First Pull Request and admins can award it."},
		{owner2, "award @slack:U0ADA helper answered the forum", "Helper needs 2 approvals"}, // owners nominate it
		{admin, "award @slack:U0ADA helper answered the forum", "Awarded Helper to @Ada"},
		{admin, "award @slack:U0BOB first-pr merged the parser", "Awarded First Pull Request to @Bob"},
		{owner, "revoke abcdefabcdef x", "Only admins can revoke awards."},
		{owner, "digest now", "Only admins can post the digest"},
	}
	for _, tc := range tests {
		r := e.Cmd(tc.who, tc.text)
		wantText(t, r, tc.want)
	}
}

func TestSettingsAnnounceIsRespected(t *testing.T) {
	e := newEnv(t)
	wantText(t, e.Cmd(ada, "settings announce off"), "Done: your new badges are announced nowhere (off).")
	wantText(t, e.Cmd(bob, "settings announce dm"), "by direct message")
	e.Cmd(owner, "award @slack:U0ADA first-pr merged the parser")
	e.Cmd(owner, "award @slack:U0BOB first-pr fixed the build")
	e.Deliver()
	if got := postsTo(e.Slack, "C0ANNOUNCE"); len(got) != 0 {
		t.Errorf("announce channel got %d posts, want none", len(got))
	}
	dm := postsTo(e.Slack, "U0BOB")
	if len(dm) != 1 || !strings.Contains(dm[0].Message.Title, "New badge") {
		t.Errorf("Bob's direct messages: %+v, want the award", dm)
	}
}

func TestLinkBugzillaByVerifiedEmail(t *testing.T) {
	e := newEnv(t)
	r := e.Router.Handle(e.Ctx, bot.Command{
		Platform: bot.PlatformSlack, Caller: bottest.Recipient(t, ada), CallerName: "Ada",
		Text: "link bugzilla Ada@Example.org", Email: "ada@example.org",
	})
	wantText(t, r, "Linked bugzilla:ada@example.org to you")
	p, err := e.DB.PersonByRecipient(e.Ctx, bottest.Recipient(t, "bugzilla:ada@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Identity(bot.PlatformSlack); !ok {
		t.Errorf("person %+v has no Slack identity after the link", p)
	}
	wantText(t, e.Cmd(ada, "link bugzilla ada@example.org"), "is linked to you already")
	// Another address is proven with a code.
	wantText(t, e.Cmd(ada, "link bugzilla other@example.org"), "post `badgebot-link-", "as a comment on any bug")
}

func TestDigestHook(t *testing.T) {
	calls := 0
	e := newEnv(t, func(c *envConfig) {
		c.Router.Digest = func(context.Context) (string, error) {
			calls++
			if calls > 1 {
				return "", errors.New("slack is down")
			}
			return "Digest for week 48 queued for 2 channels.", nil
		}
	})
	wantText(t, e.Cmd(admin, "digest now"), "Digest for week 48 queued for 2 channels.")
	wantText(t, e.Cmd(admin, "digest now"), "Sorry, something went wrong on my side.")
}

func TestHandleNeverPanics(t *testing.T) {
	r := chat.NewRouter(chat.RouterConfig{}) // no store: every lookup panics
	got := r.Handle(context.Background(), bot.Command{Platform: bot.PlatformSlack, Caller: bottest.Recipient(t, ada), Text: "mine"})
	wantText(t, got, "Sorry, something went wrong on my side.")
	got = r.Handle(context.Background(), bot.Command{Platform: bot.PlatformSlack, Text: "mine"})
	wantText(t, got, "I could not tell who you are")
	got = r.Click(context.Background(), bot.Click{Platform: bot.PlatformSlack, Caller: bottest.Recipient(t, ada), Action: "open", Value: "x"})
	wantText(t, got, "is not one I know")
}

func TestVerifiedEmailLinksIdentities(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Work done under a Bugzilla account and an e-mail address before the
	// chat user ever showed up.
	for to, badge := range map[string]string{"bugzilla:ada.l@example.org": "first-pr", "email:ada.l@example.org": "helper"} {
		r, _ := bot.ParseRecipient(to)
		if _, err := e.Svc.Award(ctx, bot.AwardRequest{Badge: badge, To: r, Source: bot.SourceManual, Narrative: "Fixed the build."}); err != nil {
			t.Fatal(err)
		}
	}
	caller := bot.Recipient{Platform: bot.PlatformSlack, ID: "U0ADAL"}
	e.Router.Handle(ctx, bot.Command{Platform: bot.PlatformSlack, Caller: caller, CallerName: "ada", Text: "mine", Email: "Ada.L@Example.org"})
	if as, err := e.DB.Awards(ctx, bot.AwardFilter{Recipient: caller}); err != nil || len(as) != 2 {
		t.Fatalf("awards of the Slack user = %d (%v), want both earlier awards", len(as), err)
	}
	// Without a verified address nothing is linked.
	other := bot.Recipient{Platform: bot.PlatformSlack, ID: "U0BOBL"}
	e.Router.Handle(ctx, bot.Command{Platform: bot.PlatformSlack, Caller: other, Text: "mine"})
	if as, _ := e.DB.Awards(ctx, bot.AwardFilter{Recipient: other}); len(as) != 0 {
		t.Errorf("awards of an unverified user = %d, want 0", len(as))
	}
}

// TestManualAwardCarriesEvidence: an award by hand says why and who
// vouches for it; without a reason it is refused before anything is signed.
func TestManualAwardCarriesEvidence(t *testing.T) {
	e := newEnv(t)
	wantText(t, e.Cmd(owner, "award @slack:U0ADA first-pr"), "Say why Ada gets First Pull Request", "/badge award @slack:U0ADA first-pr WHY")
	if n := len(e.Awards(ada)); n != 0 {
		t.Fatalf("Ada holds %d awards after an award without a reason", n)
	}
	wantText(t, e.Cmd(owner, "award @slack:U0ADA first-pr mentored three newcomers"), "Awarded First Pull Request to @Ada")
	as := e.Awards(ada)
	if len(as) != 1 {
		t.Fatalf("Ada holds %d awards, want 1", len(as))
	}
	want := []bot.Evidence{{Name: "Awarded by @olive", Narrative: "mentored three newcomers", Genre: "Award"}}
	if diff := cmp.Diff(want, as[0].Evidence); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	if as[0].Narrative != "mentored three newcomers" || as[0].Via != bot.PlatformSlack {
		t.Errorf("narrative %q via %q", as[0].Narrative, as[0].Via)
	}
	var cred struct {
		Evidence []struct {
			Name, Narrative string
		} `json:"evidence"`
	}
	if err := json.Unmarshal(as[0].Credential, &cred); err != nil || len(cred.Evidence) != 1 || cred.Evidence[0].Name != "Awarded by @olive" {
		t.Errorf("signed credential's evidence %+v, %v", cred.Evidence, err)
	}

	// The core refuses it too, whoever calls.
	for _, src := range []string{bot.SourceManual, bot.SourceAPI} {
		_, err := e.Svc.Award(e.Ctx, bot.AwardRequest{Badge: "helper", To: bottest.Recipient(t, bob), Source: src, By: "api"})
		if bot.ErrorCode(err) != bot.EINVALID || !strings.Contains(bot.ErrorMessage(err), "narrative") {
			t.Errorf("%s award without evidence: %v, want EINVALID naming the narrative", src, err)
		}
	}
}
