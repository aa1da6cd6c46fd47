package chat

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// RouterConfig is what the chat router needs.
type RouterConfig struct {
	// Service awards and revokes; required.
	Service *bot.Service
	// Store keeps badges, people, awards and nominations; required.
	Store bot.RouterStore
	// Rules answers progress and why, and counts approved nominations
	// (nomination.approved events); nil: no automatic rules.
	Rules *bot.Rules
	// Linker runs `link github` / `link bugzilla`; nil: linking is off.
	Linker *bot.Linker
	// Repositories are the watched repositories, named in link
	// instructions.
	Repositories []string
	// Admins may do everything.
	Admins []bot.Recipient
	// WeeklyCap is how many nominations and supports one person may make
	// in 7 days; 0: no cap.
	WeeklyCap int
	// Expiry is how long a nomination waits for a decision; 0:
	// DefaultNominationExpiry.
	Expiry time.Duration
	// ReviewChannels maps a platform name to the channel where badge owners
	// review nominations. Owners (admins, for a badge without owners) on a
	// chat platform with no review channel get the review as a direct
	// message instead.
	ReviewChannels map[string]string
	// Digest posts this period's digest now and says what it did; nil: the
	// digest is not available yet and `digest now` says so.
	Digest func(ctx context.Context) (string, error)
	// Kick, when set, is called after the router queued announcements, to
	// wake the outbox worker (OutboxWorker.Kick).
	Kick func()
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// BaseURL is the public URL of the server, no trailing slash.
	BaseURL string
	// Log receives internal errors; nil: slog.Default().
	Log *slog.Logger
}

// Router answers chat commands (DESIGN §4) and button clicks. The Slack,
// Discord and console adapters hand it a Command or a Click and render
// the Reply. Its methods are safe for concurrent use.
type Router struct {
	cfg RouterConfig
	// noms runs the nomination flow; the router parses and renders.
	noms *bot.Nominations
}

// NewRouter returns a Router. Service and Store are required.
func NewRouter(cfg RouterConfig) *Router {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = bot.DefaultNominationExpiry
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.BaseURL == "" && cfg.Service != nil {
		cfg.BaseURL = strings.TrimRight(cfg.Service.BaseURL, "/")
	}
	r := &Router{cfg: cfg}
	r.noms = bot.NewNominations(bot.NominationsConfig{
		Service: cfg.Service, Store: cfg.Store, View: nominationView{r}, Rules: cfg.Rules,
		Admins: cfg.Admins, WeeklyCap: cfg.WeeklyCap, Expiry: cfg.Expiry,
		Kick: r.kick, Now: cfg.Now, Log: cfg.Log,
	})
	return r
}

func (r *Router) kick() {
	if r.cfg.Kick != nil {
		r.cfg.Kick()
	}
}

// Handle runs one command and returns the reply. It never panics: a bug
// in a handler is logged and answered as an internal error.
func (r *Router) Handle(ctx context.Context, c bot.Command) (reply bot.Reply) {
	defer r.recoverInto(&reply, "command")
	if err := c.Caller.Validate(); err != nil {
		return r.errorReply(bot.Errorf(bot.EUNAUTHORIZED, "I could not tell who you are (%s), so I did nothing.", bot.ErrorMessage(err)), "command", "")
	}
	p, err := parseCommand(c.Text)
	if err != nil {
		return r.errorReply(err, "command", "")
	}
	ctx = bot.WithOrigin(ctx, bot.Origin{By: c.Caller.String(), Via: c.Platform})
	r.linkVerifiedEmail(ctx, c)
	rep, err := r.dispatch(ctx, c, p)
	if err != nil {
		return r.errorReply(err, "command", p.spec.name)
	}
	return rep
}

// Click handles a press of a message button: approve or reject on a
// nomination's review message.
func (r *Router) Click(ctx context.Context, c bot.Click) (reply bot.Reply) {
	defer r.recoverInto(&reply, "click")
	if err := c.Caller.Validate(); err != nil {
		return r.errorReply(bot.Errorf(bot.EUNAUTHORIZED, "I could not tell who you are (%s), so I did nothing.", bot.ErrorMessage(err)), "click", c.Action)
	}
	ctx = bot.WithOrigin(ctx, bot.Origin{By: c.Caller.String(), Via: c.Platform})
	var rep bot.Reply
	var err error
	switch c.Action {
	case "approve", "reject":
		var id int64
		if id, err = parseNominationID(c.Value); err == nil {
			src := decisionSource{platform: c.Platform, messageID: c.MessageID, click: true}
			if c.Action == "approve" {
				rep, err = r.approve(ctx, c.Caller, c.CallerName, id, src)
			} else {
				rep, err = r.reject(ctx, c.Caller, c.CallerName, id, "", src)
			}
		}
	default:
		err = bot.Errorf(bot.EINVALID, "That button (%q) is not one I know; it may be from an older badgebot. Type `/badge help` to see the commands.", bot.TruncateRunes(c.Action, 40))
	}
	if err != nil {
		return r.errorReply(err, "click", c.Action)
	}
	return rep
}

