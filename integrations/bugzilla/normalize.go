package bugzilla

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// Normalizer turns stored Bugzilla deliveries into events. It knows the
// Bugzilla base URL, which the payloads do not carry.
type Normalizer struct {
	base string // without a trailing slash
}

// LinkProof is a bug comment that may carry a one-time identity code: the
// core matches Body against the codes it handed out to Login.
type LinkProof struct {
	Login   string // lower-case e-mail of the comment's author
	Body    string
	URL     string // the comment on show_bug.cgi
	Product string
}

// NewNormalizer returns a Normalizer for the Bugzilla at baseURL, e.g.
// https://bugzilla.mozilla.org.
func NewNormalizer(baseURL string) (*Normalizer, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("bugzilla: url %q: want the Bugzilla base URL, e.g. https://bugzilla.mozilla.org", baseURL)
	}
	return &Normalizer{base: strings.TrimSuffix(u.String(), "/")}, nil
}

// BugURL returns the show_bug.cgi URL of bug id.
func (n *Normalizer) BugURL(id int64) string {
	return n.base + "/show_bug.cgi?id=" + strconv.FormatInt(id, 10)
}

// Normalize turns a stored delivery into contribution events. It goes by the
// routing key in the body (d.Type holds the same key):
//
//   - a bug.modify that resolves the bug FIXED (status to RESOLVED with
//     resolution FIXED, or resolution to FIXED): EventBugFixed credited to
//     the bug's assignee, not to whoever changed it; Key "bugzilla:<id>:fixed";
//   - bug.create: EventBugCreated credited to the bug's creator; Key
//     "bugzilla:<id>:created";
//   - an attachment.modify that grants review+ on an attachment:
//     EventAttachmentReviewed credited to the user who granted it; Key
//     "bugzilla:<id>:attachment:<attachment id>:review:<reviewer>".
//
// Actors are bugzilla:<login e-mail, lower case>. Placeholder and system
// accounts (nobody@..., BMO's *.bugs watch users and *.tld automation
// accounts) earn nothing. A bug that BMO reports as private has Private set
// and no Title, so its summary never reaches evidence, pages or chat; BMO
// usually strips a private bug down to its id, and then nothing can be
// credited (a REST backfill with an API key that can see the bug can).
//
// A payload missing what a rule needs yields no event and an error saying
// what is missing. Normalize never panics.
func (n *Normalizer) Normalize(d bot.WebhookDelivery) ([]bot.Event, error) {
	p, err := n.decode(d)
	if err != nil || p == nil {
		return nil, err
	}
	b := p.Bug
	target, action, _ := splitKey(p.Event.routingKey())
	var e bot.Event
	var ok bool
	switch target + "." + action {
	case "bug.modify":
		if !resolvesFixed(p) {
			return nil, nil
		}
		e, ok, err = n.event(d, b, bot.EventBugFixed, "fixed", b.assignee(), "bug.assigned_to", p.Event.Time)
	case "bug.create":
		at := p.Event.Time
		if at == "" {
			at = b.CreationTime
		}
		e, ok, err = n.event(d, b, bot.EventBugCreated, "created", b.creator(), "bug.creator", at)
	case "attachment.modify":
		if !grantsReview(p.Event.Changes) {
			return nil, nil
		}
		if b.Attachment == nil || b.Attachment.ID <= 0 {
			return nil, n.missing(d, "no bug.attachment.id")
		}
		reviewer := p.Event.User
		e, ok, err = n.event(d, b, bot.EventAttachmentReviewed, "", reviewer, "event.user", p.Event.Time)
		if ok {
			e.Key = "bugzilla:" + strconv.FormatInt(b.ID, 10) + ":attachment:" +
				strconv.FormatInt(b.Attachment.ID, 10) + ":review:" + e.Actor.ID
		}
	default:
		return nil, nil
	}
	if err != nil || !ok {
		return nil, err
	}
	return []bot.Event{e}, nil
}

// Proof returns the link proof in a comment.create delivery: false when the
// delivery is no public comment by a real account.
func (n *Normalizer) Proof(d bot.WebhookDelivery) (LinkProof, bool, error) {
	p, err := n.decode(d)
	if err != nil || p == nil {
		return LinkProof{}, false, err
	}
	if p.Event.routingKey() != "comment.create" {
		return LinkProof{}, false, nil
	}
	c, b := p.Bug.Comment, p.Bug
	if c == nil || c.Body == "" || bool(c.IsPrivate) || bool(b.IsPrivate) {
		return LinkProof{}, false, nil
	}
	who, ok, err := recipient(p.Event.User, "event.user")
	if err != nil {
		return LinkProof{}, false, n.missing(d, "%v", err)
	}
	if !ok {
		return LinkProof{}, false, nil
	}
	return LinkProof{
		Login:   who.ID,
		Body:    c.Body,
		URL:     n.BugURL(b.ID) + "#c" + strconv.FormatInt(c.Number, 10),
		Product: string(b.Product),
	}, true, nil
}

