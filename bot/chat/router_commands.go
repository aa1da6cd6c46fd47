package chat

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/badgebot/badgebot/bot"
)

// maxListed caps the awards one reply lists.
const maxListed = 20

// list answers `list [PROGRAM]`: every badge, one line each, grouped by
// program when there are programs; or one program's badges.
func (r *Router) list(ctx context.Context, program string) (bot.Reply, error) {
	bs, err := r.cfg.Store.Badges(ctx)
	if err != nil {
		return bot.Reply{}, err
	}
	if program != "" {
		p, err := r.program(program)
		if err != nil {
			return bot.Reply{}, err
		}
		bs = programBadges(bs, p.Slug)
		if len(bs) == 0 {
			return say("%s has no badges yet.", bot.Plain(p.Name)), nil
		}
		var b strings.Builder
		writeBadgeLines(&b, bs, "")
		b.WriteString("Type `/badge show SLUG` for one, `/badge nominate @user SLUG REASON` to nominate someone.")
		return private(bot.Message{Title: fmt.Sprintf("%s badges (%d)", p.Name, len(bs)), Text: b.String(),
			Link: r.cfg.BaseURL + "/programs/" + p.Slug}), nil
	}
	if len(bs) == 0 {
		return say("There are no badges yet. Admins define them in the config ([[badges]]) or with `badgebot badge create`."), nil
	}
	var b strings.Builder
	if programs := r.cfg.Service.Programs; len(programs) == 0 {
		writeBadgeLines(&b, bs, "")
	} else {
		for _, p := range programs {
			if pb := programBadges(bs, p.Slug); len(pb) > 0 {
				fmt.Fprintf(&b, "%s (`/badge list %s`):\n", bot.Plain(p.Name), p.Slug)
				writeBadgeLines(&b, pb, "  ")
			}
		}
		if own := programBadges(bs, ""); len(own) > 0 {
			b.WriteString("Other badges:\n")
			writeBadgeLines(&b, own, "  ")
		}
	}
	b.WriteString("Type `/badge show SLUG` for one, `/badge nominate @user SLUG REASON` to nominate someone.")
	return private(bot.Message{Title: fmt.Sprintf("Badges (%d)", len(bs)), Text: b.String(), Link: r.cfg.BaseURL + "/badges"}), nil
}

// writeBadgeLines writes one line per badge, each after indent.
func writeBadgeLines(b *strings.Builder, bs []*bot.Badge, indent string) {
	for _, x := range bs {
		fmt.Fprintf(b, "%s%s: %s", indent, x.Slug, bot.Plain(x.Name))
		if !x.Nominations {
			b.WriteString(" (not open to nominations)")
		}
		b.WriteString("\n")
	}
}

// programBadges returns the badges of the program with the slug ("": the
// instance's own).
func programBadges(bs []*bot.Badge, program string) []*bot.Badge {
	var out []*bot.Badge
	for _, b := range bs {
		if b.Program == program {
			out = append(out, b)
		}
	}
	return out
}

// program returns the program a chat command names.
func (r *Router) program(slug string) (bot.Program, error) {
	if p, ok := r.cfg.Service.Program(strings.ToLower(slug)); ok {
		return p, nil
	}
	var names []string
	for _, p := range r.cfg.Service.Programs {
		names = append(names, p.Slug)
	}
	if len(names) == 0 {
		return bot.Program{}, bot.Errorf(bot.ENOTFOUND, "There are no programs here: every badge is the community's. Type `/badge list`.")
	}
	return bot.Program{}, bot.Errorf(bot.ENOTFOUND, "No program %q. The programs are: %s.", bot.Plain(slug), strings.Join(names, ", "))
}

// show answers `show SLUG`.
func (r *Router) show(ctx context.Context, slug string) (bot.Reply, error) {
	b, err := r.badge(ctx, slug)
	if err != nil {
		return bot.Reply{}, err
	}
	held, err := r.cfg.Store.Awards(ctx, bot.AwardFilter{Badge: b.Slug, Revoked: new(false)})
	if err != nil {
		return bot.Reply{}, err
	}
	m := bot.Message{
		Title: b.Name,
		Text:  bot.Plain(b.Description),
		Link:  r.cfg.BaseURL + "/badges/" + b.Slug,
		Image: r.cfg.BaseURL + "/badges/" + b.Slug + "/image.png",
		Fields: []bot.Field{
			{Label: "How to earn it", Value: bot.Plain(b.Criteria)},
			{Label: "Holders", Value: fmt.Sprint(len(held))},
		},
	}
	if b.Nominations {
		how := "Open: `/badge nominate @user " + b.Slug + " REASON`"
		if b.Approvals > 1 {
			how += fmt.Sprintf(" (needs %d approvals)", b.Approvals)
		}
		m.Fields = append(m.Fields, bot.Field{Label: "Nominations", Value: how})
	} else {
		m.Fields = append(m.Fields, bot.Field{Label: "Nominations", Value: "Closed: awarded by its rules or its owners"})
	}
	if len(b.Owners) > 0 {
		var names []string
		for _, o := range b.Owners {
			a, err := r.lookup(ctx, o, "")
			if err != nil {
				return bot.Reply{}, err
			}
			names = append(names, mentionKey(&m, a)) // named as everywhere else
		}
		m.Fields = append(m.Fields, bot.Field{Label: "Owners", Value: strings.Join(names, ", ")})
	}
	return private(m), nil
}

