// Package reqbody reads webhook request bodies: bounded, in fixed-size
// chunks, and within a budget of memory shared by every body being read.
//
// A body is read before its signature can be checked, so its bytes belong
// to whoever sent them. It is read into chunks of ChunkSize, each taken
// from the Budget only once the bytes before it have arrived, so a
// Content-Length is never believed and the bodies of all requests in
// flight together never hold more than the budget. Nothing is copied
// while a body is read: a signature is checked over the chunks (WriteTo),
// and only then does Join make the one contiguous slice the rest of the
// pipeline reads (an honest delivery, tens of kilobytes, is one chunk and
// is not copied at all).
//
// Chunks given back are kept on the budget's free list and reused, never
// left to the garbage collector: a buffer that grows by doubling leaves
// its old halves as garbage the runtime gives back to the system late, so
// a process under a stream of large unsigned bodies held twice its budget
// and more. Every chunk ever allocated was in use within the budget at
// once, so the chunks in use and kept together hold at most the budget.
package reqbody

import (
	"bytes"
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

	// ChunkSize is the unit a body is read into and the budget charged
	// in: an honest delivery (tens of kilobytes) fits one.
	ChunkSize = 64 << 10

	// retryAfter is the Retry-After of a 503 for want of memory, seconds.
	retryAfter = 5
)

// Body is a request body read by Read. Its bytes are valid until Release.
type Body struct {
	chunks [][]byte // cap ChunkSize each, all but the last full
	n      int64    // bytes in all
	joined []byte   // the contiguous copy Join made, charged to budget
	budget *Budget
	probe  [1]byte // reads whether a body that filled its chunks has ended
}

// Len returns the length of the body.
func (b *Body) Len() int64 { return b.n }

