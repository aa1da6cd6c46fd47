package bot

import (
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// LinkCode is a one-time code that proves an account belongs to the person
// who asked for it: they post it from that account (a GitHub comment in a
// watched repository, a Bugzilla comment).
type LinkCode struct {
	Code      string
	Requester Recipient // the chat identity that asked
	Target    Recipient // the account to prove, e.g. github:octocat
	CreatedAt time.Time
	ExpiresAt time.Time
}

// LinkStore keeps link codes.
type LinkStore interface {
	SaveLinkCode(ctx context.Context, c LinkCode) error
	// TakeLinkCode returns the unexpired code for target and deletes it;
	// ENOTFOUND when there is none.
	TakeLinkCode(ctx context.Context, code string, target Recipient, now time.Time) (*LinkCode, error)
	LinkIdentities(ctx context.Context, a, b Recipient) (*Person, error)
}

// linkCodeTTL is how long a link code may be used.
const linkCodeTTL = 24 * time.Hour

var linkCodePattern = regexp.MustCompile(`\bbadgebot-link-[a-z2-7]{10}\b`)

// Linker runs the identity-proof flow.
type Linker struct {
	Store LinkStore
	Now   func() time.Time
	// Linked is told of each proven link (to reply in chat); may be nil.
	Linked func(ctx context.Context, c LinkCode, p *Person)
}

func (l *Linker) now() time.Time {
	if l.Now != nil {
		return l.Now().UTC()
	}
	return time.Now().UTC()
}

// Start creates a code with which requester proves that target is theirs.
func (l *Linker) Start(ctx context.Context, requester, target Recipient) (*LinkCode, error) {
	if err := target.Validate(); err != nil {
		return nil, err
	}
	if target.Platform != PlatformGitHub && target.Platform != PlatformBugzilla {
		return nil, Errorf(EINVALID, "only github and bugzilla accounts are linked with a code")
	}
	if requester == target {
		return nil, Errorf(EINVALID, "that is the same account")
	}
	var b [8]byte
	rand.Read(b[:])
	now := l.now()
	c := LinkCode{
		Code:      "badgebot-link-" + newAwardIDFrom(b[:])[:10],
		Requester: requester, Target: target,
		CreatedAt: now, ExpiresAt: now.Add(linkCodeTTL),
	}
	if err := l.Store.SaveLinkCode(ctx, c); err != nil {
		return nil, err
	}
	return &c, nil
}

// Instructions tells the requester what to do with a code.
func (c *LinkCode) Instructions(repos []string) string {
	where := "a comment on an issue or pull request of a watched repository"
	if len(repos) > 0 {
		where = "a comment on an issue or pull request in " + strings.Join(repos, ", ")
	}
	if c.Target.Platform == PlatformBugzilla {
		where = "a comment on any bug"
	}
	return fmt.Sprintf("To prove %s is yours, post `%s` as %s within 24 hours.", c.Target, c.Code, where)
}

// OnProofs links the accounts whose comments carry a valid code.
func (l *Linker) OnProofs(ctx context.Context, proofs []LinkProof) error {
	for _, p := range proofs {
		for _, code := range linkCodePattern.FindAllString(p.Text, 3) {
			c, err := l.Store.TakeLinkCode(ctx, code, p.Identity, l.now())
			if ErrorCode(err) == ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			via := ViaGitHub
			if p.Identity.Platform == PlatformBugzilla {
				via = ViaBugzilla
			}
			person, err := l.Store.LinkIdentities(WithOrigin(ctx, Origin{By: c.Requester.String(), Via: via}), c.Requester, c.Target)
			if err != nil {
				return err
			}
			if l.Linked != nil {
				l.Linked(ctx, *c, person)
			}
		}
	}
	return nil
}