// award answers `award @user SLUG [EVIDENCE]`; bot.Nominations.AwardByHand
// says who may (owners and admins).
func (r *Router) award(ctx context.Context, c bot.Command, p parsedCommand) (bot.Reply, error) {
	to, err := r.resolveUser(ctx, c, p.arg(0))
	if err != nil {
		return bot.Reply{}, err
	}
	b, err := r.badge(ctx, p.arg(1))
	if err != nil {
		return bot.Reply{}, err
	}
	me, err := r.lookup(ctx, c.Caller, c.CallerName)
	if err != nil {
		return bot.Reply{}, err
	}
	req := bot.HandAward{By: me, To: to, Badge: b, Named: p.arg(0), Via: c.Platform}
	ev := strings.TrimSpace(p.rest)
	link, text, _ := strings.Cut(ev, " ")
	if u, err := url.Parse(link); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		req.Evidence = []bot.Evidence{{URL: u.String()}} // named by its link, not "Evidence: Evidence"
		ev = strings.TrimSpace(text)
	}
	req.Narrative = ev
	a, err := r.noms.AwardByHand(ctx, req)
	if err != nil {
		return bot.Reply{}, err
	}
	r.kick()
	m := bot.Message{Link: r.cfg.Service.AwardURL(a.ID)}
	m.Text = fmt.Sprintf("Awarded %s to %s (award %s). The announcement is on its way.", b.Name, mentionKey(&m, to), a.ID)
	return private(m), nil
}

// revoke answers `revoke AWARD_ID REASON`, for admins.
func (r *Router) revoke(ctx context.Context, c bot.Command, p parsedCommand) (bot.Reply, error) {
	me, err := r.lookup(ctx, c.Caller, c.CallerName)
	if err != nil {
		return bot.Reply{}, err
	}
	if !r.isAdmin(me) {
		return bot.Reply{}, bot.Errorf(bot.EFORBIDDEN, "Only admins can revoke awards.")
	}
	id := strings.ToLower(strings.TrimSpace(p.arg(0)))
	a, err := r.cfg.Store.Award(ctx, id)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return bot.Reply{}, bot.Errorf(bot.ENOTFOUND, "There is no award %q. The id is the last part of the award's URL; `/badge of @user` lists someone's awards.", bot.TruncateRunes(id, 40))
	} else if err != nil {
		return bot.Reply{}, err
	}
	if a.Revoked {
		return bot.Reply{}, bot.Errorf(bot.ECONFLICT, "Award %s was revoked already, on %s.", a.ID, a.RevokedAt.Format("2006-01-02"))
	}
	if _, err := r.cfg.Service.Revoke(ctx, id, p.rest, c.Caller.String()); err != nil {
		return bot.Reply{}, err
	}
	r.kick()
	holder, err := r.lookup(ctx, a.Recipient, "")
	if err != nil {
		return bot.Reply{}, err
	}
	m := bot.Message{Link: r.cfg.Service.AwardURL(a.ID)}
	m.Text = fmt.Sprintf("Revoked award %s (%s of %s).", a.ID, a.Badge, mentionKey(&m, holder))
	return private(m), nil
}

