package reqbody

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzRead reads any body, claimed any Content-Length, under any limit,
// in reads of any size: it never panics, a body it accepts is exactly the
// bytes sent, a refusal is 400, 413 or 503 with a reason, and every byte
// of budget comes back.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"action":"closed"}`), int64(19), uint32(1<<20), uint16(0))
	f.Add([]byte("0123456789x"), int64(-1), uint32(10), uint16(3))
	f.Add([]byte("{"), int64(25<<20), uint32(25<<20), uint16(1))
	f.Add([]byte{}, int64(0), uint32(0), uint16(0))
	f.Fuzz(func(t *testing.T, body []byte, claimed int64, limit uint32, step uint16) {
		bg := NewBudget(1<<20, 0)
		var r io.Reader = bytes.NewReader(body)
		if step > 0 {
			r = &chopped{r: r, n: int(step)}
		}
		req := httptest.NewRequest(http.MethodPost, "/", r)
		req.ContentLength = claimed
		rec := httptest.NewRecorder()
		buf, status, reason := bg.Read(rec, req, int64(limit))
		switch status {
		case 0:
			var chunked bytes.Buffer
			if _, err := buf.WriteTo(&chunked); err != nil || !bytes.Equal(chunked.Bytes(), body) || buf.Len() != int64(len(body)) {
				t.Fatalf("chunks hold %d bytes (%v), sent %d: not the same", chunked.Len(), err, len(body))
			}
			got, status, reason := bg.Join(rec, req, buf)
			if status != 0 || !bytes.Equal(got, body) {
				t.Fatalf("joined %d bytes (status %d, %q), sent %d: not the same", len(got), status, reason, len(body))
			}
			if kept := bg.Kept(); kept > 1<<20 {
				t.Fatalf("the budget keeps %d bytes of chunks, more than itself", kept)
			}
			if int64(len(body)) > int64(limit) {
				t.Fatalf("accepted %d bytes over the limit %d", len(body), limit)
			}
			bg.Release(buf)
		case http.StatusRequestEntityTooLarge, http.StatusBadRequest, http.StatusServiceUnavailable:
			if buf != nil || reason == "" {
				t.Fatalf("refusal %d with body %v and reason %q", status, buf, reason)
			}
		default:
			t.Fatalf("status %d (%q)", status, reason)
		}
		if n := bg.InUse(); n != 0 {
			t.Fatalf("budget holds %d bytes after the read", n)
		}
	})
}

// chopped hands out at most n bytes per Read, as a slow connection does.
type chopped struct {
	r io.Reader
	n int
}

func (c *chopped) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }
