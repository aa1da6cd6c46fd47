// Package reqbody reads webhook request bodies: bounded, into pooled
// buffers, and within a budget of memory shared by every body being read.
//
// A body is read before its signature can be checked, so its bytes belong
// to whoever sent them. The Content-Length a client claims is therefore
// trusted only for a small first allocation (an honest delivery is tens of
// kilobytes and fits it in one); beyond that a buffer grows only as bytes
// actually arrive, and every growth is taken from the Budget first, so that
// the bodies of all requests in flight together never hold more than it.
// A delivery is tens of kilobytes, and allocating (and zeroing) one per
// request kept the garbage collector busy under load: buffers are pooled.
package reqbody

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

const (
	// DefaultBudget is the memory the bodies of all requests being read
	// may hold together: DESIGN §7 allows a request 64 MiB before its
	// signature is checked, and this bounds all of them at once to that.
	DefaultBudget = 64 << 20

	// DefaultWait is how long a request waits for room in the budget
	// before it is refused with 503: long enough to ride out a burst of
	// large honest deliveries, short against GitHub's 10 s timeout.
	DefaultWait = 2 * time.Second

	// trusted is the most a Content-Length is believed for the first
	// allocation; larger bodies grow as they arrive.
	trusted = 64 << 10

	// keep is the largest buffer returned to the pool: one huge delivery
	// must not stay in memory.
	keep = 1 << 20

	// retryAfter is the Retry-After of a 503 for want of memory, seconds.
	retryAfter = 5
)

// Body is a request body read by Read. Bytes are valid until Release.
type Body struct {
	data   []byte // len: the body; cap: the memory held, taken from budget
	budget *Budget
}

// Bytes returns the body.
func (b *Body) Bytes() []byte { return b.data }

// Budget bounds the memory that request bodies being read hold at once,
// across all requests that read through it. The zero value is not usable;
// call NewBudget. One Budget is meant to be shared by every receiver of a
// process.
type Budget struct {
	max  int64
	wait time.Duration
	pool sync.Pool // of *Body with cap(data) <= keep

	mu      sync.Mutex
	used    int64
	waiting int           // requests waiting for room
	freed   chan struct{} // made by a waiter, closed when memory is given back
}

// NewBudget returns a budget of max bytes. A request that finds no room
// waits up to wait for other requests to give some back, then is refused
// with 503 and Retry-After.
func NewBudget(max int64, wait time.Duration) *Budget {
	return &Budget{max: max, wait: wait}
}

// InUse returns the bytes held by bodies read and not yet released.
func (bg *Budget) InUse() int64 {
	bg.mu.Lock()
	defer bg.mu.Unlock()
	return bg.used
}

// Read reads at most limit bytes of r's body. The caller hands the body
// back with Release once nothing uses its bytes. When the body is too
// large (413), cannot be read (400) or there is no memory for it now (503,
// with a Retry-After header set on w), Read returns a nil body, the status
// and a reason to reply with.
func (bg *Budget) Read(w http.ResponseWriter, r *http.Request, limit int64) (*Body, int, string) {
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, tooLarge(limit)
	}
	b, _ := bg.pool.Get().(*Body)
	if b == nil {
		b = &Body{}
	}
	b.data, b.budget = b.data[:0], bg
	if !bg.take(r.Context(), int64(cap(b.data))) {
		b.data = nil // not counted: dropped rather than pooled uncounted
		return bg.busy(w)
	}
	// The first allocation believes a small Content-Length: one
	// allocation for an honest delivery, with a byte spare to see EOF.
	first := min(int64(trusted), limit+1)
	if r.ContentLength >= 0 {
		first = min(r.ContentLength+1, first)
	}
	if int64(cap(b.data)) < first && !b.grow(r.Context(), first) {
		bg.Release(b)
		return bg.busy(w)
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	for {
		if len(b.data) == cap(b.data) {
			// Room only for bytes that came: double, up to the limit
			// and the byte that tells it was exceeded.
			if !b.grow(r.Context(), min(max(2*int64(cap(b.data)), 4<<10), limit+1)) {
				bg.Release(b)
				return bg.busy(w)
			}
		}
		n, err := body.Read(b.data[len(b.data):cap(b.data)])
		b.data = b.data[:len(b.data)+n]
		if err == io.EOF {
			return b, 0, ""
		}
		if err != nil {
			bg.Release(b)
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				return nil, http.StatusRequestEntityTooLarge, tooLarge(limit)
			}
			return nil, http.StatusBadRequest, "could not read the body"
		}
	}
}

// grow makes room for size bytes in all, taken from the budget first: old
// and new buffer are both held while the bytes are copied.
func (b *Body) grow(ctx context.Context, size int64) bool {
	old := int64(cap(b.data))
	if size <= old {
		return true
	}
	if !b.budget.take(ctx, size) {
		return false
	}
	data := make([]byte, len(b.data), size)
	copy(data, b.data)
	b.data = data
	b.budget.give(old)
	return true
}

// Release hands a body from Read back: its memory returns to the budget
// and its buffer to the pool. A nil body is ignored.
func (bg *Budget) Release(b *Body) {
	if b == nil {
		return
	}
	bg.give(int64(cap(b.data)))
	if cap(b.data) <= keep {
		b.data = b.data[:0]
		bg.pool.Put(b)
	}
}

// take reserves n bytes, waiting up to the budget's wait (or until ctx
// ends) for them.
func (bg *Budget) take(ctx context.Context, n int64) bool {
	if n == 0 {
		return true
	}
	var timeout <-chan time.Time
	for {
		bg.mu.Lock()
		if bg.used+n <= bg.max {
			bg.used += n
			bg.mu.Unlock()
			return true
		}
		if n > bg.max || bg.wait <= 0 {
			bg.mu.Unlock()
			return false
		}
		if bg.freed == nil {
			bg.freed = make(chan struct{})
		}
		freed := bg.freed
		bg.waiting++
		bg.mu.Unlock()
		if timeout == nil {
			t := time.NewTimer(bg.wait)
			defer t.Stop()
			timeout = t.C
		}
		ok := true
		select {
		case <-freed:
		case <-timeout:
			ok = false
		case <-ctx.Done():
			ok = false
		}
		bg.mu.Lock()
		bg.waiting--
		bg.mu.Unlock()
		if !ok {
			return false
		}
	}
}

// give returns n bytes to the budget and wakes whoever waits.
func (bg *Budget) give(n int64) {
	if n == 0 {
		return
	}
	bg.mu.Lock()
	bg.used -= n
	if bg.freed != nil {
		close(bg.freed)
		bg.freed = nil
	}
	bg.mu.Unlock()
}

// busy sets Retry-After and returns the 503 and its reason.
func (bg *Budget) busy(w http.ResponseWriter) (*Body, int, string) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	return nil, http.StatusServiceUnavailable, "too many request bodies being read at once; retry later"
}

// Shared returns the budget of the process, DefaultBudget with
// DefaultWait, which every webhook receiver reads through.
var Shared = sync.OnceValue(func() *Budget { return NewBudget(DefaultBudget, DefaultWait) })

func tooLarge(limit int64) string { return fmt.Sprintf("body larger than %d bytes", limit) }
