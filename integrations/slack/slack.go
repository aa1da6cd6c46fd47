// Package slack connects badgebot to Slack: slash commands, button clicks
// and app mentions arrive over HTTP (signed with the signing secret) or
// Socket Mode, go to the core's router, and the answers, announcements and
// review messages are posted as Block Kit messages. It is the only package
// that imports github.com/slack-go/slack.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/slack-go/slack"
)

// Timing budgets. Slack shows an error when a slash command is not answered
// within 3 s, so the lookups and the router share that time.
const (
	answerBudget   = 2500 * time.Millisecond // router answer before we fall back to response_url
	profileBudget  = 800 * time.Millisecond  // users.info for the caller's e-mail
	handlerTimeout = 30 * time.Second        // a whole command, click or event, late replies included
	apiTimeout     = 15 * time.Second        // one Web API request
)

// Router is the core's command router as the adapter uses it; *chat.Router
// implements it.
type Router interface {
	Handle(ctx context.Context, c bot.Command) bot.Reply
	Click(ctx context.Context, c bot.Click) bot.Reply
}

// Seen records the signed requests and the events accepted, so that each
// is accepted once; replicas sharing a database share it. *storage.DB
// implements it.
type Seen interface {
	// FirstSeen records key for platform until expires and reports whether
	// it was not recorded (and unexpired) before.
	FirstSeen(ctx context.Context, platform string, key []byte, expires time.Time) (bool, error)
}

// Config is the [slack] section of the configuration.
type Config struct {
	BotToken      string // xoxb-…: Web API calls
	AppToken      string // xapp-…: Socket Mode; empty means HTTP endpoints only
	SigningSecret string // verifies the HTTP endpoints' requests
	APIURL        string // empty: Slack; tests point it at a fake (ends in "/")
	// TeamIDs, when not empty, are the only workspaces whose commands,
	// clicks and events are served.
	TeamIDs []string
	// Seen is required: it refuses replayed requests and repeated events.
	Seen Seen
}

// Adapter is the Slack chat platform: it implements bot.Platform for
// posting, serves the HTTP endpoints and runs Socket Mode.
type Adapter struct {
	api           *slack.Client
	http          *http.Client
	appToken      bool
	signingSecret string
	router        Router
	log           *slog.Logger
	seen          Seen
	teams         map[string]bool // empty: every workspace

	answerBudget  time.Duration
	profileBudget time.Duration

	profiles *profileCache
	dmMu     sync.Mutex
	dms      map[string]string // user id → direct message channel id

	bg sync.WaitGroup // replies delivered after the request was answered
}

var _ bot.Platform = (*Adapter)(nil)

