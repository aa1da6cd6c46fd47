package main

import (
	"context"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/badgebot/badgebot/integrations/console"
)

// runDigest is `badgebot digest [--dry-run] [--force]`: this period's
// digest now, posted to every enabled announce channel once per period
// (across restarts and a running server) unless --force. A dry run prints
// it and posts nothing. What it queues is delivered before it exits.
func runDigest(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("digest", false)
	var opts jobs.DigestOptions
	fs.BoolVar(&opts.DryRun, "dry-run", false, "print the digest; post and record nothing")
	fs.BoolVar(&opts.Force, "force", false, "post even if this period's digest was posted")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	js, err := app.scheduled()
	if err != nil {
		return err
	}
	out, err := js.digester.Run(ctx, opts)
	if err != nil {
		return err
	}
	if out.Digest != nil {
		c.printf("%s\n\n", console.Render(js.digester.Message(out.Digest, bot.PlatformConsole)))
	}
	if opts.DryRun {
		switch {
		case out.Skipped == jobs.DigestEmpty:
			c.printf("dry run: nothing to report for %s; a real run would post nothing\n", out.Week)
		case out.Skipped == jobs.DigestNoChannel:
			c.printf("dry run: no announce channel is set up; a real run would post nothing\n")
		case out.AlreadyPosted && !opts.Force:
			c.printf("dry run: the digest for %s was posted already; a real run would post it again only with --force\n", out.Week)
		case out.AlreadyPosted:
			c.printf("dry run: the digest for %s was posted already; with --force a real run would post it again to %d %s; nothing was posted\n",
				out.Week, len(out.Out), plural(len(out.Out), "channel"))
		default:
			c.printf("dry run: the digest for %s would be posted to %d %s; nothing was posted\n", out.Week, len(out.Out), plural(len(out.Out), "channel"))
		}
		return nil
	}
	app.DeliverNow(ctx)
	c.printf("%s\n", out.Sentence())
	return nil
}
