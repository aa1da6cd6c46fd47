package bugzilla

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/google/go-cmp/cmp"
)

const testHeader = "X-Badgebot-Token"

var testSecret = []byte("bmo-shared-secret-0123456789")

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func server(t *testing.T, sink Sink, log *slog.Logger) *httptest.Server {
	t.Helper()
	h, err := NewHandler(testHeader, testSecret, sink, log)
	if err != nil {
		t.Fatal(err)
	}
	h.now = func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// post sends body the way BMO's connector does, with secret in the header
// (none when secret is empty).
func post(t *testing.T, srv *httptest.Server, secret string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if secret != "" {
		req.Header.Set(testHeader, secret)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestNewHandlerRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		secret       []byte
	}{
		{"empty secret", testHeader, nil},
		{"empty header", "", testSecret},
		{"header with a colon", "X-Token:", testSecret},
	} {
		if _, err := NewHandler(tc.header, tc.secret, &bottest.Sink{}, nil); err == nil {
			t.Errorf("%s: NewHandler = nil error, want an error", tc.name)
		}
	}
}

func TestHandlerStoresUsedEvents(t *testing.T) {
	for _, tc := range []struct{ file, routingKey string }{
		{"bug.modify.fixed.json", "bug.modify:status,resolution"},
		{"bug.modify.resolution-fixed.json", "bug.modify:resolution"},
		{"bug.modify.private-fixed.json", "bug.modify:status,resolution"},
		{"bug.modify.fixed-legacy.json", "bug.modify:status,resolution"},
		{"bug.create.json", "bug.create"},
		{"attachment.modify.review.json", "attachment.modify:flag.review"},
		{"comment.create.json", "comment.create"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			sink := &bottest.Sink{}
			srv := server(t, sink, nil)
			body := readTestdata(t, tc.file)
			code, reply := post(t, srv, string(testSecret), bytes.NewReader(body))
			if code != http.StatusOK || reply != `{"status":"accepted"}` {
				t.Fatalf("got %d %s, want 200 accepted", code, reply)
			}
			got := sink.Deliveries()
			if len(got) != 1 {
				t.Fatalf("stored %d deliveries, want 1", len(got))
			}
			d := got[0]
			if d.Source != bot.PlatformBugzilla || d.Type != tc.routingKey || !bytes.Equal(d.Body, body) ||
				!strings.HasPrefix(d.ID, "bmo-") || len(d.ID) != 36 || d.ReceivedAt.IsZero() {
				t.Errorf("stored %+v", d)
			}
		})
	}
}

func TestHandlerIgnoresUnusedEvents(t *testing.T) {
	for _, file := range []string{"bug.modify.priority.json", "bug.modify.private.json", "attachment.create.json", "attachment.modify.obsolete.json"} {
		sink := &bottest.Sink{}
		srv := server(t, sink, nil)
		if code, reply := post(t, srv, string(testSecret), bytes.NewReader(readTestdata(t, file))); code != 200 || reply != `{"status":"ignored"}` {
			t.Errorf("%s: got %d %s, want 200 ignored", file, code, reply)
		}
		if n := len(sink.Deliveries()); n != 0 {
			t.Errorf("%s: stored %d deliveries, want 0", file, n)
		}
	}
}

func TestHandlerRefusesWrongSecret(t *testing.T) {
	body := readTestdata(t, "bug.modify.fixed.json")
	for _, secret := range []string{"", "not-the-shared-secret", string(testSecret) + "x", string(testSecret[:len(testSecret)-1])} {
		sink := &bottest.Sink{}
		var logs bytes.Buffer
		srv := server(t, sink, slog.New(slog.NewTextHandler(&logs, nil)))
		code, reply := post(t, srv, secret, bytes.NewReader(body))
		if code != http.StatusUnauthorized || reply != `{"error":"missing or wrong X-Badgebot-Token header"}` {
			t.Errorf("secret %q: got %d %s, want 401", secret, code, reply)
		}
		if n := len(sink.Deliveries()); n != 0 {
			t.Errorf("secret %q: sink called %d times", secret, n)
		}
		if strings.Contains(logs.String(), string(testSecret[:12])) || (secret != "" && strings.Contains(logs.String(), secret)) {
			t.Errorf("log shows a secret:\n%s", logs.String())
		}
	}
}

// generated is a body of n bytes that exists only as it is read.
type generated struct{ n, read int64 }

