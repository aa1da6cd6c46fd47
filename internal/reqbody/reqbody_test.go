package reqbody

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
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
			got, _, _ := bg.Join(httptest.NewRecorder(), r, buf)
			if string(got) != tt.want {
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
		if status != 0 {
			t.Fatalf("Read = %d; want %q", status, body)
		}
		if got, _, _ := bg.Join(httptest.NewRecorder(), r, buf); string(got) != body {
			t.Fatalf("Read = %q; want %q", got, body)
		}
		bg.Release(buf)
	}
	bg.Release(nil) // ignored
}

// A body is read into chunks, one taken only for bytes that came (or, with
// a Content-Length, that are claimed), and joined into one slice only by
// Join: a body of one chunk as it is, a longer one copied once, its
// chunks given back at once and kept for the next body.
func TestReadChunks(t *testing.T) {
	for _, tt := range []struct {
		size       int
		length     bool // Content-Length sent
		wantChunks int
	}{
		{0, true, 0}, {0, false, 0},
		{1, true, 1}, {1, false, 1},
		{ChunkSize - 1, false, 1},
		{ChunkSize, true, 1}, {ChunkSize, false, 1},
		{ChunkSize + 1, true, 2}, {ChunkSize + 1, false, 2},
		{3*ChunkSize + 5, true, 4}, {3*ChunkSize + 5, false, 4},
	} {
		t.Run(fmt.Sprintf("%d bytes, Content-Length %t", tt.size, tt.length), func(t *testing.T) {
			bg := NewBudget(1<<20, 0)
			body := make([]byte, tt.size)
			for i := range body {
				body[i] = byte(i * 7)
			}
			r := httptest.NewRequest(http.MethodPost, "/", &chopped{r: bytes.NewReader(body), n: 10_000})
			r.ContentLength = -1
			if tt.length {
				r.ContentLength = int64(tt.size)
			}
			rec := httptest.NewRecorder()
			buf, status, reason := bg.Read(rec, r, 1<<20)
			if status != 0 {
				t.Fatalf("Read = %d (%q)", status, reason)
			}
			if held := bg.InUse(); held != int64(tt.wantChunks)*ChunkSize {
				t.Errorf("the body holds %d bytes of budget, want %d chunks", held, tt.wantChunks)
			}
			h1, h2 := sha256.New(), sha256.New()
			h1.Write(body)
			if n, err := buf.WriteTo(h2); n != int64(tt.size) || err != nil || !bytes.Equal(h1.Sum(nil), h2.Sum(nil)) {
				t.Errorf("WriteTo wrote %d bytes (%v), not the body", n, err)
			}
			got, status, _ := bg.Join(rec, r, buf)
			if status != 0 || !bytes.Equal(got, body) {
				t.Fatalf("Join = %d bytes, status %d; not the body", len(got), status)
			}
			if again, _, _ := bg.Join(rec, r, buf); len(again) > 0 && &again[0] != &got[0] {
				t.Error("a second Join copied the body again")
			}
			if tt.wantChunks > 1 {
				if held, kept := bg.InUse(), bg.Kept(); held != int64(tt.size) || kept != int64(tt.wantChunks)*ChunkSize {
					t.Errorf("joined, the body holds %d bytes and %d are kept; want %d held and its %d chunks kept", held, kept, tt.size, tt.wantChunks)
				}
			}
			bg.Release(buf)
			if n := bg.InUse(); n != 0 {
				t.Errorf("after Release the budget holds %d bytes, want 0", n)
			}
			if kept := bg.Kept(); kept != int64(tt.wantChunks)*ChunkSize {
				t.Errorf("after Release %d bytes of chunks are kept, want %d", kept, tt.wantChunks*ChunkSize)
			}
		})
	}
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
// claim buys at most one chunk ahead of the bytes that arrived. Measured twice: by the budget, and by the heap itself.
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

	if max := int64(conns * ChunkSize); held > max {
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
	// Each body sends three chunks' worth and waits: two fill the budget.
	bg := NewBudget(6*ChunkSize, 0)
	chunk := bytes.Repeat([]byte("x"), 3*ChunkSize)
	a, b := startPiped(t, bg, limit), startPiped(t, bg, limit)
	for _, p := range []*piped{a, b} {
		if _, err := p.w.Write(chunk); err != nil {
			t.Fatalf("writing a body: %v", err)
		}
	}
	if held := bg.InUse(); held != 6*ChunkSize {
		t.Errorf("two bodies of three chunks hold %d bytes, want %d", held, 6*ChunkSize)
	}

	c := startPiped(t, bg, limit)
	if _, err := c.w.Write(chunk); err == nil {
		t.Fatal("a third body was read whole; want it refused for want of memory")
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

// The streamed attack of issue 10: connections each send a large body
// with a wrong signature, round after round. The budget bounds what they
// hold at once, and the memory itself is bounded too: the chunks a
// refused body gives back are reused by the next, so that everything
// allocated over all the rounds is the budget, not garbage the runtime
// gives back to the system late. (Growing a buffer by doubling allocated
// twice each body and more, round after round: a process held 178 MiB
// under eight such connections.)
func TestStreamedBodiesReuseMemory(t *testing.T) {
	const (
		budget = 16 << 20
		conns  = 8
		size   = 3<<20 - 1000 // a body a doubling buffer could read within the budget
		rounds = 4
	)
	bg := NewBudget(budget, 0)
	secret := []byte("the webhook secret")
	send := bytes.Repeat([]byte(" "), ChunkSize)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var refused, read int
	for range rounds {
		statuses := make(chan int, conns)
		var wg sync.WaitGroup
		for range conns {
			pr, pw := io.Pipe()
			wg.Go(func() { // the attacker
				for sent := 0; sent < size; sent += len(send) {
					if _, err := pw.Write(send); err != nil {
						return // refused
					}
				}
				pw.Close()
			})
			wg.Go(func() { // the handler: read, check the signature, refuse
				r := httptest.NewRequest(http.MethodPost, "/", pr)
				r.ContentLength = -1
				buf, status, _ := bg.Read(httptest.NewRecorder(), r, 25<<20)
				if status != 0 {
					pr.CloseWithError(errors.New("refused"))
				} else {
					mac := hmac.New(sha256.New, secret)
					_, _ = buf.WriteTo(mac)
					if hmac.Equal(mac.Sum(nil), make([]byte, sha256.Size)) {
						status = -1 // a forgery: cannot happen
					}
					bg.Release(buf)
				}
				statuses <- status
			})
		}
		wg.Wait()
		close(statuses)
		for s := range statuses {
			switch s {
			case 0:
				read++
			case http.StatusServiceUnavailable:
				refused++
			default:
				t.Fatalf("a streamed body got %d, want it read or refused with 503", s)
			}
		}
	}
	runtime.ReadMemStats(&after)

	if read == 0 {
		t.Fatal("no body was read whole: the test measured nothing")
	}
	t.Logf("%d bodies of %.1f MiB read, %d refused with 503; %.1f MiB allocated, heap in use %.1f → %.1f MiB",
		read, float64(size)/(1<<20), refused, float64(after.TotalAlloc-before.TotalAlloc)/(1<<20),
		float64(before.HeapInuse)/(1<<20), float64(after.HeapInuse)/(1<<20))
	// What the test itself allocates (goroutines, pipes, requests) is
	// well under a MiB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > budget+1<<20 {
		t.Errorf("%d rounds of %d connections streaming %.1f MiB each allocated %.1f MiB; want the budget, %d MiB, reused",
			rounds, conns, float64(size)/(1<<20), float64(alloc)/(1<<20), budget>>20)
	}
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > budget+1<<20 {
		t.Errorf("the heap in use grew by %.1f MiB, more than the budget, %d MiB", float64(grew)/(1<<20), budget>>20)
	}
	if n, kept := bg.InUse(), bg.Kept(); n != 0 || kept > budget {
		t.Errorf("after the attack the budget holds %d bytes and keeps %d; want 0 and at most %d", n, kept, budget)
	}
}

// A request that finds no room waits for memory given back within the
// budget's wait, rather than being refused at once.
func TestBudgetWaitsForRoom(t *testing.T) {
	bg := NewBudget(ChunkSize, DefaultWait*30) // the test ends the wait, not the clock
	a := startPiped(t, bg, 1<<20)
	if _, err := a.w.Write([]byte("{")); err != nil {
		t.Fatal(err)
	}
	for bg.InUse() == 0 { // a has the byte, and now takes a chunk for it
		runtime.Gosched()
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
		if got, _, _ := bg.Join(rec, r, buf); len(got) != len(body) {
			b.Fatalf("read %d bytes", len(got))
		}
		bg.Release(buf)
	}
}

// BenchmarkReadLarge is a 1 MiB delivery: read into chunks, then joined.
func BenchmarkReadLarge(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1<<20)
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
		if got, _, _ := bg.Join(rec, r, buf); len(got) != len(body) {
			b.Fatalf("read %d bytes", len(got))
		}
		bg.Release(buf)
	}
}

