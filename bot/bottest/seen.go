package bottest

import (
	"context"
	"sync"
	"time"
)

// Seen is an in-memory record of accepted chat requests, as the chat
// adapters use storage's (FirstSeen): a key is first once per platform
// until it expires. Err, when set, is returned by every call, as a
// database that cannot write would. It is safe for concurrent use.
type Seen struct {
	mu   sync.Mutex
	keys map[string]time.Time
	Now  func() time.Time // nil: time.Now
	Err  error
}

// FirstSeen records key for platform until expires and reports whether
// it was not recorded, unexpired, before.
func (s *Seen) FirstSeen(_ context.Context, platform string, key []byte, expires time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return false, s.Err
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	if s.keys == nil {
		s.keys = map[string]time.Time{}
	}
	k := platform + "\x00" + string(key)
	if until, ok := s.keys[k]; ok && until.After(now) {
		return false, nil
	}
	s.keys[k] = expires
	return true, nil
}

// Len returns how many keys are recorded.
func (s *Seen) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}
