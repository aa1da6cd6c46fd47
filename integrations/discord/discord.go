// Package discord connects badgebot to Discord: the /badge slash command,
// its autocomplete and message buttons arrive on the interactions endpoint
// (HTTP, Ed25519-signed) or, optionally, over the gateway; announcements and
// nomination reviews are posted and edited through the REST API.
//
// This is the only package that imports github.com/bwmarrin/discordgo. It
// uses discordgo for the REST calls, the gateway connection and the wire
// types of embeds, components and commands; incoming interactions are
// decoded into small private structs (verify first, decode little).
package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/bwmarrin/discordgo"
)

// Router answers chat commands and button clicks; the core implements it.
type Router interface {
	Handle(ctx context.Context, c bot.Command) bot.Reply
	Click(ctx context.Context, c bot.Click) bot.Reply
}

// Badges lists the defined badges; autocomplete of badge options uses it.
type Badges interface {
	Badges(ctx context.Context) ([]*bot.Badge, error)
}

// Seen records the signed interactions accepted, so that each is accepted
// once; replicas sharing a database share it. *storage.DB implements it.
type Seen interface {
	// FirstSeen records key for platform until expires and reports whether
	// it was not recorded (and unexpired) before.
	FirstSeen(ctx context.Context, platform string, key []byte, expires time.Time) (bool, error)
}

// Config is what the adapter needs from the [discord] config table.
type Config struct {
	BotToken      string // secret; with or without the "Bot " prefix
	ApplicationID string // the application's snowflake
	PublicKey     string // hex Ed25519 public key of the application, 64 digits
	// APIURL replaces Discord's REST base (https://discord.com/api/v9/)
	// when set; tests point it at a fake server. Empty: Discord.
	APIURL  string
	Gateway bool // also receive interactions over the gateway (Run)
	// GuildIDs, when not empty, are the only servers whose interactions
	// are served; direct messages are then refused too.
	GuildIDs []string
	// Seen is required: it refuses replayed interactions.
	Seen Seen
}

// String hides the bot token, so that printing a Config leaks nothing.
func (c Config) String() string {
	return fmt.Sprintf("{BotToken:%s ApplicationID:%s PublicKey:%s APIURL:%s Gateway:%t GuildIDs:%v}",
		redacted(c.BotToken), c.ApplicationID, c.PublicKey, c.APIURL, c.Gateway, c.GuildIDs)
}

// GoString hides the bot token from %#v.
func (c Config) GoString() string { return "discord.Config" + c.String() }

// LogValue hides the bot token from slog.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("bot_token", redacted(c.BotToken)),
		slog.String("application_id", c.ApplicationID),
		slog.String("api_url", c.APIURL),
		slog.Bool("gateway", c.Gateway),
		slog.Any("guild_ids", c.GuildIDs),
	)
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// requestTimeout bounds one REST call, including discordgo's wait for a
// rate-limit bucket to refill.
const requestTimeout = 20 * time.Second

// Adapter is the Discord chat platform: it posts and edits messages
// (bot.Platform), answers interactions (Interactions, Run) and registers
// the /badge command (RegisterCommands).
type Adapter struct {
	session   *discordgo.Session // holds the token; never logged
	appID     string
	publicKey ed25519.PublicKey
	gateway   bool
	router    Router
	badges    Badges
	seen      Seen
	guilds    map[string]bool // empty: every server and direct messages
	log       *slog.Logger
	now       func() time.Time
	dms       dmCache
}

var _ bot.Platform = (*Adapter)(nil)

// New checks cfg and returns an Adapter. It opens no connection: REST
// calls are made when needed and the gateway is opened by Run.
//
// discordgo's own handling of HTTP 429 (sleep and retry) is switched off,
// as are its retries of 502 answers: a rate-limited call returns a
// *bot.RateLimitError at once and the outbox worker owns the backoff.
// discordgo still waits, before a call, for a bucket it knows to be empty.
func New(cfg Config, router Router, badges Badges, log *slog.Logger) (*Adapter, error) {
	s, err := newSession(cfg)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(cfg.PublicKey)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("discord: public key: want the %d hex digits of an Ed25519 key, got %d characters",
			2*ed25519.PublicKeySize, len(cfg.PublicKey))
	}
	if router == nil || badges == nil {
		return nil, errors.New("discord: router and badges are required")
	}
	if cfg.Seen == nil {
		return nil, errors.New("discord: no store for seen interactions")
	}
	guilds := map[string]bool{}
	for _, id := range cfg.GuildIDs {
		if !isSnowflake(id) {
			return nil, fmt.Errorf("discord: guild id %q: want the server's numeric id", id)
		}
		guilds[id] = true
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Adapter{
		session:   s,
		appID:     cfg.ApplicationID,
		publicKey: ed25519.PublicKey(key),
		gateway:   cfg.Gateway,
		router:    router,
		badges:    badges,
		seen:      cfg.Seen,
		guilds:    guilds,
		log:       log.With(slog.String("platform", bot.PlatformDiscord)),
		now:       time.Now,
	}, nil
}

