// Package bottest holds shared test doubles for the core: a recording
// chat platform, a fake clock and fixtures. Tests of any package may use
// it; production code must not.
package bottest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// Post is one message a Platform posted.
type Post struct {
	Channel string
	ID      string // the message id Post returned
	Message bot.Message
}

// Update is one replacement of a posted message.
type Update struct {
	Channel string
	ID      string
	Message bot.Message
}

// Platform is a bot.Platform that records what it is asked to post and
// update. Like a real platform, it refuses to update a message it never
// posted, and it can be told to fail or to rate-limit the next calls.
// It is safe for concurrent use.
type Platform struct {
	name string

	mu       sync.Mutex
	posts    []Post
	updates  []Update
	current  map[string]bot.Message // message id → what it shows now
	failures []error                // returned by the next calls, first first
	calls    int
}

var _ bot.Platform = (*Platform)(nil)

// NewPlatform returns a Platform with the given name (e.g.
// bot.PlatformSlack).
func NewPlatform(name string) *Platform {
	return &Platform{name: name, current: map[string]bot.Message{}}
}

// Name returns the name given to NewPlatform.
func (p *Platform) Name() string { return p.name }

// Post records m and returns a fresh message id, "NAME-1", "NAME-2"…, or
// the next queued failure.
func (p *Platform) Post(ctx context.Context, channel string, m bot.Message) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.next(ctx); err != nil {
		return "", err
	}
	id := fmt.Sprintf("%s-%d", p.name, len(p.posts)+1)
	p.posts = append(p.posts, Post{Channel: channel, ID: id, Message: m})
	p.current[id] = m
	return id, nil
}

// Update records the replacement of a posted message, or returns the next
// queued failure; it fails for a message id it never returned.
func (p *Platform) Update(ctx context.Context, channel, messageID string, m bot.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.next(ctx); err != nil {
		return err
	}
	if _, ok := p.current[messageID]; !ok {
		return fmt.Errorf("%s: update message: message %q not found", p.name, messageID)
	}
	p.updates = append(p.updates, Update{Channel: channel, ID: messageID, Message: m})
	p.current[messageID] = m
	return nil
}

// next counts a call and pops a queued failure. Call with mu held.
func (p *Platform) next(ctx context.Context) error {
	p.calls++
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(p.failures) == 0 {
		return nil
	}
	err := p.failures[0]
	p.failures = p.failures[1:]
	return err
}

// FailNext makes the next n calls (Post or Update) fail with err.
func (p *Platform) FailNext(n int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		p.failures = append(p.failures, err)
	}
}

// RateLimitNext makes the next n calls fail with a *bot.RateLimitError
// asking to wait retryAfter.
func (p *Platform) RateLimitNext(n int, retryAfter time.Duration) {
	p.FailNext(n, &bot.RateLimitError{RetryAfter: retryAfter})
}

// Posts returns the messages posted so far, oldest first.
func (p *Platform) Posts() []Post {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.posts)
}

// Updates returns the updates so far, oldest first.
func (p *Platform) Updates() []Update {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.updates)
}

// Current returns what a posted message shows now, after its updates.
func (p *Platform) Current(messageID string) (bot.Message, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.current[messageID]
	return m, ok
}

// Calls returns how many Post and Update calls were made, failed ones
// included.
func (p *Platform) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}
