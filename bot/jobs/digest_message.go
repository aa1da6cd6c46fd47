package jobs

import (
	"fmt"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// Message writes the digest for one platform: mentions name people the
// way that platform can, and links lead to the awards.
func (d *Digester) Message(dg *Digest, platform string) bot.Message {
	base := d.cfg.Service.BaseURL
	m := bot.Message{Title: "Weekly badge digest: " + d.span(dg), Link: base + "/badges", Mentions: map[string]string{}}
	n := namer{m: &m, platform: platform}
	var lines []string
	awarded := 0
	for _, b := range dg.Badges {
		awarded += len(b.Awards)
	}
	switch awarded {
	case 0:
		lines = append(lines, "No badges were awarded this week.")
	default:
		lines = append(lines, fmt.Sprintf("%d %s awarded this week. Congratulations!", awarded, bot.Plural(awarded, "badge was", "badges were")))
	}
	shown := dg.Badges[:min(len(dg.Badges), digestBadges)]
	if sections, ok := d.programSections(shown); ok {
		for _, s := range sections {
			if s.Heading != "" {
				lines = append(lines, s.Heading)
			}
			lines = append(lines, badgeLines(d.cfg.Service, n, s.Groups, digestNames, digestLinks)...)
		}
	} else {
		lines = append(lines, badgeLines(d.cfg.Service, n, shown, digestNames, digestLinks)...)
	}
	if more := len(dg.Badges) - digestBadges; more > 0 {
		lines = append(lines, fmt.Sprintf("…and %d more %s.", more, bot.Plural(more, "badge", "badges")))
	}
	if len(dg.Newcomers) > 0 {
		lines = append(lines, fmt.Sprintf("Welcome to %s, who earned their first badge!", n.list(dg.Newcomers, digestNames)))
	}
	if len(dg.Pending) > 0 {
		lines = append(lines, fmt.Sprintf("%d %s waiting for approvers:", len(dg.Pending), bot.Plural(len(dg.Pending), "nomination is", "nominations are")))
		for i, p := range dg.Pending {
			if i == digestNominees {
				lines = append(lines, fmt.Sprintf("…and %d more.", len(dg.Pending)-i))
				break
			}
			nom := p.Nomination
			need := p.Badge.Approvals - len(nom.Approvals)
			nominee := ""
			if p.Nominee.Announce == bot.AnnouncePublic {
				nominee = " for " + n.name(p.Nominee)
			}
			lines = append(lines, fmt.Sprintf("#%d %s%s, waiting %s (%d %s needed)", nom.ID, p.Badge.Name,
				nominee, waited(dg.Until.Sub(nom.CreatedAt)), need, bot.Plural(need, "approval", "approvals")))
		}
	}
	if len(dg.Near) > 0 {
		lines = append(lines, "One step away:")
		for _, x := range dg.Near {
			lines = append(lines, fmt.Sprintf("%s needs 1 more %s for %s", n.name(x.Person), bot.EventNoun(x.Rule.Event, 1), x.Badge.Name))
		}
		if dg.NearMore > 0 {
			lines = append(lines, fmt.Sprintf("…and %d more %s one step from a badge. Type `/badge progress` to see yours.",
				dg.NearMore, bot.Plural(dg.NearMore, "person", "people")))
		}
	}
	m.Text = strings.Join(lines, "\n")
	return m
}

// namer names people in a message the way its platform can, recording
// each mention.
type namer struct {
	m        *bot.Message
	platform string
}

func (n namer) name(p *bot.Person) string {
	who := bot.Mention(p, n.platform)
	n.m.Mentions[who] = p.Handle
	return "{{" + who + "}}"
}

// list names at most max of people who announce publicly (settings
// announce) and counts the others: "{{a}}, {{b}} and 3 more", or
// "3 people" when none may be named.
func (n namer) list(ps []*bot.Person, max int) string {
	var public []*bot.Person
	for _, p := range ps {
		if p.Announce == bot.AnnouncePublic {
			public = append(public, p)
		}
	}
	if len(public) == 0 {
		return fmt.Sprintf("%d %s", len(ps), bot.Plural(len(ps), "person", "people"))
	}
	var who []string
	for _, p := range public[:shown(len(public), max)] {
		who = append(who, n.name(p))
	}
	return listWords(who, len(ps)-len(who))
}

// badgeLines writes a line per badge of groups, "Name: {{a}} and 3 more"
// (n.list), and adds links to the awards of people who announce publicly
// until the message has links of them. The digest and the backfill
// summary write their awards so.
func badgeLines(s *bot.Service, n namer, groups []DigestBadge, names, links int) []string {
	var lines []string
	for _, b := range groups {
		holders := make([]*bot.Person, len(b.Awards))
		for i, e := range b.Awards {
			holders[i] = e.Person
			if len(n.m.Fields) < links && e.Person.Announce == bot.AnnouncePublic {
				n.m.Fields = append(n.m.Fields, bot.Field{Label: b.Badge.Name, Value: bot.Plain(e.Person.Handle), URL: s.AwardURL(e.Award.ID)})
			}
		}
		lines = append(lines, fmt.Sprintf("%s: %s", b.Badge.Name, n.list(holders, names)))
	}
	return lines
}

// waited says how long a nomination has waited, in days.
func waited(d time.Duration) string {
	if d < 24*time.Hour {
		return "less than a day"
	}
	return bot.Days(d)
}

// span writes the period as "20–27 Nov 2026" in the digest's zone.
func (d *Digester) span(dg *Digest) string {
	a, b := dg.Since.In(d.cfg.Location), dg.Until.In(d.cfg.Location)
	switch {
	case a.Year() != b.Year():
		return a.Format("2 Jan 2006") + "–" + b.Format("2 Jan 2006")
	case a.Month() != b.Month():
		return a.Format("2 Jan") + "–" + b.Format("2 Jan 2006")
	}
	return a.Format("2") + "–" + b.Format("2 Jan 2006")
}
