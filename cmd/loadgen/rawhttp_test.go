package main

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		status int
		keep   bool
		err    bool
	}{
		{"length", "HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nhello", 202, true, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n", 200, true, false},
		{"close", "HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 401, false, false},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n", 200, false, true},
		{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 200, true, true},
		{"not http", "SSH-2.0-OpenSSH\r\n", 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// After a whole response a second follows: reading one must
			// stop at its end.
			in := tt.in
			if !tt.err {
				in += "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
			}
			r := bufio.NewReader(strings.NewReader(in))
			status, keep, err := readResponse(r)
			if status != tt.status || (err != nil) != tt.err || (err == nil && keep != tt.keep) {
				t.Fatalf("readResponse = %d, %v, %v; want %d, keep %v, error %v", status, keep, err, tt.status, tt.keep, tt.err)
			}
			if err == nil {
				if next, _, err := readResponse(r); err != nil || next != 204 {
					t.Errorf("the next response = %d, %v; want 204", next, err)
				}
			}
		})
	}
}

// TestSenderPosts: a sender's requests arrive signed and whole, several
// over one connection.
func TestSenderPosts(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{}
	ref := hmacHandler() // 401 unless the signature matches the body
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		if r.Header.Get("X-GitHub-Delivery") == "" || r.Header.Get("X-GitHub-Event") != "pull_request" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ref.ServeHTTP(w, r)
	}))
	defer srv.Close()
	s, err := newSender(srv.URL + "/webhooks/github")
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	for i, id := range []string{"a", "b", "c"} {
		if status, err := s.post(id, []byte(`{"n":`+string(rune('0'+i))+`}`)); err != nil || status != http.StatusAccepted {
			t.Fatalf("post %s = %d, %v", id, status, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(conns) != 1 {
		t.Errorf("3 posts used %d connections, want 1", len(conns))
	}
}