// TestReadAllHoldsBudgetWhileUnsigned: a chat body still arriving is held
// in the shared budget (so slow unsigned clients are bounded with the
// webhooks'), and the copy handed back leaves nothing charged.
func TestReadAllHoldsBudgetWhileUnsigned(t *testing.T) {
	before := Shared().InUse()
	pr, pw := io.Pipe()
	r := httptest.NewRequest(http.MethodPost, "/slack/commands", pr)
	done := make(chan []byte)
	go func() {
		body, status, reason := ReadAll(httptest.NewRecorder(), r, 1<<20)
		if status != 0 {
			t.Errorf("ReadAll: %d %s", status, reason)
		}
		done <- body
	}()
	first := bytes.Repeat([]byte("a"), 1000)
	pw.Write(first) // returns once ReadAll has read it into a chunk
	if got := Shared().InUse(); got < before+ChunkSize {
		t.Errorf("budget in use while the body arrives: %d, want at least a chunk more than %d", got, before)
	}
	pw.Write([]byte("b"))
	pw.Close()
	body := <-done
	if want := append(first, 'b'); !bytes.Equal(body, want) {
		t.Errorf("body %d bytes, want %d", len(body), len(want))
	}
	if got := Shared().InUse(); got != before {
		t.Errorf("budget in use after ReadAll: %d, want %d", got, before)
	}
}
