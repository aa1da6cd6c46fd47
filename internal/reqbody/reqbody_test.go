package reqbody

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
)

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestRead(t *testing.T) {
	const limit = 10
	for _, tt := range []struct {
		name       string
		body       io.Reader
		length     int64 // Content-Length; -1 unknown (chunked)
		want       string
		wantStatus int
	}{
		{"empty", strings.NewReader(""), 0, "", 0},
		{"at the limit", strings.NewReader("0123456789"), 10, "0123456789", 0},
		{"at the limit, length unknown", strings.NewReader("0123456789"), -1, "0123456789", 0},
		{"length claimed short", strings.NewReader("0123456789"), 2, "0123456789", 0},
		{"declared too large", strings.NewReader("0123456789x"), 11, "", http.StatusRequestEntityTooLarge},
		{"too large, length unknown", strings.NewReader("0123456789x"), -1, "", http.StatusRequestEntityTooLarge},
		{"unreadable", failingReader{}, -1, "", http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bg := NewBudget(1<<20, 0)
			r := httptest.NewRequest(http.MethodPost, "/", tt.body)
			r.ContentLength = tt.length
			buf, status, reason := bg.Read(httptest.NewRecorder(), r, limit)
			if status != tt.wantStatus {
				t.Fatalf("Read status = %d (%q), want %d", status, reason, tt.wantStatus)
			}
			if status != 0 {
				if buf != nil || reason == "" {
					t.Errorf("Read refused with buffer %v and reason %q; want no buffer and a reason", buf, reason)
				}
				if status == http.StatusRequestEntityTooLarge && !strings.Contains(reason, "10 bytes") {
					t.Errorf("reason %q does not give the limit", reason)
				}
				if n := bg.InUse(); n != 0 {
					t.Errorf("after a refusal the budget holds %d bytes, want 0", n)
				}
				return
			}
			if got := string(buf.Bytes()); got != tt.want {
				t.Errorf("Read = %q, want %q", got, tt.want)
			}
			bg.Release(buf)
			if n := bg.InUse(); n != 0 {
				t.Errorf("after Release the budget holds %d bytes, want 0", n)
			}
		})
	}
}

// A pooled buffer comes back empty: nothing of an earlier body shows
// through a shorter one.
func TestReadReusesBuffersEmpty(t *testing.T) {
	bg := NewBudget(1<<20, 0)
	for _, body := range []string{"a long first body", "short"} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		buf, status, _ := bg.Read(httptest.NewRecorder(), r, 100)
		if status != 0 || string(buf.Bytes()) != body {
			t.Fatalf("Read = %q, %d; want %q", buf.Bytes(), status, body)
		}
		bg.Release(buf)
	}
	bg.Release(nil) // ignored
}

// stalled is a request body that yields its first bytes, then blocks
// until released, as a client does that claims a large Content-Length
// and sends a byte. waiting is closed once Read blocks.
type stalled struct {
	first   []byte
	waiting chan struct{}
	release chan struct{}
	once    sync.Once
}

func newStalled(first string) *stalled {
	return &stalled{first: []byte(first), waiting: make(chan struct{}), release: make(chan struct{})}
}

func (s *stalled) Read(p []byte) (int, error) {
	if len(s.first) > 0 {
		n := copy(p, s.first)
		s.first = s.first[n:]
		return n, nil
	}
	s.once.Do(func() { close(s.waiting) })
	<-s.release
	return 0, errors.New("connection closed")
}

// The attack of issue 10: connections that claim 25 MiB and send one
// byte. Before, each made Read allocate the 25 MiB it claimed; now a
// claim buys at most the first trusted bytes, and the rest only as bytes
// arrive. Measured twice: by the budget, and by the heap itself.
func TestReadTrustsContentLengthLittle(t *testing.T) {
	const conns, claim = 8, 25 << 20
	bg := NewBudget(DefaultBudget, 0)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	var wg sync.WaitGroup
	bodies := make([]*stalled, conns)
	done := make([]chan struct{}, conns)
	for i := range bodies {
		bodies[i], done[i] = newStalled("{"), make(chan struct{})
		r := httptest.NewRequest(http.MethodPost, "/", bodies[i])
		r.ContentLength = claim
		wg.Go(func() {
			defer close(done[i])
			if buf, status, reason := bg.Read(httptest.NewRecorder(), r, claim); status != http.StatusBadRequest {
				t.Errorf("Read of a cut-off body = %d (%q), want 400", status, reason)
				bg.Release(buf)
			}
		})
	}
	for i, b := range bodies {
		select {
		case <-b.waiting:
		case <-done[i]: // refused before reading: reported above
		}
	}
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	held := bg.InUse()
	for _, b := range bodies {
		close(b.release)
	}
	wg.Wait()

	if max := int64(conns * trusted); held > max {
		t.Errorf("%d connections claiming %d MiB with one byte sent hold %d bytes of budget, want at most %d", conns, claim>>20, held, max)
	}
	// The heap grew by what the reads hold, not by what they claimed.
	if grew := int64(during.HeapAlloc) - int64(before.HeapAlloc); grew > 4<<20 {
		t.Errorf("heap grew by %.1f MiB while %d connections claiming %d MiB each sent one byte; want under 4 MiB",
			float64(grew)/(1<<20), conns, claim>>20)
	}
	if n := bg.InUse(); n != 0 {
		t.Errorf("after the reads ended the budget holds %d bytes, want 0", n)
	}
}

