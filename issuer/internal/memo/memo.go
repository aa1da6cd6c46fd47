// Package memo is a bounded map of values computed on first use, safe for
// concurrent use: the issuer's HTTP caches and the signing fast path's
// contexts, templates, checked IRIs and proof hashes.
package memo

import "sync"

// Cache holds values computed on first use. A value is computed outside
// the lock, so two callers racing for a new key may both compute it; it
// must come out the same either way. When full, it starts over. Max must
// be set before first use.
type Cache[K comparable, V any] struct {
	Max int
	mu  sync.RWMutex
	m   map[K]V
}

// Lookup returns the value stored for k.
func (c *Cache[K, V]) Lookup(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

// Store stores v for k.
func (c *Cache[K, V]) Store(k K, v V) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.Max {
		c.m = make(map[K]V)
	}
	c.m[k] = v
	c.mu.Unlock()
}

// Remove forgets k.
func (c *Cache[K, V]) Remove(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// Len returns how many values are held.
func (c *Cache[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// Get returns the value for k, computing and storing it when there is
// none. An error is returned and nothing stored.
func (c *Cache[K, V]) Get(k K, compute func() (V, error)) (V, error) {
	if v, ok := c.Lookup(k); ok {
		return v, nil
	}
	v, err := compute()
	if err != nil {
		return v, err
	}
	c.Store(k, v)
	return v, nil
}

// LookupBytes is Lookup in a Cache keyed by strings with the key's bytes:
// m[string(b)] does not allocate, a conversion passed to Lookup does (a
// template's shape signature is about a kilobyte, per signing).
func LookupBytes[V any](c *Cache[string, V], b []byte) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[string(b)]
	c.mu.RUnlock()
	return v, ok
}
