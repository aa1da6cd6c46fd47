package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Delivery ids look like GitHub's: version 1 UUIDs whose time is the
// sending time, distinct for distinct sequence numbers sent at once.
func TestAppendDeliveryID(t *testing.T) {
	form := regexp.MustCompile(`^([0-9a-f]{8})-([0-9a-f]{4})-1([0-9a-f]{3})-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	at := time.Date(2026, 11, 26, 23, 50, 0, 123456700, time.UTC)
	seen := map[string]bool{}
	for _, seq := range []int64{0, 1, 2, 1 << 32, 1<<32 | 1, 1<<62 - 1} {
		id := string(appendDeliveryID([]byte("kept:"), at, seq))[len("kept:"):]
		m := form.FindStringSubmatch(id)
		if m == nil {
			t.Fatalf("appendDeliveryID(seq %d) = %q: not a version 1 UUID", seq, id)
		}
		ts, err := strconv.ParseUint(m[3]+m[2]+m[1], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := time.Unix(0, int64(ts-0x01B21DD213814000)*100).UTC(); !got.Equal(at) {
			t.Errorf("id %s has time %v, want %v", id, got, at)
		}
		if seen[id] {
			t.Errorf("id %s made twice", id)
		}
		seen[id] = true
	}
}

// The reference handler answers 202 only to a body whose HMAC the header
// carries, read whole whether sized by Content-Length or chunked, and
// again with its pooled buffer and HMAC state reused.
func TestHMACHandler(t *testing.T) {
	h := hmacHandler()
	body := []byte(`{"action":"closed","number":2}`)
	good := signature(body)
	bad := "sha256=" + strings.Repeat("0", 64)
	for _, tt := range []struct {
		name, sig string
		chunked   bool
		body      []byte
		want      int
	}{
		{"signed", good, false, body, http.StatusAccepted},
		{"signed, chunked", good, true, body, http.StatusAccepted},
		{"signed again", good, false, body, http.StatusAccepted},
		{"wrong signature", bad, false, body, http.StatusUnauthorized},
		{"no prefix", strings.TrimPrefix(good, "sha256="), false, body, http.StatusUnauthorized},
		{"not hex", "sha256=" + strings.Repeat("z", 64), false, body, http.StatusUnauthorized},
		{"body changed", good, false, append([]byte(`{"a":1}`), body[7:]...), http.StatusUnauthorized},
		{"body cut", good, false, body[:len(body)-1], http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				r = io.MultiReader(r) // no length known: sent chunked
			}
			req := httptest.NewRequest(http.MethodPost, "/", r)
			if tt.chunked {
				req.ContentLength = -1
			}
			req.Header.Set("X-Hub-Signature-256", tt.sig)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("status %d, want %d", rec.Code, tt.want)
			}
		})
	}
}