// recoverInto turns a panic into an internal-error reply.
func (r *Router) recoverInto(reply *bot.Reply, what string) {
	if v := recover(); v != nil {
		r.cfg.Log.Error("router: panic", "in", what, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		*reply = r.errorReply(fmt.Errorf("router: panic: %v", v), what, "")
	}
}

// dispatch runs the handler of a parsed command.
func (r *Router) dispatch(ctx context.Context, c bot.Command, p parsedCommand) (bot.Reply, error) {
	switch p.spec.name {
	case "help":
		return helpReply(p.arg(0))
	case "list":
		return r.list(ctx, p.arg(0))
	case "show":
		return r.show(ctx, p.arg(0))
	case "nominate":
		return r.nominate(ctx, c, p)
	case "approve", "reject":
		id, err := parseNominationID(p.arg(0))
		if err != nil {
			return bot.Reply{}, err
		}
		src := decisionSource{platform: c.Platform}
		if p.spec.name == "approve" {
			return r.approve(ctx, c.Caller, c.CallerName, id, src)
		}
		return r.reject(ctx, c.Caller, c.CallerName, id, p.rest, src)
	case "award":
		return r.award(ctx, c, p)
	case "revoke":
		return r.revoke(ctx, c, p)
	case "mine":
		return r.holdings(ctx, c, c.Caller, true)
	case "of":
		to, err := r.resolveSubject(ctx, c, p.arg(0))
		if err != nil {
			return bot.Reply{}, err
		}
		return r.holdings(ctx, c, to.Who, false)
	case "progress":
		return r.progress(ctx, c, p.arg(0))
	case "why":
		return r.why(ctx, c, p.arg(0), p.arg(1))
	case "link":
		return r.link(ctx, c, p)
	case "leaderboard":
		return r.leaderboard(ctx, p.arg(0))
	case "settings":
		return r.settings(ctx, c, p)
	case "digest":
		return r.digest(ctx, c, p)
	}
	return bot.Reply{}, fmt.Errorf("router: no handler for %q", p.spec.name)
}

// parseNominationID reads "42" or "#42".
func parseNominationID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, bot.Errorf(bot.EINVALID, "%q is not a nomination number. Type e.g. `/badge approve 42`; the number is on the nomination's review message.", bot.TruncateRunes(s, 40))
	}
	return id, nil
}

// actor is someone the router deals with: a caller or a mentioned user,
// with their person when the store knows them.
type actor = bot.Party

// lookup returns the actor for an identity.
func (r *Router) lookup(ctx context.Context, rc bot.Recipient, name string) (*actor, error) {
	a := &actor{Who: rc, Name: strings.TrimSpace(name)}
	p, err := r.cfg.Store.PersonByRecipient(ctx, rc)
	switch bot.ErrorCode(err) {
	case "":
		a.Person = p
	case bot.ENOTFOUND:
	default:
		return nil, err
	}
	return a, nil
}

func (r *Router) isAdmin(a *actor) bool { return a.In(r.cfg.Admins) }

// resolveUser reads a user argument: "@PLATFORM:ID" (adapters write
// mentions so), "PLATFORM:ID", or "@handle" / "handle" of a known person,
// who is then named by their identity on the command's platform.
func (r *Router) resolveUser(ctx context.Context, c bot.Command, word string) (*actor, error) {
	w := strings.TrimPrefix(strings.TrimSpace(word), "@")
	if strings.Contains(w, ":") {
		rc, err := bot.ParseRecipient(w)
		if err != nil {
			return nil, bot.Errorf(bot.EINVALID, "%q is not someone I can name: mention them with @ (your chat app fills it in) or type PLATFORM:ID, e.g. github:octocat.", bot.TruncateRunes(word, 60))
		}
		return r.lookup(ctx, rc, c.Names[rc.String()])
	}
	if w == "" {
		return nil, bot.Errorf(bot.EINVALID, "Name someone: mention them with @, e.g. `@ada`, or type PLATFORM:ID, e.g. github:octocat.")
	}
	p, err := r.cfg.Store.PersonByHandle(ctx, w)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil, bot.Errorf(bot.ENOTFOUND, "I don't know anyone called @%s. Mention them with @ so your chat app fills in who, or type PLATFORM:ID, e.g. github:octocat.", bot.TruncateRunes(w, 40))
	} else if err != nil {
		return nil, err
	}
	id, ok := p.Identity(c.Platform)
	if !ok {
		id = p.Identities[0]
	}
	return &actor{Who: id.Recipient, Name: p.Name, Person: p}, nil
}