// newSession checks the bot token and application id of cfg and returns a
// REST session for them (no connection is opened).
func newSession(cfg Config) (*discordgo.Session, error) {
	token := strings.TrimSpace(cfg.BotToken)
	if rest, ok := strings.CutPrefix(token, "Bot "); ok {
		token = strings.TrimSpace(rest)
	} else if token == "Bot" {
		token = ""
	}
	if token == "" {
		return nil, errors.New("discord: bot token is empty; set [discord] bot_token")
	}
	if strings.ContainsFunc(token, isSpace) {
		return nil, errors.New("discord: bot token contains white space")
	}
	if !isSnowflake(cfg.ApplicationID) {
		return nil, fmt.Errorf("discord: application id %q: want the application's numeric id", cfg.ApplicationID)
	}
	transport, err := newTransport(cfg.APIURL)
	if err != nil {
		return nil, err
	}
	s, err := discordgo.New("Bot " + token)
	if err != nil {
		return nil, fmt.Errorf("discord: new session: %w", err)
	}
	s.Client = &http.Client{Timeout: requestTimeout, Transport: transport}
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 0
	s.StateEnabled = false
	s.Identify.Intents = discordgo.IntentsNone // interactions need no intents
	return s, nil
}

// Name returns bot.PlatformDiscord.
func (a *Adapter) Name() string { return bot.PlatformDiscord }

// Post sends m to a channel and returns the new message's id.
//
// channel is a channel id ("<#ID>" also works), or a user to message
// directly: "<@ID>", "discord:ID", or a bare user id. Discord ids of
// channels and users look alike (snowflakes, unique across kinds), so a
// bare id is tried as a channel first and, when Discord answers Unknown
// Channel, as a user; the answer is remembered.
func (a *Adapter) Post(ctx context.Context, channel string, m bot.Message) (string, error) {
	embed, components := renderMessage(m)
	var sent *discordgo.Message
	err := a.deliver(ctx, channel, func(channelID string) error {
		msg, err := a.session.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{
			Embeds:          []*discordgo.MessageEmbed{embed},
			Components:      components,
			AllowedMentions: allowedMentions(m),
		}, discordgo.WithContext(ctx))
		sent = msg
		return err
	})
	if err != nil {
		return "", mapError("post message", err)
	}
	if sent == nil || sent.ID == "" {
		return "", errors.New("discord: post message: Discord returned no message id")
	}
	return sent.ID, nil
}

// Update replaces the embed and the buttons of a message posted before;
// a message without buttons loses the old ones. channel is what was given
// to Post.
func (a *Adapter) Update(ctx context.Context, channel, messageID string, m bot.Message) error {
	if !isSnowflake(messageID) {
		return fmt.Errorf("discord: update message: %q is not a message id", messageID)
	}
	embed, components := renderMessage(m)
	err := a.deliver(ctx, channel, func(channelID string) error {
		edit := discordgo.NewMessageEdit(channelID, messageID)
		edit.Embeds = &[]*discordgo.MessageEmbed{embed}
		edit.Components = &components
		edit.AllowedMentions = allowedMentions(m)
		_, err := a.session.ChannelMessageEditComplex(edit, discordgo.WithContext(ctx))
		return err
	})
	if err != nil {
		return mapError("update message", err)
	}
	return nil
}

// RegisterCommands replaces the application's global commands with
// CommandDefinitions (one bulk overwrite; Discord keeps unchanged commands
// as they are). Call it once at start.
func (a *Adapter) RegisterCommands(ctx context.Context) error {
	_, err := a.session.ApplicationCommandBulkOverwrite(a.appID, "", CommandDefinitions(), discordgo.WithContext(ctx))
	if err != nil {
		return mapError("register commands", err)
	}
	return nil
}

// Target kinds for Post and Update.
const (
	targetBare    = iota // a snowflake: a channel, else a user
	targetChannel        // "<#ID>"
	targetUser           // "<@ID>", "<@!ID>", "discord:ID"
)

func parseTarget(s string) (kind int, id string, err error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "<#") && strings.HasSuffix(s, ">"):
		kind, id = targetChannel, s[2:len(s)-1]
	case strings.HasPrefix(s, "<@!") && strings.HasSuffix(s, ">"):
		kind, id = targetUser, s[3:len(s)-1]
	case strings.HasPrefix(s, "<@") && strings.HasSuffix(s, ">"):
		kind, id = targetUser, s[2:len(s)-1]
	case strings.HasPrefix(s, bot.PlatformDiscord+":"):
		kind, id = targetUser, strings.TrimPrefix(s, bot.PlatformDiscord+":")
	default:
		kind, id = targetBare, s
	}
	if !isSnowflake(id) {
		return 0, "", fmt.Errorf("discord: %q is not a Discord channel or user id", s)
	}
	return kind, id, nil
}