// decode reads the payload; nil without error means there is nothing in it
// to read (a private bug stripped to its id).
func (n *Normalizer) decode(d bot.WebhookDelivery) (*payload, error) {
	var p payload
	if err := json.Unmarshal(d.Body, &p); err != nil {
		return nil, bot.Errorf(bot.EINVALID, "bugzilla: delivery %s: %v", d.ID, err)
	}
	if p.Bug == nil || p.Bug.ID <= 0 {
		return nil, n.missing(d, "no bug.id")
	}
	if p.Bug.IsPrivate && p.Bug.Product == "" && p.Bug.Status == "" {
		return nil, nil
	}
	return &p, nil
}

func (n *Normalizer) missing(d bot.WebhookDelivery, format string, args ...any) error {
	return bot.Errorf(bot.EINVALID, "bugzilla: %s delivery %s: %s", d.Type, d.ID, fmt.Sprintf(format, args...))
}

// event builds an event of kind for b credited to who; suffix makes the Key
// (empty: the caller sets it). ok is false when who is a placeholder.
func (n *Normalizer) event(d bot.WebhookDelivery, b *bug, kind, suffix string, who user, field, at string) (bot.Event, bool, error) {
	actor, ok, err := recipient(who, field)
	if err != nil || !ok {
		if err != nil {
			err = n.missing(d, "bug %d: %v", b.ID, err)
		}
		return bot.Event{}, false, err
	}
	when, err := parseTime(at)
	if err != nil {
		return bot.Event{}, false, n.missing(d, "bug %d: event.time: %v", b.ID, err)
	}
	if b.Product == "" {
		return bot.Event{}, false, n.missing(d, "bug %d: no product", b.ID)
	}
	e := n.bugEvent(b.ID, kind, actor, who.RealName, string(b.Product), string(b.Component), b.Summary, bool(b.IsPrivate), when)
	if suffix != "" {
		e.Key = "bugzilla:" + strconv.FormatInt(b.ID, 10) + ":" + suffix
	}
	e.ReceivedAt = d.ReceivedAt
	return e, true, nil
}

// bugEvent fills an event about bug id; the webhook and the backfill share it.
func (n *Normalizer) bugEvent(id int64, kind string, actor bot.Recipient, actorName, product, component, summary string, private bool, at time.Time) bot.Event {
	e := bot.Event{
		Source: bot.PlatformBugzilla, Kind: kind, Actor: actor, ActorName: actorName,
		Product: product, Component: component, URL: n.BugURL(id), Title: summary,
		Private: private, OccurredAt: at,
	}
	if private {
		e.Title = "" // a private bug's summary must never leak
	}
	return e
}

// recipient returns the identity of u; ok is false for placeholder and
// system accounts, which earn nothing.
func recipient(u user, field string) (bot.Recipient, bool, error) {
	login := strings.ToLower(strings.TrimSpace(u.Login))
	if login == "" {
		return bot.Recipient{}, false, fmt.Errorf("no %s login", field)
	}
	if placeholder(login) {
		return bot.Recipient{}, false, nil
	}
	r := bot.Recipient{Platform: bot.PlatformBugzilla, ID: login}
	if err := r.Validate(); err != nil {
		return bot.Recipient{}, false, fmt.Errorf("%s: %w", field, err)
	}
	return r, true, nil
}

// placeholder reports whether login is no person: nobody@mozilla.org and
// the like (default assignees), BMO's component watch users (...@x.bugs)
// and automation accounts on reserved domains (...@bmo.tld).
func placeholder(login string) bool {
	local, domain, _ := strings.Cut(login, "@")
	return local == "nobody" || strings.HasSuffix(domain, ".bugs") || strings.HasSuffix(domain, ".tld")
}

// resolvesFixed reports whether the change resolves the bug FIXED.
func resolvesFixed(p *payload) bool {
	var status, resolution string
	var sawStatus, sawResolution bool
	for _, c := range p.Event.Changes {
		switch c.Field {
		case "status", "bug_status":
			status, sawStatus = string(c.Added), true
		case "resolution":
			resolution, sawResolution = string(c.Added), true
		}
	}
	if sawResolution {
		return resolution == "FIXED"
	}
	return sawStatus && status == "RESOLVED" && p.Bug.Resolution == "FIXED"
}

// grantsReview reports whether the changes grant review+. BMO's Push
// extension reports flags as field "flag.review" with values "?", "+", "-"
// (a requestee follows in parentheses); Bugzilla's own history field is
// "flagtypes.name" with "review+, feedback?(x@example.org)".
func grantsReview(changes []change) bool {
	for _, c := range changes {
		switch c.Field {
		case "flag.review":
			if strings.HasPrefix(string(c.Added), "+") {
				return true
			}
		case "flagtypes.name":
			if hasFlag(string(c.Added), "review+") && !hasFlag(string(c.Removed), "review+") {
				return true
			}
		}
	}
	return false
}

func hasFlag(list, want string) bool {
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if i := strings.IndexByte(f, '('); i >= 0 {
			f = strings.TrimSpace(f[:i])
		}
		if f == want {
			return true
		}
	}
	return false
}