// resolveSubject reads the user a question is about (`of`, `why`). A
// question about an e-mail identity (email:, bugzilla:) is answered to
// admins and to its owner only (DESIGN §5); anyone else is told so,
// whether or not anyone has the address.
func (r *Router) resolveSubject(ctx context.Context, c bot.Command, word string) (*actor, error) {
	if rc, err := bot.ParseRecipient(strings.TrimPrefix(strings.TrimSpace(word), "@")); err == nil {
		if _, isEmail := rc.Email(); isEmail {
			me, err := r.lookup(ctx, c.Caller, c.CallerName)
			if err != nil {
				return nil, err
			}
			if !r.isAdmin(me) && !me.In([]bot.Recipient{rc}) {
				return nil, bot.Errorf(bot.EFORBIDDEN, "Only admins can look people up by e-mail address. Mention them with @ or type their handle, e.g. `/badge of @ada`.")
			}
		}
	}
	return r.resolveUser(ctx, c, word)
}

// badge returns a badge by slug, with a chat-worded ENOTFOUND.
func (r *Router) badge(ctx context.Context, slug string) (*bot.Badge, error) {
	s := strings.ToLower(strings.Trim(strings.TrimSpace(slug), "`\"'"))
	if !bot.ValidSlug(s) {
		return nil, bot.Errorf(bot.EINVALID, "%q is not a badge slug (like first-pr). Type `/badge list` to see the badges.", bot.TruncateRunes(slug, 40))
	}
	b, err := r.cfg.Store.Badge(ctx, s)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil, bot.Errorf(bot.ENOTFOUND, "There is no badge %q. Type `/badge list` to see the badges.", s)
	}
	return b, err
}

// mentionKey names a in message text as a placeholder, and records the
// display name for adapters that cannot mention.
func mentionKey(m *bot.Message, a *actor) string {
	key := a.Who.String()
	if m.Mentions == nil {
		m.Mentions = map[string]string{}
	}
	m.Mentions[key] = a.DisplayName()
	return "{{" + key + "}}"
}

// private returns a reply shown to the caller only.
func private(m bot.Message) bot.Reply { return bot.Reply{Message: m, Private: true} }

// say returns a private plain-text reply.
func say(format string, args ...any) bot.Reply {
	return private(bot.Message{Text: fmt.Sprintf(format, args...)})
}

// linkVerifiedEmail links the caller's e-mail identities when the platform
// vouches for the address (Slack's verified profile e-mail, DESIGN §5): the
// email: identity and a bugzilla: identity with the same address, so that
// awards made to either join the caller. Failing to link does not stop the
// command; it is logged.
func (r *Router) linkVerifiedEmail(ctx context.Context, c bot.Command) {
	addr := strings.ToLower(strings.TrimSpace(c.Email))
	if addr == "" {
		return
	}
	me, err := r.cfg.Store.PersonByRecipient(ctx, c.Caller)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		me, err = r.cfg.Store.EnsurePerson(ctx, c.Caller, c.CallerName)
	}
	if err != nil {
		r.cfg.Log.Warn("router: link verified e-mail", "err", err)
		return
	}
	for _, platform := range []string{bot.PlatformEmail, bot.PlatformBugzilla} {
		id := bot.Recipient{Platform: platform, ID: addr}
		if id.Validate() != nil {
			return
		}
		owner, err := r.cfg.Store.PersonByRecipient(ctx, id)
		switch {
		case err == nil && owner.ID == me.ID:
			continue // linked already
		case err == nil || (bot.ErrorCode(err) == bot.ENOTFOUND && platform == bot.PlatformEmail):
			// An existing bugzilla: identity, or the email: identity
			// (created by the link): join it to the caller.
		case bot.ErrorCode(err) == bot.ENOTFOUND:
			continue // nobody has that Bugzilla account yet
		default:
			r.cfg.Log.Warn("router: link verified e-mail", "err", err)
			return
		}
		if _, err := r.cfg.Store.LinkIdentities(ctx, c.Caller, id); err != nil {
			r.cfg.Log.Warn("router: link verified e-mail", "identity", platform, "err", err)
		}
	}
}