// deliver calls call with the channel id that target stands for, opening
// a direct-message channel for a user.
func (a *Adapter) deliver(ctx context.Context, target string, call func(channelID string) error) error {
	kind, id, err := parseTarget(target)
	if err != nil {
		return err
	}
	if kind == targetUser {
		dm, err := a.dmChannel(ctx, id)
		if err != nil {
			return err
		}
		return call(dm)
	}
	if dm, ok := a.dms.get(id); ok && kind == targetBare {
		return call(dm)
	}
	err = call(id)
	if kind != targetBare || !isUnknownChannel(err) {
		return err
	}
	dm, dmErr := a.dmChannel(ctx, id)
	if dmErr != nil {
		return fmt.Errorf("%s is neither a channel (%w) nor a user the bot can message (%w)", id, err, dmErr)
	}
	return call(dm)
}

// dmChannel returns the direct-message channel with a user. Discord
// answers the same channel every time, so it is cached.
func (a *Adapter) dmChannel(ctx context.Context, userID string) (string, error) {
	if dm, ok := a.dms.get(userID); ok {
		return dm, nil
	}
	ch, err := a.session.UserChannelCreate(userID, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("open direct message with %s: %w", userID, err)
	}
	if ch == nil || !isSnowflake(ch.ID) {
		return "", fmt.Errorf("open direct message with %s: Discord returned no channel id", userID)
	}
	a.dms.put(userID, ch.ID)
	return ch.ID, nil
}

// isUnknownChannel reports whether Discord said there is no such channel
// (JSON error code 10003), which is what a user id posted to answers.
func isUnknownChannel(err error) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Message != nil && re.Message.Code == discordgo.ErrCodeUnknownChannel
}

// mapError turns a rate-limit answer into a *bot.RateLimitError (wrapped,
// so errors.As finds it) and names the operation.
func mapError(op string, err error) error {
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		return fmt.Errorf("discord: %s: %w", op, &bot.RateLimitError{RetryAfter: atLeast(rl.RetryAfter)})
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusTooManyRequests {
		// discordgo answers a 429 whose body is not JSON this way.
		return fmt.Errorf("discord: %s: %w", op, &bot.RateLimitError{RetryAfter: atLeast(retryAfterHeader(re.Response.Header))})
	}
	return fmt.Errorf("discord: %s: %w", op, err)
}

// atLeast keeps a missing or zero wait from turning into a busy loop.
func atLeast(d time.Duration) time.Duration {
	if d <= 0 {
		return time.Second
	}
	return d
}

func retryAfterHeader(h http.Header) time.Duration {
	d, err := time.ParseDuration(strings.TrimSpace(h.Get("Retry-After")) + "s")
	if err != nil {
		return 0
	}
	return d
}

// isSnowflake reports whether s looks like a Discord id.
func isSnowflake(s string) bool {
	return bot.Recipient{Platform: bot.PlatformDiscord, ID: s}.Validate() == nil
}

// rewriteTransport sends requests meant for Discord's REST base to
// another base (a fake in tests). It keeps endpoint configuration per
// session instead of changing discordgo's package-level Endpoint variables.
type rewriteTransport struct {
	from *url.URL // discordgo.EndpointAPI
	to   *url.URL // Config.APIURL, path ending in "/"
	next http.RoundTripper
}

func newTransport(apiURL string) (http.RoundTripper, error) {
	next := http.DefaultTransport.(*http.Transport).Clone()
	if apiURL == "" {
		return next, nil
	}
	to, err := url.Parse(apiURL)
	if err != nil || (to.Scheme != "http" && to.Scheme != "https") || to.Host == "" {
		return nil, fmt.Errorf("discord: api url %q: want an http or https URL", apiURL)
	}
	if !strings.HasSuffix(to.Path, "/") {
		to.Path += "/"
	}
	to.RawPath = ""
	from, err := url.Parse(discordgo.EndpointAPI)
	if err != nil {
		return nil, fmt.Errorf("discord: parse discordgo endpoint: %w", err)
	}
	return &rewriteTransport{from: from, to: to, next: next}, nil
}

// RoundTrip implements http.RoundTripper.
func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL
	if u.Scheme != t.from.Scheme || u.Host != t.from.Host || !strings.HasPrefix(u.Path, t.from.Path) {
		return t.next.RoundTrip(req)
	}
	out := req.Clone(req.Context()) // a RoundTripper must not change req
	out.URL.Scheme, out.URL.Host = t.to.Scheme, t.to.Host
	out.URL.Path = t.to.Path + strings.TrimPrefix(u.Path, t.from.Path)
	out.URL.RawPath = ""
	out.Host = ""
	return t.next.RoundTrip(out)
}

// dmCacheSize bounds the remembered direct-message channels; when full the
// cache starts over (a miss costs one idempotent REST call).
const dmCacheSize = 4096

// dmCache maps user ids to their direct-message channel ids.
type dmCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *dmCache) get(userID string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.m[userID]
	return ch, ok
}

func (c *dmCache) put(userID, channelID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= dmCacheSize {
		c.m = make(map[string]string)
	}
	c.m[userID] = channelID
}
