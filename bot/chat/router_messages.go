package chat

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/badgebot/badgebot/bot"

	"github.com/badgebot/badgebot/issuer"
)

// The nomination flow's messages. Each is written once here; adapters
// render it.

// nominationActors returns the nominee and the nominator as actors, for
// mentions and names.
func nominationActors(n *bot.Nomination) (nominee, nominator *actor) {
	return &actor{Who: n.Nominee, Name: n.NomineeName}, &actor{Who: n.Nominator, Name: n.NominatorName}
}

// reviewMessage is what badge owners review: who nominated whom and why,
// with Approve and Reject buttons.
func (r *Router) reviewMessage(n *bot.Nomination, b *bot.Badge) bot.Message {
	nominee, nominator := nominationActors(n)
	m := bot.Message{Title: "Nomination: " + b.Name, Link: r.cfg.BaseURL + "/badges/" + b.Slug}
	m.Text = fmt.Sprintf("%s nominated %s for %s.", mentionKey(&m, nominator), mentionKey(&m, nominee), b.Name)
	m.Fields = append(m.Fields, bot.Field{Label: "Reason", Value: bot.Plain(n.Reason)})
	if len(n.Supporters) > 0 {
		var ss []string
		for _, s := range n.Supporters {
			line := (&actor{Who: s.Who, Name: s.Name}).DisplayName()
			if s.Reason != "" {
				line += ": " + s.Reason
			}
			ss = append(ss, line)
		}
		m.Fields = append(m.Fields, bot.Field{Label: "Supporters", Value: bot.Plain(strings.Join(ss, "; "))})
	}
	approvals := fmt.Sprintf("%d of %d", len(n.Approvals), max(b.Approvals, 1))
	if len(n.Approvals) > 0 {
		approvals += " (" + endorsers(n.Approvals) + ")"
	}
	m.Fields = append(m.Fields,
		bot.Field{Label: "Approvals", Value: bot.Plain(approvals)},
		bot.Field{Label: "Expires", Value: n.CreatedAt.Add(r.cfg.Expiry).Format("2006-01-02")},
		bot.Field{Label: "Nomination", Value: "#" + strconv.FormatInt(n.ID, 10)},
	)
	id := strconv.FormatInt(n.ID, 10)
	m.Buttons = []bot.Button{
		{Label: "Approve", Action: "approve", Value: id, Style: "primary"},
		{Label: "Reject", Action: "reject", Value: id, Style: "danger"},
	}
	return m
}

// decidedMessage replaces the review once the nomination is decided: the
// outcome, no buttons. by is who decided (nil for an expiry).
func (r *Router) decidedMessage(n *bot.Nomination, b *bot.Badge, by *actor) bot.Message {
	nominee, nominator := nominationActors(n)
	m := bot.Message{Link: r.cfg.BaseURL + "/badges/" + b.Slug}
	who, from := mentionKey(&m, nominee), mentionKey(&m, nominator)
	switch n.Status {
	case bot.NominationApproved:
		m.Title = "Nomination approved: " + b.Name
		m.Text = fmt.Sprintf("%s was awarded %s, nominated by %s.", who, b.Name, from)
		if len(n.Approvals) > 0 {
			// Approvers are named the way the nominee is: a mention where
			// the platform has them.
			names := make([]string, 0, len(n.Approvals))
			for _, e := range n.Approvals {
				names = append(names, mentionKey(&m, &actor{Who: e.Who, Name: e.Name}))
			}
			m.Text = strings.TrimSuffix(m.Text, ".") + "; approved by " + strings.Join(names, ", ") + "."
		}
		if n.AwardID != "" {
			m.Link = issuer.AwardURL(r.cfg.BaseURL, n.AwardID)
		}
	case bot.NominationRejected:
		m.Title = "Nomination rejected: " + b.Name
		if by != nil {
			m.Text = fmt.Sprintf("The nomination of %s by %s was rejected by %s.", who, from, mentionKey(&m, by))
		} else {
			m.Text = fmt.Sprintf("The nomination of %s by %s was rejected.", who, from)
		}
	case bot.NominationExpired:
		m.Title = "Nomination expired: " + b.Name
		m.Text = fmt.Sprintf("The nomination of %s by %s expired: nobody decided within %s.", who, from, bot.Days(r.cfg.Expiry))
	default:
		return r.reviewMessage(n, b)
	}
	m.Fields = append(m.Fields, bot.Field{Label: "Reason", Value: bot.Plain(n.Reason)})
	if n.Status == bot.NominationRejected && n.DecisionReason != "" {
		m.Fields = append(m.Fields, bot.Field{Label: "Why rejected", Value: bot.Plain(n.DecisionReason)})
	}
	if n.AwardID != "" {
		m.Fields = append(m.Fields, bot.Field{Label: "Award", Value: n.AwardID, URL: issuer.AwardURL(r.cfg.BaseURL, n.AwardID)})
	}
	m.Fields = append(m.Fields, bot.Field{Label: "Nomination", Value: "#" + strconv.FormatInt(n.ID, 10)})
	return m
}

