package bot

import (
	"fmt"
	"strings"
	"time"
)

// Message writes the digest for one platform: mentions name people the
// way that platform can, and links lead to the awards.
func (d *Digester) Message(dg *Digest, platform string) Message {
	base := d.cfg.Service.BaseURL
	m := Message{Title: "Weekly badge digest: " + d.span(dg), Link: base + "/badges", Mentions: map[string]string{}}
	name := func(p *Person) string {
		who := mention(p, platform)
		m.Mentions[who] = p.Handle
		return "{{" + who + "}}"
	}
	var lines []string
	n := 0
	for _, b := range dg.Badges {
		n += len(b.Awards)
	}
	switch n {
	case 0:
		lines = append(lines, "No badges were awarded this week.")
	default:
		lines = append(lines, fmt.Sprintf("%d %s awarded this week. Congratulations!", n, plural(n, "badge was", "badges were")))
	}
	for i, b := range dg.Badges {
		if i == digestBadges {
			lines = append(lines, fmt.Sprintf("…and %d more %s.", len(dg.Badges)-i, plural(len(dg.Badges)-i, "badge", "badges")))
			break
		}
		var who []string
		for _, e := range b.Awards[:shown(len(b.Awards), digestNames)] {
			who = append(who, name(e.Person))
		}
		for _, e := range b.Awards {
			if len(m.Fields) == digestLinks {
				break
			}
			m.Fields = append(m.Fields, Field{Label: b.Badge.Name, Value: plain(e.Person.Handle), URL: base + "/awards/" + e.Award.ID})
		}
		lines = append(lines, fmt.Sprintf("%s: %s", b.Badge.Name, listWords(who, len(b.Awards)-len(who))))
	}
	if len(dg.Newcomers) > 0 {
		var who []string
		for _, p := range dg.Newcomers[:shown(len(dg.Newcomers), digestNames)] {
			who = append(who, name(p))
		}
		lines = append(lines, fmt.Sprintf("Welcome to %s, who earned their first badge!", listWords(who, len(dg.Newcomers)-len(who))))
	}
	if len(dg.Pending) > 0 {
		lines = append(lines, fmt.Sprintf("%d %s waiting for approvers:", len(dg.Pending), plural(len(dg.Pending), "nomination is", "nominations are")))
		for i, p := range dg.Pending {
			if i == digestNominees {
				lines = append(lines, fmt.Sprintf("…and %d more.", len(dg.Pending)-i))
				break
			}
			nom := p.Nomination
			need := p.Badge.Approvals - len(nom.Approvals)
			lines = append(lines, fmt.Sprintf("#%d %s for %s, waiting %s (%d %s needed)", nom.ID, p.Badge.Name,
				name(p.Nominee), waited(dg.Until.Sub(nom.CreatedAt)), need, plural(need, "approval", "approvals")))
		}
	}
	if len(dg.Near) > 0 {
		lines = append(lines, "One step away:")
		for _, x := range dg.Near {
			lines = append(lines, fmt.Sprintf("%s needs 1 more %s for %s", name(x.Person), eventNoun(x.Rule.Event, 1), x.Badge.Name))
		}
		if dg.NearMore > 0 {
			lines = append(lines, fmt.Sprintf("…and %d more %s one step from a badge. Type `/badge progress` to see yours.",
				dg.NearMore, plural(dg.NearMore, "person", "people")))
		}
	}
	m.Text = strings.Join(lines, "\n")
	return m
}

// waited says how long a nomination has waited, in days.
func waited(d time.Duration) string {
	if d < 24*time.Hour {
		return "less than a day"
	}
	return days(d)
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
