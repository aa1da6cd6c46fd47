package chat

import (
	"context"
	"fmt"

	"github.com/badgebot/badgebot/bot"
)

// The nomination commands and buttons: the rules are bot.Nominations';
// the router parses the command and renders the outcome.

// decisionSource says where an approval or rejection came from.
type decisionSource struct {
	platform  string
	messageID string // the review message whose button was clicked
	click     bool
}

// request is the decision request of who for nomination id.
func (s decisionSource) request(who bot.Recipient, name string, id int64, reason string) bot.DecideRequest {
	req := bot.DecideRequest{By: who, ByName: name, ID: id, Reason: reason}
	if s.click && s.messageID != "" {
		req.SkipPlatform, req.SkipMessageID = s.platform, s.messageID
	}
	return req
}

// reply returns a private reply, which for a click also replaces the
// clicked message with m.
func (s decisionSource) reply(text bot.Message, m bot.Message) bot.Reply {
	rep := private(text)
	if s.click {
		rep.Update = &m
	}
	return rep
}

// nominate answers `nominate @user SLUG REASON`.
func (r *Router) nominate(ctx context.Context, c bot.Command, p parsedCommand) (bot.Reply, error) {
	nominee, err := r.resolveUser(ctx, c, p.arg(0))
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
	res, err := r.noms.Nominate(ctx, bot.NominateRequest{
		By: me, Nominee: nominee, Badge: b, Reason: p.rest, Platform: c.Platform, Channel: c.Channel,
	})
	if err != nil {
		return bot.Reply{}, err
	}
	n := res.Nomination
	m := bot.Message{}
	switch {
	case res.Supported:
		m.Text = fmt.Sprintf("%s is already nominated for %s (nomination #%d), so I added your support: %d people back it now.",
			mentionKey(&m, nominee), b.Name, n.ID, res.Backers)
	case res.Reviewed:
		m.Text = fmt.Sprintf("Thanks! Nomination #%d of %s for %s went to its reviewers; you'll hear back when they decide.", n.ID, mentionKey(&m, nominee), b.Name)
	default:
		m.Text = fmt.Sprintf("Nomination #%d of %s for %s is recorded, but there is no review channel or owner on chat to send it to: an admin can decide with `/badge approve %d`.",
			n.ID, mentionKey(&m, nominee), b.Name, n.ID)
	}
	return private(m), nil
}

// already answers a decision on a nomination decided before.
func already(d *bot.Decision, src decisionSource) bot.Reply {
	n := d.Nomination
	already := bot.Message{Text: fmt.Sprintf("Nomination #%d was %s already", n.ID, n.Status)}
	if d.By != nil {
		already.Text += " by " + mentionKey(&already, d.By)
	}
	already.Text += " on " + n.DecidedAt.Format("2006-01-02") + "; there is nothing left to decide."
	return src.reply(already, d.Message)
}

// approve records an approval of nomination id; the last one needed
// awards the badge.
func (r *Router) approve(ctx context.Context, who bot.Recipient, name string, id int64, src decisionSource) (bot.Reply, error) {
	d, err := r.noms.Approve(ctx, src.request(who, name, id, ""))
	if err != nil {
		return bot.Reply{}, err
	}
	if d.Already {
		return already(d, src), nil
	}
	if d.Award == nil {
		return src.reply(bot.Message{Text: fmt.Sprintf("Approved. Nomination #%d has %d of %d approvals; it needs %d more from another owner or an admin.",
			d.Nomination.ID, d.Have, d.Need, d.Need-d.Have)}, d.Message), nil
	}
	nominee, _ := nominationActors(d.Nomination)
	m := bot.Message{Link: r.cfg.Service.AwardURL(d.Award.ID)}
	m.Text = fmt.Sprintf("Approved: %s now holds %s (award %s). The announcement is on its way.", mentionKey(&m, nominee), d.Badge.Name, d.Award.ID)
	return src.reply(m, d.Message), nil
}

// reject rejects nomination id; the nominator is told, with the reason.
func (r *Router) reject(ctx context.Context, who bot.Recipient, name string, id int64, reason string, src decisionSource) (bot.Reply, error) {
	d, err := r.noms.Reject(ctx, src.request(who, name, id, reason))
	if err != nil {
		return bot.Reply{}, err
	}
	if d.Already {
		return already(d, src), nil
	}
	_, nominator := nominationActors(d.Nomination)
	m := bot.Message{}
	text := fmt.Sprintf("Rejected nomination #%d. I'll tell %s", d.Nomination.ID, mentionKey(&m, nominator))
	if d.Nomination.DecisionReason != "" {
		text += ", with your reason."
	} else {
		text += fmt.Sprintf(". Next time, `/badge reject %d REASON` tells them why.", d.Nomination.ID)
	}
	m.Text = text
	return src.reply(m, d.Message), nil
}

// Nominations is the nomination flow the router renders, its messages
// (the NominationView) the router's: the scheduler's expiry job calls its
// ExpireDue directly.
func (r *Router) Nominations() *bot.Nominations { return r.noms }

// nominationView writes the nomination flow's messages for
// bot.Nominations (router_messages.go).
type nominationView struct{ r *Router }

func (v nominationView) ReviewMessage(n *bot.Nomination, b *bot.Badge) bot.Message {
	return v.r.reviewMessage(n, b)
}

func (v nominationView) DecidedMessage(n *bot.Nomination, b *bot.Badge, by *bot.Party) bot.Message {
	return v.r.decidedMessage(n, b, by)
}

func (v nominationView) Notices(n *bot.Nomination, b *bot.Badge) []bot.Announcement {
	return v.r.notices(n, b)
}

func (v nominationView) ReviewTargets(b *bot.Badge) []bot.Target { return v.r.reviewTargets(b) }
