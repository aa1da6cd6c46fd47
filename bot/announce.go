package bot

import (
	"fmt"
	"strings"
)

// announcements builds the outbox rows for an award or a revocation: one
// per target, respecting the person's announce preference.
func (s *Service) announcements(kind string, a *Award, b *Badge, p *Person) []Announcement {
	if p.Announce == AnnounceOff {
		return nil
	}
	var out []Announcement
	for _, t := range s.announceTargets(b) {
		channel := t.Channel
		if p.Announce == AnnounceDM {
			id, ok := p.Identity(t.Platform)
			if !ok {
				continue
			}
			channel = DMChannel(id.Recipient)
		}
		out = append(out, Announcement{
			Platform: t.Platform,
			Channel:  channel,
			Kind:     kind,
			AwardID:  a.ID,
			Message:  s.awardMessage(kind, a, b, p, t.Platform),
		})
	}
	return out
}

// awardMessage writes the sentence once; adapters render it.
func (s *Service) awardMessage(kind string, a *Award, b *Badge, p *Person, platform string) Message {
	who := Mention(p, platform)
	m := Message{Link: s.AwardURL(a.ID), Mentions: map[string]string{}}
	m.Mentions[who] = p.Handle
	switch kind {
	case KindRevoke:
		m.Title = "Badge revoked: " + b.Name
		m.Text = fmt.Sprintf("The %s badge of {{%s}} was revoked: %s", b.Name, who, Plain(a.RevocationReason))
	default:
		m.Title = "New badge: " + b.Name
		m.Text = fmt.Sprintf("{{%s}} earned the %s badge! %s", who, b.Name, Plain(b.Description))
		m.Image = s.BaseURL + "/badges/" + b.Slug + "/image.png"
		for _, e := range a.Evidence {
			if strings.HasPrefix(e.URL, "https://") || strings.HasPrefix(e.URL, "http://") {
				// Without a name, each platform shows the link itself.
				m.Fields = append(m.Fields, Field{Label: "Evidence", Value: Plain(e.Name), URL: e.URL})
			} else if e.Narrative != "" && e.Narrative != a.Narrative { // said under "Why" already
				m.Fields = append(m.Fields, Field{Label: "Evidence", Value: Plain(e.Narrative)})
			} else if e.Name != "" {
				m.Fields = append(m.Fields, Field{Label: "Evidence", Value: Plain(e.Name)})
			}
		}
		if n := strings.TrimSpace(a.Narrative); n != "" {
			m.Fields = append(m.Fields, Field{Label: "Why", Value: Plain(n)})
		}
	}
	return m
}

// mention names the person the best way the platform allows: their
// identity there when linked, else their first identity.
func Mention(p *Person, platform string) string {
	if id, ok := p.Identity(platform); ok {
		return id.Recipient.String()
	}
	if len(p.Identities) > 0 {
		return p.Identities[0].Recipient.String()
	}
	return p.Handle
}

// dmChannel is where a direct message to an identity goes: Slack opens a
// conversation with a user id; Discord ids name channels and users alike,
// so a user is named PLATFORM:ID there.
func DMChannel(r Recipient) string {
	if r.Platform == PlatformDiscord {
		return r.String()
	}
	return r.ID
}

// plain neutralises mention placeholders in user-supplied text, so that a
// reason cannot ping somebody.
func Plain(s string) string { return strings.ReplaceAll(s, "{{", "{ {") }
