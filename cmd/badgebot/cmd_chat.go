package main

import (
	"context"
	"log/slog"
	"os"
	"sync"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/integrations/console"
)

// runChatCommand is `badgebot chat [--as PLATFORM:ID]`: the console chat adapter.
// Commands are typed as a Slack user types them; replies, review messages
// and announcements print here; `!click ACTION VALUE` presses a button.
func runChatCommand(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("chat", false)
	var as, name string
	fs.StringVar(&as, "as", "", "who you are, PLATFORM:ID (default: the first admin, else console:USER)")
	fs.StringVar(&name, "name", "", "your display name")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	// The terminal is for the conversation: only errors are logged.
	c.log = newLogger(c.env.Stderr, slog.LevelError)
	app, err := c.openApp(ctx, func(a *App) { a.ConsoleChat = true })
	if err != nil {
		return err
	}
	defer app.Close()
	who, err := chatIdentity(as, app.Config.Admins)
	if err != nil {
		return err
	}
	if name == "" {
		name = who.ID
	}
	con := console.New(c.env.Stdin, c.env.Stdout, who, name, app.Router)
	app.AddPlatform(con, "general")
	c.printf("badgebot chat as %s. Type help for commands, !click ACTION VALUE to press a button, !quit to leave.\n", who)

	workCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { app.outboxWorker().Run(workCtx) })
	err = con.Run(ctx)
	app.DeliverNow(context.WithoutCancel(ctx))
	stop()
	wg.Wait()
	return err
}

// chatIdentity picks who types in the console.
func chatIdentity(as string, admins []string) (bot.Recipient, error) {
	switch {
	case as != "":
		return bot.ParseRecipient(as)
	case len(admins) > 0:
		return bot.ParseRecipient(admins[0])
	}
	user := os.Getenv("USER")
	if user == "" {
		user = "me"
	}
	r := bot.Recipient{Platform: bot.PlatformConsole, ID: user}
	if r.Validate() != nil {
		r.ID = "me"
	}
	return r, nil
}
