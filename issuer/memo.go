package issuer

import "sync"

// memo is a bounded map of values computed on first use, safe for
// concurrent use: the HTTP caches (http.go); internal/rdfc keeps its own
// for its contexts, templates and proof hashes. A value is computed
// outside the lock, so two callers racing for a new key may both compute
// it; it must come out the same either way. When full, it starts over. max
// must be set before first use.
type memo[K comparable, V any] struct {
	max int
	mu  sync.RWMutex
	m   map[K]V
}

// lookup returns the value stored for k.
func (c *memo[K, V]) lookup(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

// store stores v for k.
func (c *memo[K, V]) store(k K, v V) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = make(map[K]V)
	}
	c.m[k] = v
	c.mu.Unlock()
}

// remove forgets k.
func (c *memo[K, V]) remove(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// get returns the value for k, computing and storing it when there is
// none. An error is returned and nothing stored.
func (c *memo[K, V]) get(k K, compute func() (V, error)) (V, error) {
	if v, ok := c.lookup(k); ok {
		return v, nil
	}
	v, err := compute()
	if err != nil {
		return v, err
	}
	c.store(k, v)
	return v, nil
}