// holdings answers `mine` and `of @user`: the person's unrevoked awards.
func (r *Router) holdings(ctx context.Context, c bot.Command, who bot.Recipient, mine bool) (bot.Reply, error) {
	as, err := r.cfg.Store.Awards(ctx, bot.AwardFilter{Recipient: who, Revoked: new(false)})
	if err != nil {
		return bot.Reply{}, err
	}
	a, err := r.lookup(ctx, who, c.Names[who.String()])
	if err != nil {
		return bot.Reply{}, err
	}
	m := bot.Message{}
	if a.Person != nil {
		m.Link = r.cfg.BaseURL + "/people/" + url.PathEscape(a.Person.Handle)
	}
	if len(as) == 0 {
		m.Link = ""
		if mine {
			m.Text = "You hold no badges yet. Type `/badge list` to see what you can earn, `/badge progress` to see how close you are."
		} else {
			m.Text = fmt.Sprintf("%s holds no badges yet. Type `/badge nominate %s SLUG REASON` if they deserve one.", mentionKey(&m, a), "@"+who.String())
		}
		return private(m), nil
	}
	names, err := r.badgeNames(ctx)
	if err != nil {
		return bot.Reply{}, err
	}
	if mine {
		m.Title = fmt.Sprintf("Your badges (%d)", len(as))
	} else {
		m.Text = fmt.Sprintf("%s holds %d %s.", mentionKey(&m, a), len(as), bot.Plural(len(as), "badge", "badges"))
	}
	for i, aw := range as {
		if i == maxListed {
			m.Fields = append(m.Fields, bot.Field{Label: "…", Value: fmt.Sprintf("and %d more on the profile page", len(as)-maxListed)})
			break
		}
		name := names[aw.Badge]
		if name == "" {
			name = aw.Badge
		}
		m.Fields = append(m.Fields, bot.Field{Label: bot.Plain(name), Value: "since " + aw.IssuedAt.Format("2006-01-02"), URL: r.cfg.Service.AwardURL(aw.ID)})
	}
	return private(m), nil
}

// badgeNames maps slugs to names.
func (r *Router) badgeNames(ctx context.Context) (map[string]string, error) {
	bs, err := r.cfg.Store.Badges(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(bs))
	for _, b := range bs {
		names[b.Slug] = b.Name
	}
	return names, nil
}

// link answers `link github LOGIN` and `link bugzilla EMAIL`.
func (r *Router) link(ctx context.Context, c bot.Command, p parsedCommand) (bot.Reply, error) {
	service, account := strings.ToLower(p.arg(0)), strings.TrimSpace(p.arg(1))
	var target bot.Recipient
	switch service {
	case bot.PlatformGitHub:
		target = bot.Recipient{Platform: bot.PlatformGitHub, ID: strings.ToLower(strings.TrimPrefix(account, "@"))}
	case bot.PlatformBugzilla:
		target = bot.Recipient{Platform: bot.PlatformBugzilla, ID: strings.ToLower(strings.Trim(account, "<>"))}
	default:
		return bot.Reply{}, bot.Errorf(bot.EINVALID, "I can link a GitHub login or a Bugzilla e-mail address: type `/badge link github octocat` or `/badge link bugzilla ada@example.org`.")
	}
	if err := target.Validate(); err != nil {
		return bot.Reply{}, bot.Errorf(bot.EINVALID, "%q is not a valid %s account. Type e.g. `/badge link github octocat` or `/badge link bugzilla ada@example.org`.",
			bot.TruncateRunes(account, 60), service)
	}
	if r.cfg.Linker == nil {
		return bot.Reply{}, bot.Errorf(bot.EFORBIDDEN, "Linking accounts is not available on this badgebot.")
	}
	me, err := r.lookup(ctx, c.Caller, c.CallerName)
	if err != nil {
		return bot.Reply{}, err
	}
	if me.In([]bot.Recipient{target}) {
		return say("%s is linked to you already.", target), nil
	}
	// DESIGN §5: a Bugzilla address equal to the verified e-mail of the
	// caller's chat profile is linked at once.
	if email := strings.TrimSpace(c.Email); target.Platform == bot.PlatformBugzilla && email != "" && strings.EqualFold(email, target.ID) {
		if _, err := r.cfg.Store.EnsurePerson(ctx, c.Caller, c.CallerName); err != nil {
			return bot.Reply{}, err
		}
		if _, err := r.cfg.Linker.Link(ctx, c.Caller, target); err != nil {
			return bot.Reply{}, err
		}
		return say("Linked %s to you: it is the verified e-mail address of your chat profile. Your Bugzilla work now counts for your badges.", target), nil
	}
	// A second `link github LOGIN` reads the login's profile bio for the
	// code the first one gave.
	chk, err := r.cfg.Linker.CheckBio(ctx, c.Caller, target)
	switch {
	case err != nil:
		return bot.Reply{}, err
	case chk.Linked != nil:
		return say("Linked %s to you: its public profile bio shows your code. You may take the code out of the bio now; your GitHub work counts for your badges.", target), nil
	case chk.Code != nil:
		return say("The public profile bio of github.com/%s does not show `%s` yet. Put it there (github.com/settings/profile) and type `/badge link github %s` again, or post it as a comment in a watched repository. The code works until %s.",
			target.ID, chk.Code.Code, target.ID, chk.Code.ExpiresAt.UTC().Format("Mon 2 Jan 15:04 UTC")), nil
	}
	code, err := r.cfg.Linker.Start(ctx, c.Caller, target)
	if err != nil {
		return bot.Reply{}, err
	}
	return say("%s", code.Instructions(r.cfg.Repositories, r.cfg.Linker.Profiles != nil)), nil
}

