package main

import (
	"context"
	"strings"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

func runBadgeCreate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("badge create", true)
	var b bot.Badge
	var image string
	var owners stringList
	fs.StringVar(&b.Slug, "slug", "", "badge slug")
	fs.StringVar(&b.Name, "name", "", "badge name")
	fs.StringVar(&b.Description, "description", "", "what the badge means")
	fs.StringVar(&b.Criteria, "criteria", "", "how to earn it")
	fs.StringVar(&image, "image", "", "PNG or SVG artwork")
	fs.StringVar(&b.Program, "program", "", "slug of the [[programs]] entry that issues it, whose owners own it too (default: the instance)")
	fs.Var(&owners, "owner", "PLATFORM:ID who approves nominations (repeatable)")
	fs.IntVar(&b.Approvals, "approvals", 1, "approvals a nomination needs")
	fs.BoolVar(&b.Repeatable, "repeatable", false, "may one person hold it more than once")
	fs.BoolVar(&b.Nominations, "nominations", true, "may members nominate for it")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"--slug", b.Slug}, {"--name", b.Name}, {"--description", b.Description}, {"--criteria", b.Criteria}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return usagef("badge create: missing %s", strings.Join(missing, ", "))
	}
	for _, o := range owners {
		r, err := bot.ParseRecipient(o)
		if err != nil {
			return err
		}
		b.Owners = append(b.Owners, r)
	}
	if image != "" {
		img, typ, err := config.ReadImage(image)
		if err != nil {
			return err
		}
		b.Image, b.ImageType = img, typ
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.addProgramOwners(&b); err != nil {
		return err
	}
	if _, err := app.DB.Badge(ctx, b.Slug); err == nil {
		return bot.Errorf(bot.ECONFLICT, "badge %q exists already", b.Slug)
	}
	if err := app.Service.SaveBadge(ctx, &b); err != nil {
		return err
	}
	if c.json {
		return c.printJSON(toBadgeJSON(app.Config.Server.PublicURL, &b))
	}
	c.printf("created badge %s (%s)\n  %s/badges/%s\n", b.Slug, b.Name, app.Config.Server.PublicURL, b.Slug)
	return nil
}

func runBadgeList(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("badge list", true)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	badges, err := app.DB.Badges(ctx)
	if err != nil {
		return err
	}
	if c.json {
		out := make([]badgeJSON, 0, len(badges))
		for _, b := range badges {
			out = append(out, toBadgeJSON(app.Config.Server.PublicURL, b))
		}
		return c.printJSON(out)
	}
	if len(badges) == 0 {
		c.printf("no badges yet: add [[badges]] to the config or run `badgebot badge create`\n")
	}
	for _, b := range badges {
		c.printf("%-20s %s\n", b.Slug, b.Name)
	}
	return nil
}

func runBadgeShow(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("badge show", true)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("badge show: want one SLUG")
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	b, err := app.DB.Badge(ctx, pos[0])
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return bot.Errorf(bot.ENOTFOUND, "no badge %q (see `badgebot badge list`)", pos[0])
	} else if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(toBadgeJSON(app.Config.Server.PublicURL, b))
	}
	c.printf("%s — %s\n%s\nCriteria: %s\n", b.Slug, b.Name, b.Description, b.Criteria)
	if b.Program != "" {
		c.printf("Program: %s\n", b.Program)
	}
	var owners []string
	for _, o := range b.Owners {
		owners = append(owners, o.String())
	}
	if len(owners) > 0 {
		c.printf("Owners: %s\n", strings.Join(owners, ", "))
	}
	c.printf("Approvals: %d  Repeatable: %t  Nominations: %t\nURL: %s/badges/%s\n",
		b.Approvals, b.Repeatable, b.Nominations, app.Config.Server.PublicURL, b.Slug)
	return nil
}
