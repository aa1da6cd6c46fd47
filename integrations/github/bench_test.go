package github

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/badgebot/badgebot/bot"
)

// nopSink acknowledges every delivery at once: the benchmarks measure the
// request path, not storage.
type nopSink struct{}

func (nopSink) Accept(context.Context, bot.WebhookDelivery) (bool, error) { return false, nil }

// bareHMAC is the DESIGN §7 reference: read the body, check the HMAC, 200.
func bareHMAC(secret []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(r.Header.Get(HeaderSignature))) {
			http.Error(w, "signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// BenchmarkIngest compares the webhook handler with the bare HMAC handler
// over loopback with 64 concurrent senders, on the merged pull request
// payload. Compare the req/s of the two sub-benchmarks.
func BenchmarkIngest(b *testing.B) {
	body := readTestdata(b, "pull_request.closed.merged.json")
	h, err := NewHandler(testSecret, nopSink{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare-hmac", bareHMAC(testSecret)}, {"handler", h}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.h)
			defer srv.Close()
			tr := srv.Client().Transport.(*http.Transport).Clone()
			tr.MaxIdleConnsPerHost = 128
			client := &http.Client{Transport: tr}
			sig := sign256(body)
			var n atomic.Int64
			b.SetBytes(int64(len(body)))
			b.SetParallelism(32) // GOMAXPROCS=2: 64 senders
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set(HeaderEvent, "pull_request")
					req.Header.Set(HeaderDelivery, "bench-"+strconv.FormatInt(n.Add(1), 10))
					req.Header.Set(HeaderSignature, sig)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode >= 300 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// BenchmarkServeHTTP is the handler's own cost per delivery, without a
// network.
func BenchmarkServeHTTP(b *testing.B) {
	body := readTestdata(b, "pull_request.closed.merged.json")
	h, err := NewHandler(testSecret, nopSink{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	sig := sign256(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/github", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(HeaderEvent, "pull_request")
		req.Header.Set(HeaderDelivery, "bench")
		req.Header.Set(HeaderSignature, sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
