package main

import (
	"context"
	"errors"
	"strings"

	"github.com/badgebot/badgebot/bot"
)

func runAward(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("award", true)
	var badge, narrative string
	var to, evidence stringList
	fs.StringVar(&badge, "badge", "", "badge slug")
	fs.Var(&to, "to", "RECIPIENT as PLATFORM:ID (repeatable: one award each)")
	fs.Var(&evidence, "evidence", "evidence URL (repeatable)")
	fs.StringVar(&narrative, "narrative", "", "why it is awarded")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if badge == "" || len(to) == 0 {
		return usagef("award: --badge and --to are required")
	}
	var recs []bot.Recipient
	for _, t := range to {
		rec, err := bot.ParseRecipient(t)
		if err != nil {
			return err
		}
		recs = append(recs, rec)
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	results := awardEach(cliOrigin(ctx), app.Service, recs, func(rec bot.Recipient) bot.AwardRequest {
		req := bot.AwardRequest{Badge: badge, To: rec, Narrative: narrative, Source: bot.SourceManual, By: bot.ViaCLI, Via: bot.ViaCLI}
		for _, u := range evidence {
			req.Evidence = append(req.Evidence, bot.Evidence{URL: u, Name: u})
		}
		return req
	})
	for i, r := range results {
		if errors.Is(r.Err, bot.ErrNoEvidence) {
			results[i].Err = bot.Errorf(bot.EINVALID, "award: add --narrative TEXT saying why %s gets it, or --evidence URL linking the work", r.To)
		}
	}
	app.DeliverNow(ctx)
	return c.printAwardResults(app.Service, results)
}

func runAwardsList(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("awards list", true)
	var f bot.AwardFilter
	var to string
	fs.StringVar(&f.Badge, "badge", "", "only this badge")
	fs.StringVar(&to, "to", "", "only this RECIPIENT's person")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if to != "" {
		r, err := bot.ParseRecipient(to)
		if err != nil {
			return err
		}
		f.Recipient = r
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	if f.Badge != "" {
		if _, err := app.DB.Badge(ctx, f.Badge); err != nil {
			return bot.Errorf(bot.ENOTFOUND, "no badge %q (see `badgebot badge list`)", f.Badge)
		}
	}
	awards, err := app.DB.Awards(ctx, f)
	if err != nil {
		return err
	}
	if c.json {
		out := make([]awardJSON, 0, len(awards))
		for _, a := range awards {
			out = append(out, toAwardJSON(app.Service, a, false))
		}
		if err := app.withAudit(ctx, out, awards); err != nil {
			return err
		}
		return c.printJSON(out)
	}
	if len(awards) == 0 {
		c.printf("no awards\n")
	}
	for _, a := range awards {
		state := ""
		if a.Revoked {
			state = "  (revoked by " + a.RevokedBy + ": " + a.RevocationReason + ")"
		}
		by := a.AwardedBy
		if a.Via != "" {
			by += " via " + a.Via
		}
		c.printf("%s  %-16s %-28s %s  by %s%s\n", a.ID, a.Badge, a.Recipient, a.IssuedAt.Format("2006-01-02"), by, state)
	}
	return nil
}

func runRevoke(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("revoke", true)
	var reason string
	fs.StringVar(&reason, "reason", "", "why it is revoked")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("revoke: want one AWARD_ID")
	}
	if strings.TrimSpace(reason) == "" {
		return usagef("revoke: --reason is required")
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	a, err := app.Service.Revoke(cliOrigin(ctx), pos[0], reason, bot.ViaCLI)
	if err != nil {
		return err
	}
	app.DeliverNow(ctx)
	if c.json {
		return c.printJSON(toAwardJSON(app.Service, a, false))
	}
	c.printf("revoked award %s (%s of %s): %s\n", a.ID, a.Badge, a.Recipient, reason)
	return nil
}

func runLink(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("link", true)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("link: want two RECIPIENTs, e.g. link github:octocat slack:U024BE7LH")
	}
	a, err := bot.ParseRecipient(pos[0])
	if err != nil {
		return err
	}
	b, err := bot.ParseRecipient(pos[1])
	if err != nil {
		return err
	}
	if a == b {
		return bot.Errorf(bot.EINVALID, "link: the two identities are the same")
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	p, err := app.Linker.Link(cliOrigin(ctx), a, b)
	if err != nil {
		return err
	}
	c.printf("linked %s and %s: person %s\n", a, b, p.Handle)
	return nil
}

// cliOrigin marks what a command does as done by an administrator on the
// command line, for the audit trail.
func cliOrigin(ctx context.Context) context.Context {
	return bot.WithOrigin(ctx, bot.Origin{By: bot.ViaCLI, Via: bot.ViaCLI})
}
