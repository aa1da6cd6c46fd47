package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// Group commit. A durable commit costs an fsync, a fixed price that caps
// one-at-a-time writes at a few thousand a second whatever the work.
// Webhook deliveries arrive from many senders at once, so the writes that
// come in while one commit is syncing are gathered by one goroutine and
// committed together: one transaction, one fsync, each write inside its
// own savepoint so that a write that fails is undone alone. Every caller
// still returns only after the commit that holds its write.

// maxBatch caps how many writes one transaction gathers.
const maxBatch = 256

// batchWrite is one write waiting for the committer.
type batchWrite struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error // buffered: the committer never blocks on it
}

// write runs fn in a write transaction, shared with the other writes
// queued meanwhile, and returns once that transaction committed (nil) or
// fn or the commit failed. fn must do its queries with the ctx it is given
// and must not end the transaction: it returns its error and its writes
// are rolled back alone. Once queued, fn runs to the end even if the
// caller's ctx is cancelled meanwhile (cancelling would interrupt the
// others' writes too), and write waits for it, so fn never outlives the
// call.
func (db *DB) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	w := &batchWrite{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.queue <- w:
	case <-db.stop:
		return errors.New("storage: database is closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-w.done
}

// commitLoop gathers queued writes and commits them, until stop closes.
func (db *DB) commitLoop() {
	defer close(db.loopDone)
	for {
		var ws []*batchWrite
		select {
		case w := <-db.queue:
			ws = append(ws, w)
		case <-db.stop:
			return
		}
	gather:
		for len(ws) < maxBatch {
			select {
			case w := <-db.queue:
				ws = append(ws, w)
			default:
				break gather
			}
		}
		db.commitBatch(ws)
	}
}

// runWrite runs one write of a batch. A panic in it is its own error: it
// would otherwise kill the process from the committer goroutine, and the
// other writes of the batch are kept.
func runWrite(w *batchWrite, tx *sql.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("storage: panic in a write: %v\n%s", r, debug.Stack())
		}
	}()
	return w.fn(context.WithoutCancel(w.ctx), tx)
}

// commitBatch runs ws in one transaction and tells each its outcome.
func (db *DB) commitBatch(ws []*batchWrite) {
	errs := make([]error, len(ws))
	defer func() {
		for i, w := range ws {
			w.done <- errs[i]
		}
	}()
	// The batch belongs to no single caller; a caller's cancellation
	// must not roll back the others' writes.
	ctx := context.Background()
	failAll := func(err error) {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		failAll(fmt.Errorf("storage: begin: %w", err))
		return
	}
	for i, w := range ws {
		if err := w.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT batch_write"); err != nil {
			tx.Rollback()
			failAll(fmt.Errorf("storage: savepoint: %w", err))
			return
		}
		if err := runWrite(w, tx); err != nil {
			errs[i] = err
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO batch_write"); err != nil {
				// The failure ended the whole transaction (a full disk,
				// an I/O error): nothing of the batch is kept.
				tx.Rollback()
				failAll(fmt.Errorf("storage: batch rolled back: %w", err))
				return
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE batch_write"); err != nil {
			tx.Rollback()
			failAll(fmt.Errorf("storage: release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		failAll(fmt.Errorf("storage: commit: %w", err))
	}
	db.lastWrite.Store(time.Now().UnixNano())
}
