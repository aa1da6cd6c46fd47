package bot

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
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
	// PendingLinkCode returns the newest unexpired code requester asked
	// for to prove target; ENOTFOUND when there is none.
	PendingLinkCode(ctx context.Context, requester, target Recipient, now time.Time) (*LinkCode, error)
	// TakeLinkCode returns the unexpired code for target and deletes it;
	// ENOTFOUND when there is none.
	TakeLinkCode(ctx context.Context, code string, target Recipient, now time.Time) (*LinkCode, error)
	LinkIdentities(ctx context.Context, a, b Recipient) (*Person, error)
}

// linkCodeTTL is how long a link code may be used.
const linkCodeTTL = 24 * time.Hour

var linkCodePattern = regexp.MustCompile(`\bbadgebot-link-[a-z2-7]{10}\b`)

// ProfileReader reads public GitHub profiles (integrations/github.Client).
// A login GitHub does not know is ENOTFOUND; a rate limit or an outage is
// a *SourceUnavailableError.
type ProfileReader interface {
	ProfileBio(ctx context.Context, login string) (string, error)
}

// bioCheckInterval is how often one code's bio is read at most: a user
// typing `link` over and over must not spend the API quota that backfill
// needs.
const bioCheckInterval = 30 * time.Second

// Linker runs the identity-proof flow.
type Linker struct {
	Store LinkStore
	Now   func() time.Time
	// Linked is told of each proven link (to reply in chat); may be nil.
	Linked func(ctx context.Context, c LinkCode, p *Person)
	// Profiles reads GitHub profile bios for the bio proof; nil: that
	// proof is off and only comments prove a login.
	Profiles ProfileReader

	mu      sync.Mutex
	checked map[string]time.Time // code → when its bio was last read
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

// Link joins the people owning a and b into one person, now: an
// administrator's link (the API, `badgebot link`) or an address the chat
// platform has verified for its user. The origin in ctx is recorded with
// it in the audit trail. Links proven with a code go through OnProofs and
// CheckBio instead.
func (l *Linker) Link(ctx context.Context, a, b Recipient) (*Person, error) {
	if a == b {
		return nil, Errorf(EINVALID, "the two identities are the same")
	}
	return l.Store.LinkIdentities(ctx, a, b)
}

// Instructions tells the requester what to do with a code; bio says
// whether the profile-bio proof is on.
func (c *LinkCode) Instructions(repos []string, bio bool) string {
	where := "a comment on an issue or pull request of a watched repository"
	if len(repos) > 0 {
		where = "a comment on an issue or pull request in " + strings.Join(repos, ", ")
	}
	if c.Target.Platform == PlatformBugzilla {
		where = "a comment on any bug"
	}
	text := fmt.Sprintf("To prove %s is yours, post `%s` as %s within 24 hours.", c.Target, c.Code, where)
	if c.Target.Platform == PlatformGitHub && bio {
		text += fmt.Sprintf(" Or put it in your public GitHub profile bio (github.com/settings/profile) and type `/badge link github %s` again: I'll read it there.", c.Target.ID)
	}
	return text
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

// BioCheck is what CheckBio found.
type BioCheck struct {
	Code   *LinkCode // the pending code; nil: requester has none for target
	Linked *Person   // set when the bio held the code and the link is made
}

// CheckBio looks for requester's pending code for a GitHub login in that
// login's public profile bio, read through the GitHub API (DESIGN §5), and
// links the two on a match. Only the owner of the login can write its bio,
// so the code there proves it as a comment would. With no pending code it
// returns a zero BioCheck, and the caller makes one.
func (l *Linker) CheckBio(ctx context.Context, requester, target Recipient) (BioCheck, error) {
	if l.Profiles == nil || target.Platform != PlatformGitHub {
		return BioCheck{}, nil
	}
	now := l.now()
	c, err := l.Store.PendingLinkCode(ctx, requester, target, now)
	if ErrorCode(err) == ENOTFOUND {
		return BioCheck{}, nil
	} else if err != nil {
		return BioCheck{}, err
	}
	if wait := l.throttle(c.Code, now); wait > 0 {
		return BioCheck{Code: c}, Errorf(ELIMIT, "I read the bio of github.com/%s a moment ago; try again in %d seconds.", target.ID, int(wait.Seconds()+0.5))
	}
	bio, err := l.Profiles.ProfileBio(ctx, target.ID)
	switch ue := (*SourceUnavailableError)(nil); {
	case ErrorCode(err) == ENOTFOUND:
		return BioCheck{Code: c}, Errorf(ENOTFOUND, "GitHub has no user %q: check the login and type `/badge link github LOGIN`.", target.ID)
	case errors.As(err, &ue):
		return BioCheck{Code: c}, Errorf(ELIMIT, "GitHub is not answering me right now, so I could not read the bio of github.com/%s; try again later.", target.ID)
	case err != nil:
		return BioCheck{Code: c}, fmt.Errorf("link: read the GitHub bio of %s: %w", target.ID, err)
	}
	if !slices.Contains(linkCodePattern.FindAllString(bio, -1), c.Code) {
		return BioCheck{Code: c}, nil
	}
	if _, err := l.Store.TakeLinkCode(ctx, c.Code, target, now); err != nil {
		return BioCheck{Code: c}, err // ENOTFOUND: used meanwhile, by a comment
	}
	p, err := l.Store.LinkIdentities(WithOrigin(ctx, Origin{By: requester.String(), Via: ViaGitHubBio}), requester, target)
	if err != nil {
		return BioCheck{Code: c}, err
	}
	return BioCheck{Code: c, Linked: p}, nil
}

// throttle records a bio read of code at now, or returns how long to wait
// before the next one.
func (l *Linker) throttle(code string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, ok := l.checked[code]; ok && now.Sub(last) < bioCheckInterval {
		return bioCheckInterval - now.Sub(last)
	}
	if l.checked == nil {
		l.checked = map[string]time.Time{}
	}
	for k, t := range l.checked { // codes live a day: forget older reads
		if now.Sub(t) > linkCodeTTL {
			delete(l.checked, k)
		}
	}
	l.checked[code] = now
	return 0
}