func (g *generated) Read(p []byte) (int, error) {
	if g.read >= g.n {
		return 0, io.EOF
	}
	k := min(int64(len(p)), g.n-g.read)
	for i := range p[:k] {
		p[i] = ' '
	}
	g.read += k
	return int(k), nil
}

func TestHandlerRefusesOversizedBodies(t *testing.T) {
	sink := &bottest.Sink{}
	srv := server(t, sink, nil)
	g := &generated{n: MaxBodyBytes + 5<<20}
	code, reply := post(t, srv, string(testSecret), io.MultiReader(g)) // unknown length: chunked
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(reply, "larger than") {
		t.Errorf("got %d %s, want 413", code, reply)
	}
	// Read in place: the handler stops just past the limit.
	h, _ := NewHandler(testHeader, testSecret, sink, nil)
	g = &generated{n: MaxBodyBytes + 5<<20}
	req := httptest.NewRequest(http.MethodPost, "/webhooks/bugzilla", g)
	req.ContentLength = -1
	req.Header.Set(testHeader, string(testSecret))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || g.read > MaxBodyBytes+64<<10 {
		t.Errorf("streamed big body: %d after reading %d bytes, want 413 after at most %d", rec.Code, g.read, MaxBodyBytes+64<<10)
	}
	// Unauthenticated: refused before reading anything.
	g = &generated{n: MaxBodyBytes + 5<<20}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/bugzilla", g))
	if rec.Code != http.StatusUnauthorized || g.read != 0 {
		t.Errorf("unauthenticated big body: %d after reading %d bytes, want 401 after 0", rec.Code, g.read)
	}
	// A declared length over the limit is refused unread.
	g = &generated{n: MaxBodyBytes + 1}
	req = httptest.NewRequest(http.MethodPost, "/webhooks/bugzilla", g)
	req.ContentLength = g.n
	req.Header.Set(testHeader, string(testSecret))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || g.read != 0 {
		t.Errorf("declared big body: %d after reading %d bytes, want 413 after 0", rec.Code, g.read)
	}
	if n := len(sink.Deliveries()); n != 0 {
		t.Errorf("stored %d deliveries", n)
	}
}

func TestHandlerRefusesMalformedBodies(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"truncated", `{"event": {"time": "2020-07-24T20:11:22"`, `invalid JSON`},
		{"array", `[1, 2]`, `the body is a JSON array, want an object`},
		{"no event", `{"bug": {"id": 1}}`, `no event object`},
		{"no bug", `{"event": {"routing_key": "bug.create", "time": "2020-07-24T20:11:22"}}`, `no bug object`},
		{"no bug id", `{"event": {"routing_key": "bug.create", "time": "2020-07-24T20:11:22"}, "bug": {"summary": "x"}}`, `no bug.id`},
		{"no time", `{"event": {"routing_key": "bug.create"}, "bug": {"id": 1}}`, `no event.time`},
		{"no routing key or action", `{"event": {"time": "2020-07-24T20:11:22"}, "bug": {"id": 1}}`, `no event.routing_key`},
		{"id is a string", `{"event": {"routing_key": "bug.create", "time": "t"}, "bug": {"id": "1"}}`, `bug.id is a JSON string`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &bottest.Sink{}
			srv := server(t, sink, nil)
			code, reply := post(t, srv, string(testSecret), strings.NewReader(tc.body))
			if code != http.StatusBadRequest || !strings.Contains(reply, tc.want) {
				t.Errorf("got %d %s, want 400 mentioning %q", code, reply, tc.want)
			}
			if n := len(sink.Deliveries()); n != 0 {
				t.Errorf("stored %d deliveries", n)
			}
			// The server lives on.
			if code, _ := post(t, srv, string(testSecret), bytes.NewReader(readTestdata(t, "bug.create.json"))); code != 200 {
				t.Errorf("next delivery: %d, want 200", code)
			}
		})
	}
}

func TestHandlerDeduplicates(t *testing.T) {
	sink := &bottest.Sink{}
	srv := server(t, sink, nil)
	body := readTestdata(t, "bug.modify.fixed.json")
	// The same event again, re-encoded in another key order and from another
	// webhook: BMO's Perl hashes have no fixed order.
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	m["webhook_id"], m["webhook_name"] = 43, "second hook"
	again, _ := json.Marshal(m)
	for i, b := range [][]byte{body, body, again} {
		want := `{"status":"duplicate"}`
		if i == 0 {
			want = `{"status":"accepted"}`
		}
		if code, reply := post(t, srv, string(testSecret), bytes.NewReader(b)); code != 200 || reply != want {
			t.Errorf("delivery %d: got %d %s, want 200 %s", i, code, reply, want)
		}
	}
	if n := len(sink.Deliveries()); n != 1 {
		t.Errorf("stored %d deliveries, want 1", n)
	}
}

