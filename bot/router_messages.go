package bot

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/issuer"
)

// The nomination flow's messages. Each is written once here; adapters
// render it.

// nominationActors returns the nominee and the nominator as actors, for
// mentions and names.
func nominationActors(n *Nomination) (nominee, nominator *actor) {
	return &actor{r: n.Nominee, name: n.NomineeName}, &actor{r: n.Nominator, name: n.NominatorName}
}

// reviewMessage is what badge owners review: who nominated whom and why,
// with Approve and Reject buttons.
func (r *Router) reviewMessage(n *Nomination, b *Badge) Message {
	nominee, nominator := nominationActors(n)
	m := Message{Title: "Nomination: " + b.Name, Link: r.cfg.BaseURL + "/badges/" + b.Slug}
	m.Text = fmt.Sprintf("%s nominated %s for %s.", mentionKey(&m, nominator), mentionKey(&m, nominee), b.Name)
	m.Fields = append(m.Fields, Field{Label: "Reason", Value: plain(n.Reason)})
	if len(n.Supporters) > 0 {
		var ss []string
		for _, s := range n.Supporters {
			line := (&actor{r: s.Who, name: s.Name}).displayName()
			if s.Reason != "" {
				line += ": " + s.Reason
			}
			ss = append(ss, line)
		}
		m.Fields = append(m.Fields, Field{Label: "Supporters", Value: plain(strings.Join(ss, "; "))})
	}
	approvals := fmt.Sprintf("%d of %d", len(n.Approvals), max(b.Approvals, 1))
	if len(n.Approvals) > 0 {
		approvals += " (" + endorsers(n.Approvals) + ")"
	}
	m.Fields = append(m.Fields,
		Field{Label: "Approvals", Value: plain(approvals)},
		Field{Label: "Expires", Value: n.CreatedAt.Add(r.cfg.Expiry).Format("2006-01-02")},
		Field{Label: "Nomination", Value: "#" + strconv.FormatInt(n.ID, 10)},
	)
	id := strconv.FormatInt(n.ID, 10)
	m.Buttons = []Button{
		{Label: "Approve", Action: "approve", Value: id, Style: "primary"},
		{Label: "Reject", Action: "reject", Value: id, Style: "danger"},
	}
	return m
}

// decidedMessage replaces the review once the nomination is decided: the
// outcome, no buttons. by is who decided (nil for an expiry).
func (r *Router) decidedMessage(n *Nomination, b *Badge, by *actor) Message {
	nominee, nominator := nominationActors(n)
	m := Message{Link: r.cfg.BaseURL + "/badges/" + b.Slug}
	who, from := mentionKey(&m, nominee), mentionKey(&m, nominator)
	switch n.Status {
	case NominationApproved:
		m.Title = "Nomination approved: " + b.Name
		m.Text = fmt.Sprintf("%s was awarded %s, nominated by %s.", who, b.Name, from)
		if len(n.Approvals) > 0 {
			// Approvers are named the way the nominee is: a mention where
			// the platform has them.
			names := make([]string, 0, len(n.Approvals))
			for _, e := range n.Approvals {
				names = append(names, mentionKey(&m, &actor{r: e.Who, name: e.Name}))
			}
			m.Text = strings.TrimSuffix(m.Text, ".") + "; approved by " + strings.Join(names, ", ") + "."
		}
		if n.AwardID != "" {
			m.Link = issuer.AwardURL(r.cfg.BaseURL, n.AwardID)
		}
	case NominationRejected:
		m.Title = "Nomination rejected: " + b.Name
		if by != nil {
			m.Text = fmt.Sprintf("The nomination of %s by %s was rejected by %s.", who, from, plain(by.displayName()))
		} else {
			m.Text = fmt.Sprintf("The nomination of %s by %s was rejected.", who, from)
		}
	case NominationExpired:
		m.Title = "Nomination expired: " + b.Name
		m.Text = fmt.Sprintf("The nomination of %s by %s expired: nobody decided within %s.", who, from, days(r.cfg.Expiry))
	default:
		return r.reviewMessage(n, b)
	}
	m.Fields = append(m.Fields, Field{Label: "Reason", Value: plain(n.Reason)})
	if n.Status == NominationRejected && n.DecisionReason != "" {
		m.Fields = append(m.Fields, Field{Label: "Why rejected", Value: plain(n.DecisionReason)})
	}
	if n.AwardID != "" {
		m.Fields = append(m.Fields, Field{Label: "Award", Value: n.AwardID, URL: issuer.AwardURL(r.cfg.BaseURL, n.AwardID)})
	}
	m.Fields = append(m.Fields, Field{Label: "Nomination", Value: "#" + strconv.FormatInt(n.ID, 10)})
	return m
}