// leaderboard answers `leaderboard [PROGRAM]`: the ten people with most
// badges, or most of one program's badges.
func (r *Router) leaderboard(ctx context.Context, program string) (bot.Reply, error) {
	title := "Leaderboard"
	var top []bot.LeaderboardEntry
	var err error
	if program != "" {
		p, perr := r.program(program)
		if perr != nil {
			return bot.Reply{}, perr
		}
		title += ": " + p.Name
		top, err = r.cfg.Store.ProgramLeaderboard(ctx, p.Slug, 10)
	} else {
		top, err = r.cfg.Store.Leaderboard(ctx, 10)
	}
	if err != nil {
		return bot.Reply{}, err
	}
	if len(top) == 0 {
		return say("Nobody holds a badge yet. Type `/badge nominate @user SLUG REASON` to change that."), nil
	}
	var b strings.Builder
	for i, e := range top {
		fmt.Fprintf(&b, "%d. %s: %d %s\n", i+1, bot.Plain(e.Handle), e.Awards, bot.Plural(e.Awards, "badge", "badges"))
	}
	return private(bot.Message{Title: title, Text: strings.TrimSuffix(b.String(), "\n")}), nil
}

// settings answers `settings` and `settings announce public|dm|off`.
func (r *Router) settings(ctx context.Context, c bot.Command, p parsedCommand) (bot.Reply, error) {
	usage := bot.Errorf(bot.EINVALID, "Type `/badge settings announce public` (the announce channel), `dm` (a direct message to you) or `off` (no announcement).")
	if p.arg(0) != "" && !strings.EqualFold(p.arg(0), "announce") {
		return bot.Reply{}, usage
	}
	if p.arg(1) == "" {
		me, err := r.lookup(ctx, c.Caller, c.CallerName)
		if err != nil {
			return bot.Reply{}, err
		}
		choice := bot.AnnouncePublic
		if me.Person != nil && me.Person.Announce != "" {
			choice = me.Person.Announce
		}
		return say("Your new badges are announced: %s. Change it with `/badge settings announce public|dm|off`.", announceWords(choice)), nil
	}
	choice := strings.ToLower(p.arg(1))
	switch choice {
	case bot.AnnouncePublic, bot.AnnounceDM, bot.AnnounceOff:
	default:
		return bot.Reply{}, usage
	}
	person, err := r.cfg.Store.EnsurePerson(ctx, c.Caller, c.CallerName)
	if err != nil {
		return bot.Reply{}, err
	}
	if err := r.cfg.Store.SetAnnounce(ctx, person.ID, choice); err != nil {
		return bot.Reply{}, err
	}
	return say("Done: your new badges are announced %s.", announceWords(choice)), nil
}

func announceWords(choice string) string {
	switch choice {
	case bot.AnnounceDM:
		return "to you by direct message"
	case bot.AnnounceOff:
		return "nowhere (off)"
	}
	return "in the announce channel (public)"
}

// digest answers `digest now`, for admins.
func (r *Router) digest(ctx context.Context, c bot.Command, p parsedCommand) (bot.Reply, error) {
	if !strings.EqualFold(p.arg(0), "now") {
		return bot.Reply{}, usageError(findSpec("digest"), "")
	}
	me, err := r.lookup(ctx, c.Caller, c.CallerName)
	if err != nil {
		return bot.Reply{}, err
	}
	if !r.isAdmin(me) {
		return bot.Reply{}, bot.Errorf(bot.EFORBIDDEN, "Only admins can post the digest; it is posted on its own every week.")
	}
	if r.cfg.Digest == nil {
		return say("The digest is not available on this badgebot yet, so nothing was posted."), nil
	}
	text, err := r.cfg.Digest(ctx)
	if err != nil {
		return bot.Reply{}, err
	}
	r.kick()
	if strings.TrimSpace(text) == "" {
		text = "Digest queued."
	}
	return say("%s", bot.Plain(text)), nil
}