// New returns an Adapter. The bot token is required, and so is the signing
// secret unless an app token selects Socket Mode.
func New(cfg Config, router Router, log *slog.Logger) (*Adapter, error) {
	if cfg.BotToken == "" {
		return nil, errors.New("slack: bot_token is required")
	}
	if cfg.SigningSecret == "" && cfg.AppToken == "" {
		return nil, errors.New("slack: signing_secret is required for the HTTP endpoints (or set app_token for Socket Mode)")
	}
	if cfg.APIURL != "" && !strings.HasSuffix(cfg.APIURL, "/") {
		return nil, fmt.Errorf("slack: api_url %q must end in /", cfg.APIURL)
	}
	if router == nil {
		return nil, errors.New("slack: no router")
	}
	if cfg.Seen == nil {
		return nil, errors.New("slack: no store for seen requests")
	}
	teams := map[string]bool{}
	for _, id := range cfg.TeamIDs {
		if !isTeamID(id) {
			return nil, fmt.Errorf("slack: team id %q: want a workspace id such as T0123ABCD", id)
		}
		teams[id] = true
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("platform", bot.PlatformSlack)
	hc := &http.Client{Timeout: apiTimeout}
	opts := []slack.Option{slack.OptionHTTPClient(hc), slack.OptionLog(debugLog{log})}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	return &Adapter{
		api:           slack.New(cfg.BotToken, opts...),
		http:          hc,
		appToken:      cfg.AppToken != "",
		signingSecret: cfg.SigningSecret,
		router:        router,
		log:           log,
		seen:          cfg.Seen,
		teams:         teams,
		answerBudget:  answerBudget,
		profileBudget: profileBudget,
		profiles:      newProfileCache(10000),
		dms:           map[string]string{},
	}, nil
}

// Name returns "slack".
func (a *Adapter) Name() string { return bot.PlatformSlack }

// Post sends m to a channel id, or, for a user id ("U…"), as a direct
// message; it returns the message's ts, Slack's id for it.
func (a *Adapter) Post(ctx context.Context, channel string, m bot.Message) (string, error) {
	ch, err := a.conversation(ctx, channel)
	if err != nil {
		return "", err
	}
	_, ts, err := a.api.PostMessageContext(ctx, ch, messageOptions(m)...)
	if err != nil {
		return "", apiError("post message", err)
	}
	return ts, nil
}

// Update replaces the message with ts messageID in channel (a channel id
// or, as for Post, a user id).
func (a *Adapter) Update(ctx context.Context, channel, messageID string, m bot.Message) error {
	ch, err := a.conversation(ctx, channel)
	if err != nil {
		return err
	}
	if _, _, _, err := a.api.UpdateMessageContext(ctx, ch, messageID, messageOptions(m)...); err != nil {
		return apiError("update message", err)
	}
	return nil
}

// Wait blocks until replies still being delivered after their request was
// answered (slow slash commands, Socket Mode work) are done. Call it after
// the HTTP server has shut down.
func (a *Adapter) Wait() { a.bg.Wait() }

// messageOptions renders m for chat.postMessage and chat.update.
func messageOptions(m bot.Message, extra ...slack.MsgOption) []slack.MsgOption {
	opts := []slack.MsgOption{
		slack.MsgOptionText(fallback(m), false),
		slack.MsgOptionBlocks(render(m)...),
		slack.MsgOptionDisableLinkUnfurl(),
	}
	return append(opts, extra...)
}

// conversation returns the channel to post to: channel itself, or for a
// user id the direct message channel, opened once and remembered.
func (a *Adapter) conversation(ctx context.Context, channel string) (string, error) {
	if channel == "" {
		return "", errors.New("slack: post message: no channel")
	}
	if !isSlackUser(channel) {
		return channel, nil
	}
	a.dmMu.Lock()
	ch, ok := a.dms[channel]
	a.dmMu.Unlock()
	if ok {
		return ch, nil
	}
	c, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{channel}})
	if err != nil {
		return "", apiError("open direct message", err)
	}
	if c == nil || c.ID == "" {
		return "", fmt.Errorf("slack: open direct message: no channel for %s", channel)
	}
	a.dmMu.Lock()
	if len(a.dms) >= 10000 {
		clear(a.dms)
	}
	a.dms[channel] = c.ID
	a.dmMu.Unlock()
	return c.ID, nil
}

// defaultRetryAfter is the wait for a 429 that names none.
const defaultRetryAfter = 30 * time.Second

// apiError maps Slack's rate limiting to *bot.RateLimitError, so the
// outbox waits as asked, and wraps everything else.
func apiError(op string, err error) error {
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = defaultRetryAfter
		}
		return &bot.RateLimitError{RetryAfter: wait}
	}
	if sc, ok := errors.AsType[slack.StatusCodeError](err); ok && sc.Code == http.StatusTooManyRequests {
		return &bot.RateLimitError{RetryAfter: defaultRetryAfter}
	}
	return fmt.Errorf("slack: %s: %w", op, err)
}

// debugLog sends slack-go's own log lines to slog at debug level; the
// library logs only in debug mode, which we never turn on, and redacts
// tokens there.
type debugLog struct{ log *slog.Logger }

func (d debugLog) Output(_ int, s string) error {
	d.log.Debug(strings.TrimSpace(s), "source", "slack-go")
	return nil
}
