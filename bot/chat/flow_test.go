package chat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/bot/chat"
	"github.com/badgebot/badgebot/bot/internal/testenv"
	"github.com/badgebot/badgebot/integrations/console"
)

// routerRef lets the console be built before the router it talks to.
type routerRef struct{ r *chat.Router }

func (f *routerRef) Handle(ctx context.Context, c bot.Command) bot.Reply { return f.r.Handle(ctx, c) }
func (f *routerRef) Click(ctx context.Context, c bot.Click) bot.Reply    { return f.r.Click(ctx, c) }

// TestConsoleNominationFlow drives a whole nomination through the console
// adapter from buffers: the review goes to the Slack review channel (a
// recording platform) and, as a direct message, to the badge's console
// owner; the owner approves with !click; the award is announced on both
// platforms, the reviews are updated and the nominator is told. Then a
// rejection with a reason.
func TestConsoleNominationFlow(t *testing.T) {
	script := strings.Join([]string{
		"help nominate",
		"/badge nominate @console:bob console-hero wrote the console adapter",
		"nominate @console:ada console-hero me",
		"!as console:olive Olive",
		"!click approve 1",
		"!click approve 1",
		"!as console:bob Bob",
		"mine",
		"!as console:ada Ada",
		"/badge nominate @console:carol console-hero kind words",
		"!as console:olive Olive",
		"reject 2 keep going, not yet",
		"!frobnicate",
		"!quit",
		"help",
	}, "\n")
	var out strings.Builder
	ref := &routerRef{}
	con := console.New(strings.NewReader(script), &out, bottest.Recipient(t, "console:ada"), "Ada", ref)
	e := newEnv(t, func(c *envConfig) {
		c.Platforms = append(c.Platforms, con)
		c.Targets = []bot.Target{{Platform: bot.PlatformConsole, Channel: "general"}, {Platform: bot.PlatformSlack, Channel: "C0ANNOUNCE"}}
		c.SyncDelivery = true
	})
	ref.r = e.Router
	hero := bottest.Badge("console-hero", "Console Hero", bottest.Recipient(t, "console:olive"))
	if err := e.Svc.SaveBadge(e.Ctx, hero); err != nil {
		t.Fatal(err)
	}
	if err := con.Run(e.Ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	s := testenv.NewScrubber(e.DB)
	goldenFile(t, "console-flow.golden", s.Scrub(t, out.String()))

	// The Slack side: the review with buttons, then updated to the outcome.
	reviews := postsTo(e.Slack, "C0REVIEW")
	if len(reviews) != 2 || len(reviews[0].Message.Buttons) != 2 {
		t.Fatalf("Slack reviews %+v, want two with buttons", reviews)
	}
	updates := e.Slack.Updates()
	if len(updates) != 2 {
		t.Fatalf("Slack updates %+v, want both reviews decided", updates)
	}
	for i, want := range []string{"Nomination approved: Console Hero", "Nomination rejected: Console Hero"} {
		if updates[i].ID != reviews[i].ID || updates[i].Message.Title != want || len(updates[i].Message.Buttons) != 0 {
			t.Errorf("update %d = %+v, want %q on %s without buttons", i, updates[i], want, reviews[i].ID)
		}
	}
	// Console Hero, and Appreciated: its rule counts approved nominations.
	var titles []string
	for _, p := range postsTo(e.Slack, "C0ANNOUNCE") {
		titles = append(titles, p.Message.Title)
	}
	if strings.Join(titles, ", ") != "New badge: Console Hero, New badge: Appreciated" {
		t.Errorf("Slack announcements %q", titles)
	}
	var held []string
	for _, a := range e.Awards("console:bob") {
		held = append(held, a.Badge+" by "+a.AwardedBy)
	}
	if strings.Join(held, ", ") != "appreciated by badgebot, console-hero by console:olive" &&
		strings.Join(held, ", ") != "console-hero by console:olive, appreciated by badgebot" {
		t.Errorf("Bob's awards %q", held)
	}
	if n := e.Nomination(2); n.Status != bot.NominationRejected || n.DecisionReason != "keep going, not yet" {
		t.Errorf("nomination 2: %+v", n)
	}
	// Everything queued was delivered.
	due, err := e.DB.DueAnnouncements(e.Ctx, e.Clock.Now().AddDate(1, 0, 0), 0)
	if err != nil || len(due) != 0 {
		t.Errorf("undelivered announcements: %+v, %v", due, err)
	}
}

// TestAwardCleansControlCharacters: text that comes in with control
// characters (a pull request title, a nomination reason, a badge) is
// stored and signed without them, so every form of the award agrees and
// the signature verifies elsewhere.
func TestAwardCleansControlCharacters(t *testing.T) {
	e := newEnv(t)
	b := bottest.Badge("bell", "Bell\x07 Ringer")
	b.Criteria = "Ring\x00 it"
	if err := e.Svc.SaveBadge(e.Ctx, b); err != nil {
		t.Fatal(err)
	}
	a, err := e.Svc.Award(e.Ctx, bot.AwardRequest{
		Badge: "bell", To: bottest.Recipient(t, "github:octocat"), Source: bot.SourceManual,
		Narrative: "rang\x07 it\ttwice", Evidence: []bot.Evidence{{URL: "https://github.com/o/r/pull/1", Name: "Fix\f#1\x01", Genre: "Pull request"}},
	})
	if err != nil {
		t.Fatalf("Award: %v", err)
	}
	stored, err := e.DB.Badge(e.Ctx, "bell")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Name != "Bell Ringer" || stored.Criteria != "Ring it" {
		t.Errorf("stored badge %q, %q", stored.Name, stored.Criteria)
	}
	if a.Narrative != "rang it\ttwice" || a.Evidence[0].Name != "Fix#1" {
		t.Errorf("award narrative %q, evidence %q", a.Narrative, a.Evidence[0].Name)
	}
	// JSON writes them as \u0007, \u0000, \u0001 and \f.
	if cred := string(a.Credential); strings.Contains(cred, `\u000`) || strings.Contains(cred, `\f`) || !strings.Contains(cred, "Bell Ringer") {
		t.Errorf("credential holds control characters or lost the text:\n%s", a.Credential)
	}
}