// piped is a request whose body the test writes: a Write returns once the
// reader took every byte, so the read has grown to hold them.
type piped struct {
	w      *io.PipeWriter
	status chan int
	header http.Header
}

func startPiped(t *testing.T, bg *Budget, limit int64) *piped {
	t.Helper()
	pr, pw := io.Pipe()
	return startReading(bg, limit, pr, pw)
}

// startReading reads body in the background; pw, when not nil, is the
// writing end of body.
func startReading(bg *Budget, limit int64, body io.Reader, pw *io.PipeWriter) *piped {
	p := &piped{w: pw, status: make(chan int, 1)}
	r := httptest.NewRequest(http.MethodPost, "/", body)
	r.ContentLength = -1
	rec := httptest.NewRecorder()
	p.header = rec.Header()
	go func() {
		buf, status, _ := bg.Read(rec, r, limit)
		if status != 0 && pw != nil {
			pw.CloseWithError(errors.New("refused"))
		}
		bg.Release(buf)
		p.status <- status
	}()
	return p
}

// Many bodies being read at once hold no more than the budget together:
// the one that would go over it is refused with 503 and Retry-After, and
// once memory is given back a new one is read.
func TestBudgetBoundsConcurrentBodies(t *testing.T) {
	const limit = 4 << 20
	// 400 KB ends in a 512 KiB buffer (doubling from 64 KiB), 768 KiB
	// held while the last doubling copies: two bodies fit, a third not.
	bg := NewBudget(1536<<10, 0)
	chunk := bytes.Repeat([]byte("x"), 400_000)
	a, b := startPiped(t, bg, limit), startPiped(t, bg, limit)
	for _, p := range []*piped{a, b} {
		if _, err := p.w.Write(chunk); err != nil {
			t.Fatalf("writing a body: %v", err)
		}
	}
	if held := bg.InUse(); held != 2*512<<10 {
		t.Errorf("two 400 KB bodies hold %d bytes, want %d", held, 2*512<<10)
	}

	c := startPiped(t, bg, limit)
	if _, err := c.w.Write(chunk); err == nil {
		t.Fatal("a third 400 KB body was read whole; want it refused for want of memory")
	}
	if got := <-c.status; got != http.StatusServiceUnavailable {
		t.Errorf("the body over the budget got %d, want 503", got)
	}
	if ra := c.header.Get("Retry-After"); ra == "" {
		t.Error("503 without Retry-After")
	}
	if held := bg.InUse(); held > bg.max {
		t.Errorf("budget holds %d bytes, more than its %d", held, bg.max)
	}

	a.w.Close()
	if got := <-a.status; got != 0 {
		t.Fatalf("the first body ended with status %d, want it read", got)
	}
	d := startPiped(t, bg, limit)
	if _, err := d.w.Write(chunk); err != nil {
		t.Fatalf("after memory was given back, a new body was refused: %v", err)
	}
	d.w.Close()
	b.w.Close()
	if got, got2 := <-d.status, <-b.status; got != 0 || got2 != 0 {
		t.Errorf("bodies ended with %d and %d, want both read", got, got2)
	}
	if n := bg.InUse(); n != 0 {
		t.Errorf("after every body was released the budget holds %d bytes, want 0", n)
	}
}

// A request that finds no room waits for memory given back within the
// budget's wait, rather than being refused at once.
func TestBudgetWaitsForRoom(t *testing.T) {
	bg := NewBudget(trusted, DefaultWait*30) // the test ends the wait, not the clock
	a := startPiped(t, bg, 1<<20)
	if _, err := a.w.Write([]byte("{")); err != nil {
		t.Fatal(err)
	}
	b := startReading(bg, 1<<20, strings.NewReader("{}"), nil) // waits: a holds the whole budget
	for bg.waiters() == 0 {
		select {
		case got := <-b.status:
			t.Fatalf("the second body ended with %d without waiting for room", got)
		default:
			runtime.Gosched()
		}
	}
	a.w.Close()
	if got := <-a.status; got != 0 {
		t.Fatalf("first body: status %d", got)
	}
	if got := <-b.status; got != 0 {
		t.Errorf("the waiting body got %d, want it read once room was given back", got)
	}
}

func (bg *Budget) waiters() int {
	bg.mu.Lock()
	defer bg.mu.Unlock()
	return bg.waiting
}

// BenchmarkRead is the honest path: a 30 KB delivery with its
// Content-Length, read into a pooled buffer.
func BenchmarkRead(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 30_000)
	bg := NewBudget(DefaultBudget, DefaultWait)
	rec := httptest.NewRecorder()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	rd := bytes.NewReader(body)
	r := httptest.NewRequest(http.MethodPost, "/", rd)
	for b.Loop() {
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		r.ContentLength = int64(len(body))
		buf, status, _ := bg.Read(rec, r, 25<<20)
		if status != 0 {
			b.Fatalf("status %d", status)
		}
		bg.Release(buf)
	}
}
