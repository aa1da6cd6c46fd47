package bottest

import (
	"bytes"
	"context"
	"sync"

	"github.com/badgebot/badgebot/bot"
)

// Sink is a webhook receiver's sink that remembers deliveries by source
// and ID as the durable store does: a second one with the same ID is a
// duplicate. It copies each body, since receivers reuse their buffers.
// Fails, when set, is the error every Accept returns.
type Sink struct {
	Fails error

	mu   sync.Mutex
	got  []bot.WebhookDelivery
	seen map[[2]string]bool
}

// Accept implements the receivers' Sink.
func (s *Sink) Accept(_ context.Context, d bot.WebhookDelivery) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fails != nil {
		return false, s.Fails
	}
	key := [2]string{d.Source, d.ID}
	if s.seen[key] {
		return true, nil
	}
	if s.seen == nil {
		s.seen = map[[2]string]bool{}
	}
	s.seen[key] = true
	d.Body, d.Extract = bytes.Clone(d.Body), bytes.Clone(d.Extract)
	s.got = append(s.got, d)
	return false, nil
}

// Deliveries returns what was accepted, in order, duplicates left out.
func (s *Sink) Deliveries() []bot.WebhookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bot.WebhookDelivery(nil), s.got...)
}
