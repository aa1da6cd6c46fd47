package jobs_test

import (
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/internal/testenv"
	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/badgebot/badgebot/integrations/console"
)

// TestDigestPrograms: the week of digestEnv with helper in the docs
// program (digest off: a section of the instance's digest) and first-pr
// in the forum program (digest on: its own digest, in its Slack channel
// and the instance's channels elsewhere, and out of the instance's).
func TestDigestPrograms(t *testing.T) {
	e := digestEnv(t)
	e.Svc.Programs = []bot.Program{
		{Slug: "docs", Name: "Docs Team"},
		{Slug: "forum", Name: "Support Forum", Digest: true, Announce: []bot.Target{{Platform: bot.PlatformSlack, Channel: "C0FORUM"}}},
	}
	for slug, program := range map[string]string{"helper": "docs", "first-pr": "forum"} {
		b, err := e.DB.Badge(e.Ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		b.Program = program
		if err := e.Svc.SaveBadge(e.Ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	out, err := e.digester().Run(e.Ctx, jobs.DigestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Skipped != "" || out.Posted != 6 {
		t.Fatalf("outcome %+v: want the instance's digest and the forum's, on three platforms each", out)
	}
	sc := testenv.NewScrubber(e.DB)
	var channels []string
	for _, a := range out.Out {
		channels = append(channels, a.Platform+":"+a.Channel)
		if a.Platform != bot.PlatformConsole {
			continue
		}
		name := "digest/programs-instance.txt"
		if strings.Contains(a.Message.Title, "Support Forum") {
			name = "digest/programs-forum.txt"
		}
		goldenFile(t, name, sc.Scrub(t, console.Render(a.Message))+"\n")
	}
	want := "slack:C0ANNOUNCE discord:1100000000000000001 console:general slack:C0FORUM discord:1100000000000000001 console:general"
	if got := strings.Join(channels, " "); got != want {
		t.Errorf("posted to %s\nwant %s", got, want)
	}
}
