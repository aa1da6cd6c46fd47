package chat_test

import (
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/bot/internal/testenv"
	"github.com/badgebot/badgebot/issuer"
)

// TestProgramCommands pins list, list PROGRAM, leaderboard PROGRAM and
// progress PROGRAM with two programs: docs, holding first-pr and a badge
// of its own, and forum, holding nothing yet.
func TestProgramCommands(t *testing.T) {
	e := newEnv(t)
	e.Svc.Programs = []bot.Program{{Slug: "docs", Name: "Docs Team"}, {Slug: "forum", Name: "Support Forum"}}
	for _, p := range e.Svc.Programs {
		if _, err := e.Svc.Signer.(*issuer.Issuer).AddProgram(issuer.Program{Slug: p.Slug, Name: p.Name}); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []*bot.Badge{
		bottest.Badge("first-pr", "First Pull Request", bottest.Recipient(t, owner)),
		bottest.Badge("docs-star", "Docs Star", bottest.Recipient(t, owner)),
	} {
		b.Program = "docs"
		if err := e.Svc.SaveBadge(e.Ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	s := testenv.NewScrubber(e.DB)
	var out strings.Builder
	for _, line := range []struct{ who, text string }{
		{ada, "list"},
		{ada, "list docs"},
		{ada, "list DOCS"},
		{ada, "list forum"},
		{ada, "list nosuch"},
		{owner, "award @slack:U0ADA docs-star https://docs.example.org/install"},
		{owner, "award @slack:U0BOB docs-star https://docs.example.org/faq"},
		{admin, "award @slack:U0ADA helper thanks"},
		{ada, "leaderboard"},
		{ada, "leaderboard docs"},
		{ada, "leaderboard forum"},
		{ada, "leaderboard nosuch"},
		{bob, "progress docs"},
		{bob, "progress first-pr"},
	} {
		r := e.Cmd(line.who, line.text)
		out.WriteString(names[line.who] + "> " + line.text + "\n" + s.Scrub(t, textOf(r)) + "\n\n")
	}
	goldenFile(t, "programs.golden", out.String())
	for _, a := range e.Awards(ada) {
		if want := map[string]string{"docs-star": "docs", "helper": ""}[a.Badge]; a.Program != want {
			t.Errorf("award of %s: program %q, want %q", a.Badge, a.Program, want)
		}
	}
}
