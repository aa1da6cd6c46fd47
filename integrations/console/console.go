// Package console is the chat adapter over a terminal (`badgebot chat`)
// or over buffers in tests: each input line is a command, as a Slack user
// types it after /badge; replies and announcements are printed as plain
// text. Lines starting with "!" drive the console itself: "!click ACTION
// VALUE" presses a button, "!as PLATFORM:ID [NAME]" switches who is
// typing, "!quit" ends the session.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/badgebot/badgebot/bot"
)

// Router answers chat commands and button clicks; *chat.Router implements
// it.
type Router interface {
	Handle(ctx context.Context, c bot.Command) bot.Reply
	Click(ctx context.Context, c bot.Click) bot.Reply
}

// Channel is the channel commands typed in the console come from.
const Channel = "console"

// maxLine caps one input line.
const maxLine = 64 << 10

// Console is one console chat session. It is also the "console"
// bot.Platform, so announcements queued for it are printed to the same
// output. Its methods are safe for concurrent use.
type Console struct {
	in     io.Reader
	router Router

	mu   sync.Mutex // guards out, as, name and seq
	out  io.Writer
	as   bot.Recipient
	name string
	seq  int
}

var _ bot.Platform = (*Console)(nil)

// New returns a Console reading commands from in and printing to out,
// typing as the identity as with display name name.
func New(in io.Reader, out io.Writer, as bot.Recipient, name string, router Router) *Console {
	return &Console{in: in, out: out, as: as, name: name, router: router}
}

// Name returns bot.PlatformConsole.
func (c *Console) Name() string { return bot.PlatformConsole }

// Post prints an announcement: "[announce #CHANNEL] " and the message.
// It returns the message's id, "console-1", "console-2"…
func (c *Console) Post(_ context.Context, channel string, m bot.Message) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	id := fmt.Sprintf("console-%d", c.seq)
	c.printLocked("[announce #"+channel+"] ", m)
	return id, nil
}

// Update prints the new version of a message posted before:
// "[update #CHANNEL ID] " and the message.
func (c *Console) Update(_ context.Context, channel, messageID string, m bot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.printLocked("[update #"+channel+" "+messageID+"] ", m)
	return nil
}

// Run reads and answers commands until the input ends, "!quit" is typed
// or ctx ends. A line still being read when ctx ends is abandoned (stdin
// cannot be interrupted).
func (c *Console) Run(ctx context.Context) error {
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(c.in)
		sc.Buffer(make([]byte, 0, 4096), maxLine)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errc <- sc.Err()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if err != nil {
				return fmt.Errorf("console: read: %w", err)
			}
			return nil
		case line := <-lines:
			if quit := c.line(ctx, line); quit {
				return nil
			}
		}
	}
}

// line handles one input line and reports whether the session ends.
func (c *Console) line(ctx context.Context, line string) bool {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return false
	}
	if rest, ok := strings.CutPrefix(line, "!"); ok {
		return c.consoleCommand(ctx, rest)
	}
	if rest, ok := cutWord(line, "/badge"); ok {
		line = rest
	}
	c.mu.Lock()
	cmd := bot.Command{Platform: bot.PlatformConsole, Caller: c.as, CallerName: c.name, Channel: Channel, Text: line}
	c.mu.Unlock()
	c.reply(c.router.Handle(ctx, cmd))
	return false
}

// consoleCommand runs a "!" line.
func (c *Console) consoleCommand(ctx context.Context, s string) bool {
	f := strings.Fields(s)
	if len(f) == 0 {
		c.say(usage)
		return false
	}
	switch strings.ToLower(f[0]) {
	case "quit", "exit":
		return true
	case "click":
		if len(f) != 3 {
			c.say("Type !click ACTION VALUE, e.g. !click approve 42.")
			return false
		}
		c.mu.Lock()
		click := bot.Click{Platform: bot.PlatformConsole, Caller: c.as, CallerName: c.name,
			Action: f[1], Value: f[2], Channel: Channel}
		c.mu.Unlock()
		c.reply(c.router.Click(ctx, click))
	case "as":
		if len(f) < 2 {
			c.say("Type !as PLATFORM:ID [NAME], e.g. !as console:ada Ada.")
			return false
		}
		r, err := bot.ParseRecipient(f[1])
		if err != nil {
			c.say(bot.ErrorMessage(err) + ".")
			return false
		}
		c.mu.Lock()
		c.as, c.name = r, strings.Join(f[2:], " ")
		c.mu.Unlock()
		c.say("You are now " + r.String() + ".")
	default:
		c.say(usage)
	}
	return false
}

const usage = "Console commands: !click ACTION VALUE, !as PLATFORM:ID [NAME], !quit. Anything else is a badge command; type help."

// reply prints the router's reply and, for a click, the message it
// replaces the clicked one with.
func (c *Console) reply(r bot.Reply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if Render(r.Message) != "" {
		c.printLocked("", r.Message)
	}
	if r.Update != nil {
		c.printLocked("[updated] ", *r.Update)
	}
}

func (c *Console) say(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.printLocked("", bot.Message{Text: text})
}

// printLocked writes prefix and the rendered message, then a blank line.
// Call with mu held. Write errors are ignored: there is nowhere else to
// report them.
func (c *Console) printLocked(prefix string, m bot.Message) {
	text := Render(m)
	if text == "" {
		text = "(empty message)"
	}
	fmt.Fprint(c.out, prefix+text+"\n\n")
}

// cutWord returns s without a leading word w (case-insensitive) and the
// spaces after it.
func cutWord(s, w string) (string, bool) {
	if len(s) < len(w) || !strings.EqualFold(s[:len(w)], w) {
		return s, false
	}
	rest := s[len(w):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return s, false
	}
	return strings.TrimSpace(rest), true
}