// noticeMessage tells the nominator how their nomination ended.
func (r *Router) noticeMessage(n *bot.Nomination, b *bot.Badge) bot.Message {
	nominee, _ := nominationActors(n)
	m := bot.Message{Link: r.cfg.BaseURL + "/badges/" + b.Slug}
	who := mentionKey(&m, nominee)
	switch n.Status {
	case bot.NominationApproved:
		m.Text = fmt.Sprintf("Good news: your nomination of %s for %s was approved, and the badge is theirs.", who, b.Name)
		if n.AwardID != "" {
			m.Link = issuer.AwardURL(r.cfg.BaseURL, n.AwardID)
		}
	case bot.NominationRejected:
		m.Text = fmt.Sprintf("Your nomination of %s for %s was not approved.", who, b.Name)
		if n.DecisionReason != "" {
			m.Fields = []bot.Field{{Label: "Why", Value: bot.Plain(n.DecisionReason)}}
		}
	case bot.NominationExpired:
		m.Text = fmt.Sprintf("Your nomination of %s for %s expired: nobody decided within %s. You may nominate them again with `/badge nominate`.",
			who, b.Name, bot.Days(r.cfg.Expiry))
	}
	return m
}

// notices are the direct messages telling the nominator the outcome; a
// nominator with no chat identity gets none.
func (r *Router) notices(n *bot.Nomination, b *bot.Badge) []bot.Announcement {
	if !isChatPlatform(n.Nominator.Platform) {
		return nil
	}
	return []bot.Announcement{{
		Platform: n.Nominator.Platform,
		Channel:  bot.DMChannel(n.Nominator),
		Kind:     bot.KindNotice,
		Message:  r.noticeMessage(n, b),
	}}
}

// reviewTargets is where a badge's nominations are reviewed: every
// configured review channel, and by direct message each owner (each admin,
// for a badge without owners) on a chat platform that has no review
// channel.
func (r *Router) reviewTargets(b *bot.Badge) []bot.Target {
	var out []bot.Target
	channels := r.cfg.Service.ReviewChannels(b, r.cfg.ReviewChannels) // a program's own, where it has them
	platforms := make([]string, 0, len(channels))
	for p, ch := range channels {
		if strings.TrimSpace(ch) != "" {
			platforms = append(platforms, p)
		}
	}
	sort.Strings(platforms)
	for _, p := range platforms {
		out = append(out, bot.Target{Platform: p, Channel: channels[p]})
	}
	approvers := b.Owners
	if len(approvers) == 0 {
		approvers = r.cfg.Admins
	}
	for _, o := range approvers {
		if !isChatPlatform(o.Platform) || strings.TrimSpace(channels[o.Platform]) != "" {
			continue
		}
		t := bot.Target{Platform: o.Platform, Channel: bot.DMChannel(o)}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// isChatPlatform reports whether people can be messaged on the platform.
func isChatPlatform(p string) bool {
	return p == bot.PlatformSlack || p == bot.PlatformDiscord || p == bot.PlatformConsole
}

// endorsers lists the names of approvers or supporters.
func endorsers(es []bot.Endorsement) string {
	names := make([]string, 0, len(es))
	for _, e := range es {
		names = append(names, (&actor{Who: e.Who, Name: e.Name}).DisplayName())
	}
	return strings.Join(names, ", ")
}
