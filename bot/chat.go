package bot

import (
	"context"
	"fmt"
	"time"
)

// Command is one chat command as a platform adapter hands it to the
// router. Adapters rewrite platform mentions in Text as "@PLATFORM:ID"
// (Slack's "<@U024BE7LH|ada>" becomes "@slack:U024BE7LH"), so the router
// parses one syntax.
type Command struct {
	Platform   string    // PlatformSlack, PlatformDiscord, PlatformConsole
	Caller     Recipient // who typed it
	CallerName string    // their display name, if known
	Channel    string    // where it was typed
	Text       string    // the command without the "/badge" prefix, e.g. "nominate @slack:U1 first-pr helped me"
	// Names maps "PLATFORM:ID" mentioned in Text to display names, when
	// the platform told the adapter (Discord resolved users, Slack escapes).
	Names map[string]string
	// Email is the caller's verified e-mail address, when the platform
	// vouches for it (Slack's users.info profile); used to link identities.
	Email string
}

// Click is a press of a message button.
type Click struct {
	Platform   string
	Caller     Recipient
	CallerName string
	Action     string // Button.Action, e.g. "approve"
	Value      string // Button.Value, e.g. a nomination id
	Channel    string // where the message with the button is
	MessageID  string // the platform's id of that message
}

// Reply is the router's answer to a command or a click.
type Reply struct {
	Message
	// Private replies are shown to the caller only (Slack ephemeral,
	// Discord ephemeral flag); public ones to the channel.
	Private bool
	// Update, for a click, replaces the message that carried the button.
	Update *Message
}

// Platform is a chat platform the bot posts to: the outbox worker delivers
// announcements through it.
type Platform interface {
	// Name is the platform name, e.g. PlatformSlack.
	Name() string
	// Post sends m to a channel or, for a user id, as a direct message; it
	// returns the platform's message id.
	Post(ctx context.Context, channel string, m Message) (messageID string, err error)
	// Update replaces a message posted before.
	Update(ctx context.Context, channel, messageID string, m Message) error
}

// RateLimitError is returned by a Platform when the platform asked to wait
// (HTTP 429 Retry-After); the outbox worker waits that long.
type RateLimitError struct {
	RetryAfter time.Duration
}

// Error implements the error interface.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited: retry after %s", e.RetryAfter)
}
