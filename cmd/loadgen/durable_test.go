package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// signedRequest is a delivery of body with its X-Hub-Signature-256 under
// the load's secret (or a wrong one).
func signedRequest(body []byte, wrong bool) *http.Request {
	sig := signature(body)
	if wrong {
		sig = "sha256=" + strings.Repeat("0", 64)
	}
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", sig)
	return req
}

// The durable reference answers 202 only once the signed body is in its
// journal, from many senders at once; an unsigned body is refused and
// written nowhere.
func TestDurableHandlerJournalsSignedBodies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, err := openJournal(path, journalLimit)
	if err != nil {
		t.Fatal(err)
	}
	h := durableHandler(j)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedRequest([]byte(`{"forged":true}`), true))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("wrong signature: status %d, want 401", rec.Code)
	}

	var wg sync.WaitGroup
	bodies := make([][]byte, 64)
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"delivery":%d,"pad":%q}`, i, strings.Repeat("x", i*97))
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, signedRequest(bodies[i], false))
			if rec.Code != http.StatusAccepted {
				t.Errorf("delivery %d: status %d, want 202", i, rec.Code)
				return
			}
			// Answered: so it is in the file already.
			onDisk, err := os.ReadFile(path)
			if err != nil || !bytes.Contains(onDisk, bodies[i]) {
				t.Errorf("delivery %d answered 202 before it was in the journal (%v)", i, err)
			}
		})
	}
	wg.Wait()
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(onDisk, []byte("forged")) {
		t.Error("the unsigned body was journaled")
	}
}

// The journal is written again from its start once the next batch would
// pass its limit, so a long load does not fill the disk.
func TestJournalStaysWithinItsLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, err := openJournal(path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		body := bytes.Repeat([]byte{byte('a' + i)}, 300)
		if err := j.append(body); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 1000 {
			t.Fatalf("after %d bodies the journal holds %d bytes, over its limit of 1000", i+1, fi.Size())
		}
		onDisk, _ := os.ReadFile(path)
		if !bytes.Contains(onDisk, body) {
			t.Fatalf("body %d is not in the journal", i+1)
		}
	}
}

// A body the journal cannot keep is not acknowledged.
func TestDurableHandlerRefusesWhatItCannotKeep(t *testing.T) {
	j, err := openJournal(filepath.Join(t.TempDir(), "journal"), journalLimit)
	if err != nil {
		t.Fatal(err)
	}
	j.f.Close()
	rec := httptest.NewRecorder()
	durableHandler(j).ServeHTTP(rec, signedRequest([]byte(`{"a":1}`), false))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("journal closed: status %d, want 503", rec.Code)
	}
}
