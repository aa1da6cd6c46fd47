package console

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/internal/golden"
	"github.com/google/go-cmp/cmp"
)

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), []byte(got))
}

var (
	review = bot.Message{
		Title: "Nomination: First Pull Request",
		Text:  "{{console:ada}} nominated {{github:octocat}} for First Pull Request.",
		Fields: []bot.Field{
			{Label: "Reason", Value: "Landed the parser rewrite"},
			{Label: "Approvals", Value: "0 of 1"},
		},
		Buttons: []bot.Button{
			{Label: "Approve", Action: "approve", Value: "42", Style: "primary"},
			{Label: "Reject", Action: "reject", Value: "42", Style: "danger"},
		},
		Link:     "https://badges.example.org/badges/first-pr",
		Mentions: map[string]string{"console:ada": "Ada", "github:octocat": "The Octocat"},
	}
	announcement = bot.Message{
		Title:  "New badge: First Pull Request",
		Text:   "{{email:mona@example.org}} earned the First Pull Request badge! {{slack:U024BE7LH}} and {{bob}} cheered.",
		Fields: []bot.Field{{Label: "Evidence", Value: "octo/hello#1", URL: "https://github.com/octo/hello/pull/1"}, {Label: "Link only", URL: "https://x.org"}},
		Link:   "https://badges.example.org/awards/k3v9xq2mfa7d",
		Image:  "https://badges.example.org/badges/first-pr/image.png",
	}
)

func TestRenderGolden(t *testing.T) {
	var b strings.Builder
	for _, m := range []bot.Message{review, announcement, {Text: "Plain reply.\nSecond line."}, {}} {
		b.WriteString(Render(m) + "\n---\n")
	}
	goldenFile(t, "render.golden", b.String())
}

// fakeRouter answers with canned replies and records what it got.
type fakeRouter struct {
	mu       sync.Mutex
	commands []bot.Command
	clicks   []bot.Click
}

func (f *fakeRouter) Handle(_ context.Context, c bot.Command) bot.Reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commands = append(f.commands, c)
	if c.Text == "review" {
		return bot.Reply{Message: review, Private: true}
	}
	return bot.Reply{Message: bot.Message{Text: "You typed: " + c.Text}, Private: true}
}

func (f *fakeRouter) Click(_ context.Context, c bot.Click) bot.Reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clicks = append(f.clicks, c)
	decided := bot.Message{Title: "Nomination approved", Text: "Approved by {{" + c.Caller.String() + "}}."}
	return bot.Reply{Message: bot.Message{Text: "Approved."}, Update: &decided, Private: true}
}

func TestSessionGolden(t *testing.T) {
	in := strings.Join([]string{
		"review",
		"  /badge   list  ",
		"/BADGE mine",
		"/badgemine",
		"",
		"# a comment",
		"!click approve 42",
		"!click approve",
		"!as console:olive Olive Tree",
		"!click reject 42",
		"!as nobody",
		"!as",
		"!",
		"!dance",
		"!quit",
		"never read",
	}, "\n")
	var out strings.Builder
	r := &fakeRouter{}
	c := New(strings.NewReader(in), &out, bot.Recipient{Platform: bot.PlatformConsole, ID: "ada"}, "Ada", r)
	if err := c.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	goldenFile(t, "session.golden", out.String())

	var texts []string
	for _, cmd := range r.commands {
		if cmd.Platform != bot.PlatformConsole || cmd.Channel != Channel || cmd.Caller.String() != "console:ada" || cmd.CallerName != "Ada" {
			t.Errorf("command %+v: want console:ada (Ada) in the console channel", cmd)
		}
		texts = append(texts, cmd.Text)
	}
	if diff := cmp.Diff([]string{"review", "list", "mine", "/badgemine"}, texts); diff != "" {
		t.Errorf("command texts (-want +got):\n%s", diff)
	}
	want := []bot.Click{
		{Platform: bot.PlatformConsole, Caller: bot.Recipient{Platform: bot.PlatformConsole, ID: "ada"}, CallerName: "Ada", Action: "approve", Value: "42", Channel: Channel},
		{Platform: bot.PlatformConsole, Caller: bot.Recipient{Platform: bot.PlatformConsole, ID: "olive"}, CallerName: "Olive Tree", Action: "reject", Value: "42", Channel: Channel},
	}
	if diff := cmp.Diff(want, r.clicks); diff != "" {
		t.Errorf("clicks (-want +got):\n%s", diff)
	}
}

func TestPlatform(t *testing.T) {
	var out strings.Builder
	c := New(strings.NewReader(""), &out, bot.Recipient{Platform: bot.PlatformConsole, ID: "ada"}, "Ada", &fakeRouter{})
	if c.Name() != bot.PlatformConsole {
		t.Errorf("Name() = %q", c.Name())
	}
	ctx := context.Background()
	id1, err := c.Post(ctx, "general", announcement)
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := c.Post(ctx, "reviews", review)
	if id1 != "console-1" || id2 != "console-2" {
		t.Errorf("message ids %q, %q", id1, id2)
	}
	if err := c.Update(ctx, "reviews", id2, bot.Message{Title: "Nomination approved: First Pull Request"}); err != nil {
		t.Fatal(err)
	}
	goldenFile(t, "platform.golden", out.String())
}

func TestRunEndsWithContext(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	var out strings.Builder
	c := New(pr, &out, bot.Recipient{Platform: bot.PlatformConsole, ID: "ada"}, "Ada", &fakeRouter{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
}

// Text with terminal escape sequences (a pull request title, a reason)
// reaches the console without its control characters; the console has no
// markup, so Slack's and Discord's syntax shows as typed.
func TestRenderHostile(t *testing.T) {
	m := bottest.HostileMessage(bot.PlatformConsole)
	m.Text += "\x1b]0;pwned\x07\x1b[2J\x1b[1A\rcleared\x9b31m"
	got := Render(m)
	if strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 && r != '\n' || r >= 0x7f && r < 0xa0 }) {
		t.Errorf("control characters reach the terminal: %q", got)
	}
	if !strings.Contains(got, bottest.Hostile[:40]) {
		t.Errorf("the text itself is not shown as typed: %q", got)
	}
}
