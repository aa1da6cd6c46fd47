package github

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var testSecret = []byte("It's a Secret to Everybody")

func sign(h func() hash.Hash, prefix string, secret, body []byte) string {
	m := hmac.New(h, secret)
	m.Write(body)
	return prefix + "=" + hex.EncodeToString(m.Sum(nil))
}

func sign256(body []byte) string { return sign(sha256.New, "sha256", testSecret, body) }

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// server starts the handler on a loopback httptest server.
func server(t *testing.T, sink Sink, log *slog.Logger) *httptest.Server {
	t.Helper()
	h, err := NewHandler(testSecret, sink, log)
	if err != nil {
		t.Fatal(err)
	}
	h.now = func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

type delivery struct {
	event, id, sig, contentType string
	body                        io.Reader
}

func post(t *testing.T, srv *httptest.Server, d delivery) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL, d.body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{HeaderEvent: d.event, HeaderDelivery: d.id, HeaderSignature: d.sig, "Content-Type": d.contentType} {
		if v != "" {
			req.Header.Set(k, v)
		}
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

func signed(event, id string, body []byte) delivery {
	return delivery{event: event, id: id, sig: sign256(body), contentType: "application/json", body: bytes.NewReader(body)}
}

func TestNewHandlerRefusesEmptySecret(t *testing.T) {
	if _, err := NewHandler(nil, &bottest.Sink{}, nil); err == nil {
		t.Fatal("NewHandler(empty secret) = nil error, want an error")
	}
}

func TestHandlerStoresUsedEvents(t *testing.T) {
	for _, tc := range []struct{ file, event string }{
		{"pull_request.closed.merged.json", "pull_request"},
		{"pull_request_review.submitted.approved.json", "pull_request_review"},
		{"issues.closed.completed.json", "issues"},
		{"issue_comment.created.json", "issue_comment"},
	} {
		t.Run(tc.event, func(t *testing.T) {
			sink := &bottest.Sink{}
			srv := server(t, sink, nil)
			body := readTestdata(t, tc.file)
			code, reply := post(t, srv, signed(tc.event, "72d3162e-cc78-11e3-81ab-4c9367dc0958", body))
			if code != http.StatusAccepted || reply != `{"status":"accepted"}` {
				t.Fatalf("got %d %s, want 202 accepted", code, reply)
			}
			want := []bot.WebhookDelivery{{
				Source: bot.PlatformGitHub, ID: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Type: tc.event,
				Body: body, ReceivedAt: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
			}}
			got := sink.Deliveries()
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(bot.WebhookDelivery{}, "Extract")); diff != "" {
				t.Fatalf("sink got (-want +got):\n%s", diff)
			}
			// The extract stored beside the body is smaller and
			// normalises as the body does.
			fromBody, err := Normalize(got[0])
			if err != nil {
				t.Fatal(err)
			}
			x := got[0]
			x.Body = nil
			fromX, err := Normalize(x)
			if err != nil || len(x.Extract) == 0 || len(x.Extract) >= len(body) {
				t.Fatalf("Normalize from the %d-byte extract of a %d-byte body: %v", len(x.Extract), len(body), err)
			}
			if diff := cmp.Diff(fromBody, fromX); diff != "" || len(fromBody.Events)+len(fromBody.Proofs) == 0 {
				t.Errorf("normalised from the extract (-body +extract):\n%s", diff)
			}
		})
	}
}

// A delivery larger than a read chunk (64 KiB) is checked over its chunks
// and stored whole once its signature holds; one byte changed in its last
// chunk is refused.
func TestHandlerLargeDelivery(t *testing.T) {
	body := readTestdata(t, "pull_request.closed.merged.json")
	body = append(body, bytes.Repeat([]byte(" \n"), 150_000)...) // JSON whitespace: 300 KB more
	sink := &bottest.Sink{}
	srv := server(t, sink, nil)
	altered := bytes.Clone(body)
	altered[len(altered)-1] = '\t'
	if code, reply := post(t, srv, delivery{event: "pull_request", id: "big-altered", sig: sign256(body), contentType: "application/json", body: bytes.NewReader(altered)}); code != http.StatusUnauthorized {
		t.Errorf("altered large delivery: got %d %s, want 401", code, reply)
	}
	if code, reply := post(t, srv, signed("pull_request", "big", body)); code != http.StatusAccepted {
		t.Fatalf("got %d %s, want 202 accepted", code, reply)
	}
	got := sink.Deliveries()
	if len(got) != 1 || !bytes.Equal(got[0].Body, body) {
		t.Fatalf("sink got %d deliveries; want the one signed, its body whole", len(got))
	}
}

func TestHandlerRefusesBadSignatures(t *testing.T) {
	body := readTestdata(t, "pull_request.closed.merged.json")
	altered := bytes.Replace(body, []byte(`"merged": true`), []byte(`"merged": false`), 1)
	if bytes.Equal(altered, body) {
		t.Fatal("test payload did not change")
	}
	for _, tc := range []struct {
		name, sig string
		body      []byte
	}{
		{"missing", "", body},
		{"wrong secret", sign(sha256.New, "sha256", []byte("not the secret"), body), body},
		{"altered body", sign256(body), altered},
		{"sha1 only", sign(sha1.New, "sha1", testSecret, body), body},
		{"not hex", "sha256=zz", body},
		{"no prefix", strings.TrimPrefix(sign256(body), "sha256="), body},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &bottest.Sink{}
			var logs bytes.Buffer
			srv := server(t, sink, slog.New(slog.NewTextHandler(&logs, nil)))
			code, reply := post(t, srv, delivery{event: "pull_request", id: "d1", sig: tc.sig, contentType: "application/json", body: bytes.NewReader(tc.body)})
			if code != http.StatusUnauthorized {
				t.Errorf("got %d %s, want 401", code, reply)
			}
			if n := len(sink.Deliveries()); n != 0 {
				t.Errorf("sink called %d times, want 0", n)
			}
			for _, secret := range []string{string(testSecret), tc.sig} {
				if secret != "" && strings.Contains(logs.String(), secret) {
					t.Errorf("log contains the secret or signature %q:\n%s", secret, logs.String())
				}
			}
		})
	}
}

