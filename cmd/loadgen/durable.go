package main

import (
	"fmt"
	"net/http"
	"os"
	"sync"
)

// The durable reference. DESIGN §7 compares ingestion with a handler that
// stores nothing; badgebot answers 2xx only once a delivery is on disk. To
// tell what durability itself costs on the machine from what badgebot adds
// to it, loadgen also loads the HMAC handler followed by the least a
// careful "2xx once durable" handler does: the signed body appended to a
// journal file and made durable by a group commit. It compresses nothing,
// indexes nothing, checks neither JSON nor duplicates: no design that keeps
// a delivery durably before answering can cost less here.

// journal appends bodies to one file; append returns once its body is on
// disk. The bodies that arrive while one write and fdatasync run are
// gathered and written by the next in one write: one sync per batch, not
// per body.
type journal struct {
	f     *os.File
	limit int64 // beyond it, the file is written again from its start
	kick  chan struct{}

	mu      sync.Mutex
	pending *journalBatch // bodies waiting for the next write
}

// journalBatch is one write of the journal and its outcome.
type journalBatch struct {
	buf  []byte
	done chan struct{} // closed once buf is on disk, or err
	err  error
}

// openJournal opens (creating or truncating) the journal at path and
// starts its writer. limit bounds the file (the load writes gigabytes):
// writing over the blocks of earlier batches costs the disk as much.
func openJournal(path string, limit int64) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	j := &journal{f: f, limit: limit, kick: make(chan struct{}, 1),
		pending: &journalBatch{done: make(chan struct{})}}
	go j.run()
	return j, nil
}

// append copies body into the next batch and waits until it is durable.
func (j *journal) append(body []byte) error {
	j.mu.Lock()
	b := j.pending
	b.buf = append(b.buf, body...)
	j.mu.Unlock()
	select {
	case j.kick <- struct{}{}:
	default: // a kick is pending already
	}
	<-b.done
	return b.err
}

// run writes each gathered batch where the last one ended and syncs it,
// one batch at a time, for ever (the reference runs until killed).
func (j *journal) run() {
	var off int64
	var spare []byte
	for range j.kick {
		j.mu.Lock()
		b := j.pending
		if len(b.buf) == 0 {
			j.mu.Unlock()
			continue
		}
		j.pending = &journalBatch{buf: spare[:0], done: make(chan struct{})}
		j.mu.Unlock()
		if off+int64(len(b.buf)) > j.limit {
			off = 0
		}
		if _, err := j.f.WriteAt(b.buf, off); err != nil {
			b.err = err
		} else if err := datasync(j.f); err != nil {
			b.err = err
		}
		off += int64(len(b.buf))
		spare = b.buf
		close(b.done)
	}
}

// serveDurable serves the durable reference on addr, its journal at path.
func serveDurable(addr, path string) {
	j, err := openJournal(path, journalLimit)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serveOn(addr, durableHandler(j))
}

// journalLimit bounds the durable reference's file.
const journalLimit = 256 << 20

// durableHandler is hmacHandler, then the signed body journaled before
// the 202.
func durableHandler(j *journal) http.Handler { return signedHandler(j.append) }