// WriteTo writes the body to w chunk by chunk, without joining it: a
// signature is checked this way before any copy is made.
func (b *Body) WriteTo(w io.Writer) (int64, error) {
	if b.joined != nil {
		n, err := w.Write(b.joined)
		return int64(n), err
	}
	var total int64
	for _, c := range b.chunks {
		n, err := w.Write(c)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Budget bounds the memory that request bodies being read hold at once,
// across all requests that read through it, and keeps the chunks they give
// back for the next. The zero value is not usable; call NewBudget. One
// Budget is meant to be shared by every receiver of a process.
type Budget struct {
	max    int64
	wait   time.Duration
	bodies sync.Pool // of *Body, without chunks

	mu      sync.Mutex
	used    int64
	free    [][]byte      // chunks given back; with those in use, at most max
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

// Kept returns the bytes of the chunks given back and kept for reuse.
func (bg *Budget) Kept() int64 {
	bg.mu.Lock()
	defer bg.mu.Unlock()
	return int64(len(bg.free)) * ChunkSize
}

// Read reads at most limit bytes of r's body into chunks. The caller hands
// the body back with Release once nothing uses its bytes. When the body is
// too large (413), cannot be read (400) or there is no memory for it now
// (503, with a Retry-After header set on w), Read returns a nil body, the
// status and a reason to reply with.
func (bg *Budget) Read(w http.ResponseWriter, r *http.Request, limit int64) (*Body, int, string) {
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, tooLarge(limit)
	}
	b, _ := bg.bodies.Get().(*Body)
	if b == nil {
		b = &Body{}
	}
	b.budget = bg
	body := http.MaxBytesReader(w, r.Body, limit)
	for {
		var p []byte
		last := len(b.chunks) - 1
		switch {
		case last >= 0 && len(b.chunks[last]) < ChunkSize:
			c := b.chunks[last]
			p = c[len(c):ChunkSize]
		case r.ContentLength <= b.n:
			// The chunks are full and no more bytes are claimed (or
			// the length is unknown): a byte tells whether the body
			// goes on before a chunk is taken for it.
			p = b.probe[:]
		default:
			// More bytes are claimed: a chunk for them at once, so that
			// an honest delivery is read in one go. A claim buys no more
			// than this one chunk ahead of the bytes that came.
			c, ok := bg.chunk(r.Context())
			if !ok {
				bg.Release(b)
				return bg.busy(w)
			}
			b.chunks = append(b.chunks, c)
			continue
		}
		n, err := body.Read(p)
		if n > 0 {
			if &p[0] == &b.probe[0] {
				c, ok := bg.chunk(r.Context())
				if !ok {
					bg.Release(b)
					return bg.busy(w)
				}
				b.chunks = append(b.chunks, append(c, b.probe[0]))
			} else {
				b.chunks[last] = b.chunks[last][:len(b.chunks[last])+n]
			}
			b.n += int64(n)
		}
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

// Join returns b as one slice, to be used once its signature holds. A body
// of one chunk is returned as it is; a longer one is copied once into a
// buffer taken from the budget (waiting for room as Read does), and its
// chunks go back at once. With no room it returns nil, 503 and a reason,
// Retry-After set on w. The slice is valid until Release.
func (bg *Budget) Join(w http.ResponseWriter, r *http.Request, b *Body) ([]byte, int, string) {
	switch {
	case b.joined != nil:
		return b.joined, 0, ""
	case len(b.chunks) == 0:
		return []byte{}, 0, ""
	case len(b.chunks) == 1:
		return b.chunks[0], 0, ""
	}
	if !bg.take(r.Context(), b.n) {
		_, status, reason := bg.busy(w)
		return nil, status, reason
	}
	joined := make([]byte, 0, b.n)
	for _, c := range b.chunks {
		joined = append(joined, c...)
	}
	bg.putChunks(b.chunks)
	clear(b.chunks)
	b.chunks, b.joined = b.chunks[:0], joined
	return joined, 0, ""
}

// Release hands a body from Read back: its chunks go to the free list and
// its memory to the budget. A nil body is ignored.
func (bg *Budget) Release(b *Body) {
	if b == nil {
		return
	}
	bg.putChunks(b.chunks)
	if b.joined != nil {
		bg.give(int64(cap(b.joined))) // garbage: only a signed body is joined
	}
	clear(b.chunks)
	b.chunks, b.n, b.joined, b.budget = b.chunks[:0], 0, nil, nil
	bg.bodies.Put(b)
}

// chunk takes a chunk from the budget, from the free list when one is
// there. Empty with capacity ChunkSize.
func (bg *Budget) chunk(ctx context.Context) ([]byte, bool) {
	if !bg.take(ctx, ChunkSize) {
		return nil, false
	}
	bg.mu.Lock()
	if n := len(bg.free); n > 0 {
		c := bg.free[n-1]
		bg.free[n-1] = nil
		bg.free = bg.free[:n-1]
		bg.mu.Unlock()
		return c, true
	}
	bg.mu.Unlock()
	// The free list is empty, so every chunk made before is in use and
	// charged: with this one they stay within the budget.
	return make([]byte, 0, ChunkSize), true
}

// putChunks gives chunks back to the free list and their memory to the
// budget.
func (bg *Budget) putChunks(chunks [][]byte) {
	if len(chunks) == 0 {
		return
	}
	bg.mu.Lock()
	for _, c := range chunks {
		bg.free = append(bg.free, c[:0])
	}
	bg.mu.Unlock()
	bg.give(int64(len(chunks)) * ChunkSize)
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

// ReadAll reads a small body (a chat request) through the shared budget
// and returns a copy the caller owns. The budget bounds the slow part,
// bytes arriving from a client whose signature is not checked yet; the
// copy lives only from the last byte to the caller's check. It fails as
// Read does: nil, the status and a reason to reply with.
func ReadAll(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, int, string) {
	bg := Shared()
	b, status, reason := bg.Read(w, r, limit)
	if status != 0 {
		return nil, status, reason
	}
	defer bg.Release(b)
	joined, status, reason := bg.Join(w, r, b)
	if status != 0 {
		return nil, status, reason
	}
	return bytes.Clone(joined), 0, ""
}