// wrongSig is a well-formed X-Hub-Signature-256 that signs nothing here.
var wrongSig = "sha256=" + strings.Repeat("0", 64)

// A signature that cannot be an HMAC-SHA256 is refused before a byte of
// the body is read: the sha256=00 of issue 10's attack buys no memory.
func TestHandlerRefusesMalformedSignaturesUnread(t *testing.T) {
	for _, sig := range []string{"sha256=00", "sha256=" + strings.Repeat("g", 64), "sha1=" + strings.Repeat("0", 40), strings.Repeat("0", 71)} {
		h, _ := NewHandler(testSecret, &bottest.Sink{}, nil)
		g := &generated{n: 25 << 20}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/github", g)
		req.ContentLength = g.n
		req.Header.Set(HeaderSignature, sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized || g.read != 0 {
			t.Errorf("signature %q: got %d after reading %d bytes, want 401 before reading any", sig, rec.Code, g.read)
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
		p[i] = 'a'
	}
	g.read += k
	return int(k), nil
}

func TestHandlerRefusesOversizedBodies(t *testing.T) {
	t.Run("declared length", func(t *testing.T) {
		sink := &bottest.Sink{}
		h, _ := NewHandler(testSecret, sink, nil)
		g := &generated{n: MaxBodyBytes + 1}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/github", g)
		req.ContentLength = g.n
		req.Header.Set(HeaderSignature, wrongSig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "larger than") {
			t.Errorf("got %d %s, want 413 with a reason", rec.Code, rec.Body)
		}
		if g.read != 0 {
			t.Errorf("read %d bytes of a body declared too large, want 0", g.read)
		}
	})
	t.Run("streamed", func(t *testing.T) {
		sink := &bottest.Sink{}
		srv := server(t, sink, nil)
		g := &generated{n: MaxBodyBytes + 10<<20}
		// Unknown length: sent chunked, so only reading can find the size.
		code, reply := post(t, srv, delivery{event: "pull_request", id: "big", sig: wrongSig, contentType: "application/json", body: io.MultiReader(g)})
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(reply, "larger than") {
			t.Errorf("got %d %s, want 413 with a reason", code, reply)
		}
		if n := len(sink.Deliveries()); n != 0 {
			t.Errorf("sink called %d times, want 0", n)
		}
	})
	t.Run("read in place", func(t *testing.T) {
		h, _ := NewHandler(testSecret, &bottest.Sink{}, nil)
		g := &generated{n: MaxBodyBytes + 10<<20}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/github", g)
		req.ContentLength = -1
		req.Header.Set(HeaderSignature, wrongSig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge || g.read > MaxBodyBytes+64<<10 {
			t.Errorf("got %d after reading %d bytes, want 413 after at most %d", rec.Code, g.read, MaxBodyBytes+64<<10)
		}
	})
}

func TestHandlerAnswers(t *testing.T) {
	merged := readTestdata(t, "pull_request.closed.merged.json")
	form := []byte(url.Values{"payload": {string(merged)}}.Encode())
	for _, tc := range []struct {
		name       string
		d          delivery
		method     string
		wantCode   int
		wantReply  string
		wantStored bool
	}{
		{name: "ping", d: signed("ping", "p1", readTestdata(t, "ping.json")), wantCode: 200, wantReply: `{"status":"pong"}`},
		{name: "unused type", d: signed("star", "s1", readTestdata(t, "star.created.json")), wantCode: 200, wantReply: `{"status":"ignored"}`},
		{name: "malformed JSON", d: signed("pull_request", "m1", merged[:len(merged)/2]), wantCode: 400, wantReply: `{"error":"body is not valid JSON"}`},
		{name: "no event header", d: signed("", "x1", merged), wantCode: 400, wantReply: `{"error":"missing X-GitHub-Event header"}`},
		{name: "no delivery header", d: signed("pull_request", "", merged), wantCode: 400, wantReply: `{"error":"missing X-GitHub-Delivery header"}`},
		{name: "form body", d: delivery{event: "pull_request", id: "f1", sig: sign256(form), contentType: "application/x-www-form-urlencoded", body: bytes.NewReader(form)}, wantCode: 202, wantReply: `{"status":"accepted"}`, wantStored: true},
		{name: "no content type", d: delivery{event: "pull_request", id: "n1", sig: sign256(merged), body: bytes.NewReader(merged)}, wantCode: 202, wantReply: `{"status":"accepted"}`, wantStored: true},
		{name: "unsupported content type", d: delivery{event: "pull_request", id: "t1", sig: sign256(merged), contentType: "text/plain", body: bytes.NewReader(merged)}, wantCode: 415, wantReply: `{"error":"unsupported Content-Type text/plain: want application/json or application/x-www-form-urlencoded"}`},
		{name: "GET", method: http.MethodGet, wantCode: 405, wantReply: `{"error":"method not allowed: send POST"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &bottest.Sink{}
			srv := server(t, sink, nil)
			var code int
			var reply string
			if tc.method == http.MethodGet {
				resp, err := srv.Client().Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				code, reply = resp.StatusCode, strings.TrimSpace(string(b))
			} else {
				code, reply = post(t, srv, tc.d)
			}
			if code != tc.wantCode || reply != tc.wantReply {
				t.Errorf("got %d %s, want %d %s", code, reply, tc.wantCode, tc.wantReply)
			}
			got := sink.Deliveries()
			if stored := len(got) == 1; stored != tc.wantStored {
				t.Fatalf("stored %d deliveries, want stored=%v", len(got), tc.wantStored)
			}
			if tc.wantStored && !bytes.Equal(got[0].Body, merged) {
				t.Errorf("stored body is not the JSON payload")
			}
			// The server lives on after any answer.
			if code, _ := post(t, srv, signed("ping", "after", readTestdata(t, "ping.json"))); code != 200 {
				t.Errorf("ping after the request: %d, want 200", code)
			}
		})
	}
}

func TestHandlerReportsDuplicates(t *testing.T) {
	sink := &bottest.Sink{}
	srv := server(t, sink, nil)
	body := readTestdata(t, "issues.closed.completed.json")
	for i, want := range []string{`{"status":"accepted"}`, `{"status":"duplicate"}`, `{"status":"duplicate"}`} {
		code, reply := post(t, srv, signed("issues", "same-id", body))
		if reply != want || (i == 0) != (code == http.StatusAccepted) || (i > 0 && code != http.StatusOK) {
			t.Errorf("delivery %d: got %d %s, want %s", i, code, reply, want)
		}
	}
	if n := len(sink.Deliveries()); n != 1 {
		t.Errorf("stored %d deliveries, want 1", n)
	}
}

func TestHandlerSinkFailureIs503(t *testing.T) {
	var logs bytes.Buffer
	sink := &bottest.Sink{Fails: errors.New("disk full")}
	srv := server(t, sink, slog.New(slog.NewTextHandler(&logs, nil)))
	body := readTestdata(t, "pull_request.closed.merged.json")
	code, reply := post(t, srv, signed("pull_request", "e1", body))
	if code != http.StatusServiceUnavailable || !strings.Contains(reply, "redeliver") {
		t.Errorf("got %d %s, want 503", code, reply)
	}
	if !strings.Contains(logs.String(), "disk full") {
		t.Errorf("the sink error was not logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), sign256(body)) || strings.Contains(logs.String(), string(testSecret)) {
		t.Errorf("log contains the secret or signature:\n%s", logs.String())
	}
}

func TestHandlerConcurrentDeliveries(t *testing.T) {
	sink := &bottest.Sink{}
	srv := server(t, sink, nil)
	body := readTestdata(t, "pull_request.closed.merged.json")
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
			req.Header.Set(HeaderEvent, "pull_request")
			req.Header.Set(HeaderDelivery, "c"+strconv.Itoa(i%16))
			req.Header.Set(HeaderSignature, sign256(body))
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 202 && resp.StatusCode != 200 {
				t.Errorf("got %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if n := len(sink.Deliveries()); n != 16 {
		t.Errorf("stored %d deliveries, want 16 (one per id)", n)
	}
}
