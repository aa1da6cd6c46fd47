package reqbody

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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
		{"declared too large", strings.NewReader("0123456789x"), 11, "", http.StatusRequestEntityTooLarge},
		{"too large, length unknown", strings.NewReader("0123456789x"), -1, "", http.StatusRequestEntityTooLarge},
		{"unreadable", failingReader{}, -1, "", http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", tt.body)
			r.ContentLength = tt.length
			buf, status, reason := Read(httptest.NewRecorder(), r, limit)
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
				return
			}
			defer Release(buf)
			if got := buf.String(); got != tt.want {
				t.Errorf("Read = %q, want %q", got, tt.want)
			}
		})
	}
}

// A pooled buffer comes back empty: nothing of an earlier body shows
// through a shorter one.
func TestReadReusesBuffersEmpty(t *testing.T) {
	for _, body := range []string{"a long first body", "short"} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		buf, status, _ := Read(httptest.NewRecorder(), r, 100)
		if status != 0 || buf.String() != body {
			t.Fatalf("Read = %q, %d; want %q", buf, status, body)
		}
		Release(buf)
	}
	Release(nil) // ignored
}