// noticeMessage tells the nominator how their nomination ended.
func (r *Router) noticeMessage(n *Nomination, b *Badge) Message {
	nominee, _ := nominationActors(n)
	m := Message{Link: r.cfg.BaseURL + "/badges/" + b.Slug}
	who := mentionKey(&m, nominee)
	switch n.Status {
	case NominationApproved:
		m.Text = fmt.Sprintf("Good news: your nomination of %s for %s was approved, and the badge is theirs.", who, b.Name)
		if n.AwardID != "" {
			m.Link = issuer.AwardURL(r.cfg.BaseURL, n.AwardID)
		}
	case NominationRejected:
		m.Text = fmt.Sprintf("Your nomination of %s for %s was not approved.", who, b.Name)
		if n.DecisionReason != "" {
			m.Fields = []Field{{Label: "Why", Value: plain(n.DecisionReason)}}
		}
	case NominationExpired:
		m.Text = fmt.Sprintf("Your nomination of %s for %s expired: nobody decided within %s. You may nominate them again with `/badge nominate`.",
			who, b.Name, days(r.cfg.Expiry))
	}
	return m
}

// notices are the direct messages telling the nominator the outcome; a
// nominator with no chat identity gets none.
func (r *Router) notices(n *Nomination, b *Badge) []Announcement {
	if !isChatPlatform(n.Nominator.Platform) {
		return nil
	}
	return []Announcement{{
		Platform: n.Nominator.Platform,
		Channel:  dmChannel(n.Nominator),
		Kind:     KindNotice,
		Message:  r.noticeMessage(n, b),
	}}
}

// reviewTargets is where a badge's nominations are reviewed: every
// configured review channel, and by direct message each owner (each admin,
// for a badge without owners) on a chat platform that has no review
// channel.
func (r *Router) reviewTargets(b *Badge) []Target {
	var out []Target
	platforms := make([]string, 0, len(r.cfg.ReviewChannels))
	for p, ch := range r.cfg.ReviewChannels {
		if strings.TrimSpace(ch) != "" {
			platforms = append(platforms, p)
		}
	}
	sort.Strings(platforms)
	for _, p := range platforms {
		out = append(out, Target{Platform: p, Channel: r.cfg.ReviewChannels[p]})
	}
	approvers := b.Owners
	if len(approvers) == 0 {
		approvers = r.cfg.Admins
	}
	for _, o := range approvers {
		if !isChatPlatform(o.Platform) || strings.TrimSpace(r.cfg.ReviewChannels[o.Platform]) != "" {
			continue
		}
		t := Target{Platform: o.Platform, Channel: dmChannel(o)}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// reviewAnnouncements are the outbox rows that post m to every review
// target.
func reviewAnnouncements(targets []Target, m Message) []Announcement {
	out := make([]Announcement, 0, len(targets))
	for _, t := range targets {
		out = append(out, Announcement{Platform: t.Platform, Channel: t.Channel, Kind: KindNomination, Message: m})
	}
	return out
}

// isChatPlatform reports whether people can be messaged on the platform.
func isChatPlatform(p string) bool {
	return p == PlatformSlack || p == PlatformDiscord || p == PlatformConsole
}

// endorsers lists the names of approvers or supporters.
func endorsers(es []Endorsement) string {
	names := make([]string, 0, len(es))
	for _, e := range es {
		names = append(names, (&actor{r: e.Who, name: e.Name}).displayName())
	}
	return strings.Join(names, ", ")
}

// days writes a duration in whole days ("14 days"), or as Go does when it
// is shorter than a day.
func days(d time.Duration) string {
	if d < 24*time.Hour {
		return d.String()
	}
	n := int(d / (24 * time.Hour))
	return fmt.Sprintf("%d %s", n, plural(n, "day", "days"))
}
