package slack

import (
	"context"
	"strings"
	"sync"
	"time"
)

// How long users.info answers are kept. A failure is remembered briefly so
// that a missing users:read.email scope or a slow Slack does not cost
// every command its profile budget.
const (
	profileTTL     = time.Hour
	profileFailTTL = time.Minute
)

// profile is what the adapter needs from users.info.
type profile struct {
	name  string
	email string // the account's e-mail address, which Slack has verified
}

type profileEntry struct {
	profile
	expires time.Time
}

// profileCache remembers users.info answers per user id.
type profileCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]profileEntry
}

func newProfileCache(max int) *profileCache {
	return &profileCache{max: max, entries: map[string]profileEntry{}}
}

func (c *profileCache) get(id string, now time.Time) (profile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || now.After(e.expires) {
		return profile{}, false
	}
	return e.profile, true
}

func (c *profileCache) put(id string, p profile, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		now := time.Now()
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		// Still full: forget an arbitrary entry; it is only a cache.
		for k := range c.entries {
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[id] = profileEntry{profile: p, expires: expires}
}

// profile returns the user's name and verified e-mail from users.info,
// waiting at most the profile budget; on failure it returns what it has
// (nothing) and the command goes on without.
func (a *Adapter) profile(ctx context.Context, userID string) profile {
	if p, ok := a.profiles.get(userID, time.Now()); ok {
		return p
	}
	ctx, cancel := context.WithTimeout(ctx, a.profileBudget)
	defer cancel()
	u, err := a.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		a.log.Warn("slack: users.info failed; going on without the caller's e-mail", "user", userID, "err", err)
		a.profiles.put(userID, profile{}, time.Now().Add(profileFailTTL))
		return profile{}
	}
	p := profile{email: strings.TrimSpace(u.Profile.Email)}
	for _, n := range []string{u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name} {
		if n = strings.TrimSpace(n); n != "" {
			p.name = n
			break
		}
	}
	if u.IsBot || u.Deleted {
		p.email = ""
	}
	a.profiles.put(userID, p, time.Now().Add(profileTTL))
	return p
}