func TestDeliveryID(t *testing.T) {
	id := func(body string) string {
		t.Helper()
		var env envelope
		if err := json.Unmarshal([]byte(body), &env); err != nil {
			t.Fatal(err)
		}
		id, _, reason := deliveryID(&env)
		if reason != "" {
			t.Fatal(reason)
		}
		return id
	}
	base := `{"event":{"routing_key":"comment.create","time":"2020-10-16T06:28:41","user":{"id":1}},"bug":{"id":1629704,"comment":{"id":14748073}}}`
	if a, b := id(base), id(base); a != b || a != "bmo-"+a[4:] {
		t.Fatalf("not deterministic: %s %s", a, b)
	}
	if got, want := id(base), "bmo-"; !strings.HasPrefix(got, want) || len(got) != 36 {
		t.Errorf("id %q, want bmo- and 32 hex digits", got)
	}
	for _, other := range []string{
		strings.Replace(base, "1629704", "1629705", 1),
		strings.Replace(base, "06:28:41", "06:28:42", 1),
		strings.Replace(base, "comment.create", "bug.create", 1),
		strings.Replace(base, "14748073", "14748074", 1),
		strings.Replace(base, `"id":1}`, `"id":2}`, 1),
		strings.Replace(base, `"comment"`, `"attachment"`, 1),
	} {
		if id(other) == id(base) {
			t.Errorf("%s has the same id as the base event", other)
		}
	}
	// Field order and the webhook it came through do not matter.
	reordered := `{"webhook_id":9,"bug":{"comment":{"id":14748073},"id":1629704},"event":{"user":{"id":1},"time":"2020-10-16T06:28:41","routing_key":"comment.create"}}`
	if id(reordered) != id(base) {
		t.Error("reordered body has another id")
	}
	// A payload without routing_key gets the key an equivalent one carries.
	legacy := `{"event":{"action":"modify","time":"t","changes":[{"field":"status"},{"field":"resolution"}]},"bug":{"id":1}}`
	modern := `{"event":{"action":"modify","target":"bug","routing_key":"bug.modify:status,resolution","time":"t"},"bug":{"id":1}}`
	if id(legacy) != id(modern) {
		t.Error("legacy payload and its modern form differ")
	}
}

func TestHandlerSinkFailureIs503(t *testing.T) {
	sink := &bottest.Sink{Fails: errors.New("database is locked")}
	var logs bytes.Buffer
	srv := server(t, sink, slog.New(slog.NewTextHandler(&logs, nil)))
	code, reply := post(t, srv, string(testSecret), bytes.NewReader(readTestdata(t, "bug.create.json")))
	if code != http.StatusServiceUnavailable {
		t.Errorf("got %d %s, want 503", code, reply)
	}
	if !strings.Contains(logs.String(), "database is locked") {
		t.Errorf("sink error not logged:\n%s", logs.String())
	}
}

func TestHandlerRefusesGET(t *testing.T) {
	srv := server(t, &bottest.Sink{}, nil)
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func TestUsed(t *testing.T) {
	got := map[string]bool{}
	for _, rk := range []string{
		"bug.create", "comment.create", "bug.modify:status,resolution", "bug.modify:resolution",
		"bug.modify:cf_last_resolved,status", "attachment.modify:flag.review", "attachment.modify:flag.feedback,flag.review",
		"bug.modify:priority", "bug.modify:is_private", "attachment.create", "attachment.modify:is_obsolete",
		"comment.update", "bug.modify", "", "bug",
	} {
		got[rk] = used(rk)
	}
	want := map[string]bool{
		"bug.create": true, "comment.create": true, "bug.modify:status,resolution": true, "bug.modify:resolution": true,
		"bug.modify:cf_last_resolved,status": true, "attachment.modify:flag.review": true, "attachment.modify:flag.feedback,flag.review": true,
		"bug.modify:priority": false, "bug.modify:is_private": false, "attachment.create": false, "attachment.modify:is_obsolete": false,
		"comment.update": false, "bug.modify": false, "": false, "bug": false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("used (-want +got):\n%s", diff)
	}
}
