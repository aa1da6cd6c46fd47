// Package reqbody reads webhook request bodies: bounded, and into pooled
// buffers. A delivery is tens of kilobytes, and allocating (and zeroing)
// one per request kept the garbage collector busy under load.
package reqbody

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// keep is the largest buffer returned to the pool: one huge delivery must
// not stay in memory.
const keep = 1 << 20

// Read reads at most limit bytes of r's body into a pooled buffer. The
// caller hands the buffer back with Release once nothing uses its bytes.
// When the body is too large (413) or cannot be read (400), Read returns a
// nil buffer, the status and a reason to reply with.
func Read(w http.ResponseWriter, r *http.Request, limit int64) (*bytes.Buffer, int, string) {
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, tooLarge(limit)
	}
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	if r.ContentLength > 0 {
		// One allocation for the whole body: ReadFrom wants MinRead spare.
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		Release(buf)
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, http.StatusRequestEntityTooLarge, tooLarge(limit)
		}
		return nil, http.StatusBadRequest, "could not read the body"
	}
	return buf, 0, ""
}

// Release returns a buffer from Read to the pool. A nil buffer is ignored.
func Release(buf *bytes.Buffer) {
	if buf != nil && buf.Cap() <= keep {
		buffers.Put(buf)
	}
}

func tooLarge(limit int64) string { return fmt.Sprintf("body larger than %d bytes", limit) }
