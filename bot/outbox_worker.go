package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DeliveryStore is what the outbox worker reads and settles.
type OutboxWorkerStore interface {
	OutboxStore
	// ReplacedMessage returns the platform's id of the delivered message
	// that a replaces, or "" when a is posted as a new message: a
	// revocation replaces its award's announcement in the same channel, a
	// KindNominationUpdate the nomination's review message in the same
	// channel.
	ReplacedMessage(ctx context.Context, a Announcement) (string, error)
}

// Outbox worker defaults.
const (
	DefaultDeliverInterval = time.Second // how often Run looks for due announcements
	DefaultMaxAttempts     = 20          // attempts at a platform that is not enabled
	maxBackoff             = time.Hour
	platformTimeout        = 30 * time.Second // one Post or Update
	deliverBatch           = 50
)

// parked returns the next attempt of an announcement given up on: never.
func parked() time.Time { return time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) }

// Backoff is the wait after a failed attempt when the platform named
// none: 1s after the first failure, then 2s, 4s… capped at an hour.
// failures is how many attempts failed before this one.
func Backoff(failures int) time.Duration {
	if failures < 0 {
		failures = 0
	}
	if failures >= 12 { // 2^12 s > 1 h
		return maxBackoff
	}
	return min(time.Second<<failures, maxBackoff)
}

// OutboxWorkerConfig configures an OutboxWorker.
type OutboxWorkerConfig struct {
	Store OutboxWorkerStore
	// Platforms are the enabled chat platforms, by Name.
	Platforms []Platform
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	Log *slog.Logger
	// Interval is how often Run looks for due announcements; 0:
	// DefaultDeliverInterval.
	Interval time.Duration
	// MaxAttempts caps the attempts at an announcement for a platform that
	// is not enabled here; it is then given up on. 0: DefaultMaxAttempts.
	// Announcements to enabled platforms are retried until they go
	// through: a chat outage delays them but loses nothing.
	MaxAttempts int
}

// OutboxWorker is the outbox worker: it posts due announcements to their
// chat platforms, records the platform's message id, and retries failures
// with exponential backoff, waiting as long as a rate limit asks.
// Delivered announcements are never posted again, across restarts.
type OutboxWorker struct {
	store       OutboxWorkerStore
	platforms   map[string]Platform
	now         func() time.Time
	log         *slog.Logger
	interval    time.Duration
	maxAttempts int
	kick        chan struct{}
	mu          sync.Mutex // one DeliverDue at a time
}

// NewOutboxWorker returns an OutboxWorker; Store is required.
func NewOutboxWorker(cfg OutboxWorkerConfig) *OutboxWorker {
	d := &OutboxWorker{
		store:       cfg.Store,
		platforms:   map[string]Platform{},
		now:         cfg.Now,
		log:         cfg.Log,
		interval:    cfg.Interval,
		maxAttempts: cfg.MaxAttempts,
		kick:        make(chan struct{}, 1),
	}
	for _, p := range cfg.Platforms {
		d.platforms[p.Name()] = p
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.interval <= 0 {
		d.interval = DefaultDeliverInterval
	}
	if d.maxAttempts <= 0 {
		d.maxAttempts = DefaultMaxAttempts
	}
	return d
}

// Kick makes Run look for due announcements now.
func (d *OutboxWorker) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run delivers due announcements until ctx ends: at start, when kicked,
// and every Interval.
func (d *OutboxWorker) Run(ctx context.Context) error {
	tick := time.NewTicker(d.interval)
	defer tick.Stop()
	for {
		if _, err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("outbox: deliver", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.kick:
		case <-tick.C:
		}
	}
}

// DeliverDue delivers every announcement due now and returns how many it
// delivered. Failed ones are rescheduled; an error means the store failed.
func (d *OutboxWorker) DeliverDue(ctx context.Context) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delivered := 0
	// limited holds, per platform, until when it asked us to wait: the
	// rest of its announcements wait too instead of being refused one by
	// one.
	limited := map[string]time.Time{}
	for range 100 { // each round settles what it claimed; bounded anyway
		due, err := d.store.DueAnnouncements(ctx, d.now().UTC(), deliverBatch)
		if err != nil {
			return delivered, err
		}
		for _, a := range due {
			ok, err := d.deliver(ctx, a, limited)
			if err != nil {
				return delivered, err
			}
			if ok {
				delivered++
			}
		}
		if len(due) < deliverBatch {
			break
		}
	}
	return delivered, nil
}

// deliver posts or updates one announcement and settles it. It returns
// an error only when the store fails.
func (d *OutboxWorker) deliver(ctx context.Context, a Announcement, limited map[string]time.Time) (bool, error) {
	now := d.now().UTC()
	p, ok := d.platforms[a.Platform]
	if !ok {
		next, text := now.Add(Backoff(a.Attempts)), fmt.Sprintf("no chat platform %q is enabled here", a.Platform)
		if a.Attempts+1 >= d.maxAttempts {
			next, text = parked(), fmt.Sprintf("gave up after %d attempts: %s", a.Attempts+1, text)
		}
		d.log.Warn("outbox: announcement for a platform that is not enabled", "announcement", a.ID, "platform", a.Platform, "attempts", a.Attempts+1)
		return false, d.store.MarkFailed(ctx, a.ID, text, next)
	}
	if until, ok := limited[a.Platform]; ok && now.Before(until) {
		return false, d.store.MarkFailed(ctx, a.ID, "waiting: "+a.Platform+" asked to slow down", until)
	}
	target, err := d.store.ReplacedMessage(ctx, a)
	if err != nil {
		return false, err
	}
	if target == "" && a.Kind == KindNominationUpdate {
		// The review it would update was never posted: nothing to do.
		return false, d.settle(ctx, a, "")
	}
	pctx, cancel := context.WithTimeout(ctx, platformTimeout)
	msgID := target
	if target != "" {
		err = p.Update(pctx, a.Channel, target, a.Message)
	} else {
		msgID, err = p.Post(pctx, a.Channel, a.Message)
	}
	cancel()
	if err != nil {
		next := now.Add(Backoff(a.Attempts))
		if rl, ok := errors.AsType[*RateLimitError](err); ok {
			if rl.RetryAfter > 0 {
				next = now.Add(rl.RetryAfter)
			}
			limited[a.Platform] = next
		}
		d.log.Warn("outbox: delivery failed", "announcement", a.ID, "platform", a.Platform, "kind", a.Kind,
			"attempts", a.Attempts+1, "retry_at", next, "err", err)
		return false, d.store.MarkFailed(ctx, a.ID, err.Error(), next)
	}
	return true, d.settle(ctx, a, msgID)
}

// settle marks a delivered. Another worker having delivered it meanwhile
// is logged, not an error.
func (d *OutboxWorker) settle(ctx context.Context, a Announcement, msgID string) error {
	err := d.store.MarkDelivered(ctx, a.ID, msgID, d.now().UTC())
	if ErrorCode(err) == ECONFLICT {
		d.log.Warn("outbox: announcement was delivered twice", "announcement", a.ID, "platform", a.Platform)
		return nil
	}
	return err
}
