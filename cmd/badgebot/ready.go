package main

import (
	"context"
	"sync"
	"time"

	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// readyTTL is how long a readiness verdict is reused: /readyz under load
// costs one write probe per period, not one per request.
const readyTTL = 2 * time.Second

// readiness caches the verdict of the database checks of /readyz.
type readiness struct {
	mu      sync.Mutex
	ttl     time.Duration
	checked time.Time
	err     error
}

// ready reports whether the database answers and takes writes (DESIGN §3),
// from a verdict at most readyTTL old.
func (a *App) ready(ctx context.Context) error {
	rd := &a.readiness
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if !rd.checked.IsZero() && time.Since(rd.checked) < rd.ttl {
		return rd.err
	}
	rd.err = a.DB.Ping(ctx)
	if rd.err == nil {
		rd.err = a.DB.ProbeWrite(ctx)
	}
	rd.checked = time.Now()
	return rd.err
}

// dropDeliveryBodies deletes the bodies of processed webhook deliveries
// older than privacy.delivery_retention.
func (a *App) dropDeliveryBodies(ctx context.Context) error {
	keep, err := config.ParseWindow(a.Config.Privacy.DeliveryRetention)
	if err != nil {
		return err
	}
	n, err := a.DB.DropDeliveryBodies(ctx, time.Now().Add(-keep))
	if n > 0 {
		a.Log.Info("delivery bodies deleted after privacy.delivery_retention", "count", n, "retention", a.Config.Privacy.DeliveryRetention)
	}
	return err
}
