package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"time"
)

// Group commit. A durable commit costs an fsync, a fixed price that caps
// one-at-a-time writes at a few thousand a second whatever the work.
// Webhook deliveries arrive from many senders at once, so the writes that
// come in while one commit is syncing are gathered by one goroutine and
// committed together: one transaction, one fsync. Every caller still
// returns only after the commit that holds its write is on disk.
//
// A write that fails is undone alone, and what it wrote before failing
// with it. Writes run without a savepoint each: SAVEPOINT and RELEASE
// around every write were about a seventh of the writer's time per award
// (cmd/badgebot BenchmarkProcess, writer-µs/award), and writes rarely fail.
// When one does, the batch's transaction is rolled back and its writes so
// far run again in a new one, each in a savepoint of its own, as does every
// later write of that batch (replay). So a write's function may run twice.
//
// The fsync runs beside the writer. The writer connection commits with
// synchronous = NORMAL (the commit writes the WAL and does not sync it);
// syncBatch then fsyncs the WAL and only after that tells the batch's
// callers. Meanwhile the writer runs the writes queued since into its next
// transaction, and commits that one as soon as the fsync before it ended:
// one fsync at a time, as before, but the single writer no longer sits
// idle through each of them (processing made about a seventh more awards a
// second, cmd/badgebot BenchmarkProcess).
//
// What a caller is told is durable is. Readers may see a commit in the
// millisecond or two before its fsync ends, which synchronous = FULL did
// not allow; nothing leaves the process on that sight alone: a webhook is
// answered, and a chat command replied to, only once its write returned,
// and the outbox worker claims announcements with a write of its own
// (DueAnnouncements) before posting them, whose fsync covers every commit
// before it.

// maxBatch caps how many writes one transaction gathers.
const maxBatch = 256

// batchWrite is one write waiting for the committer.
type batchWrite struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx queryer) error
	done chan error // buffered: the committer never blocks on it
}

// write runs fn in a write transaction, shared with the other writes
// queued meanwhile, and returns once that transaction is committed and on
// disk (nil) or fn, the commit or its fsync failed. fn must do its queries
// with the ctx it is given and must not end the transaction: it returns its
// error and its writes are rolled back alone. fn may run a second time, in
// a new transaction, when a later write of its batch fails (batch.replay):
// it must set what it reports afresh on each run, never add to what an
// earlier run left. Once queued, fn runs to the end even if the caller's
// ctx is cancelled meanwhile (cancelling would interrupt the others' writes
// too), and write waits for it, so fn never outlives the call.
func (db *DB) write(ctx context.Context, fn func(ctx context.Context, tx queryer) error) error {
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
// One committed batch at most waits for its fsync (syncing is then true):
// the next transaction takes the writes that come until that fsync ended.
func (db *DB) commitLoop() {
	synced := make(chan struct{}, 1) // an fsync ended
	syncing := false
	defer func() {
		if syncing {
			<-synced
		}
		close(db.loopDone)
	}()
	for {
		var first *batchWrite
		select {
		case first = <-db.queue:
		case <-synced:
			syncing = false
			continue
		case <-db.stop:
			return
		}
		start := time.Now()
		b := db.beginBatch()
		db.busy.Add(int64(time.Since(start)))
		b.run(first)
	gather:
		for len(b.ws) < maxBatch {
			select {
			case w := <-db.queue:
				b.run(w)
			default:
				break gather
			}
		}
		// The last batch's fsync is still running: take what comes
		// meanwhile into this transaction.
	extend:
		for syncing {
			if len(b.ws) >= maxBatch {
				<-synced
				syncing = false
				break
			}
			select {
			case w := <-db.queue:
				b.run(w)
			case <-synced:
				syncing = false
				break extend
			}
		}
		start = time.Now()
		if db.replayBatches && !b.savepoints && b.err == nil {
			b.replay()
		}
		committed := b.commit()
		db.busy.Add(int64(time.Since(start)))
		if !committed {
			tell(b.ws, b.errs)
			continue
		}
		syncing = true
		go db.syncBatch(b.ws, b.errs, synced)
	}
}

// syncBatch fsyncs the WAL, tells a committed batch's writes their
// outcomes, and then signals synced. A failed fsync fails the batch and
// every write after it: the kernel may have dropped the pages it could not
// write, so a later fsync that succeeds would not prove them on disk.
// Restarting badgebot recovers from the database as it is on disk.
func (db *DB) syncBatch(ws []*batchWrite, errs []error, synced chan<- struct{}) {
	if err := db.sync(); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	tell(ws, errs)
	synced <- struct{}{}
}

// sync makes every commit so far durable (syncLog), or returns the failed
// fsync every write now fails with: this one, or an earlier one.
func (db *DB) sync() error {
	if err := db.syncErr(); err != nil {
		return err
	}
	if err := db.syncLog(); err != nil {
		err = fmt.Errorf("storage: the WAL could not be synced to disk (restart badgebot): %w", err)
		db.syncFailed.CompareAndSwap(nil, &err)
		return db.syncErr()
	}
	return nil
}

// syncErr is the failed fsync every write now fails with, or nil.
func (db *DB) syncErr() error {
	if p := db.syncFailed.Load(); p != nil {
		return *p
	}
	return nil
}

// syncWAL fsyncs the -wal file: every commit written to it so far is then
// on disk. The file is opened each time, so that it is the one SQLite
// writes now. While the writer's connection is open the file exists; if
// it is missing, SQLite checkpointed it into the database file (syncing
// that file) and removed it.
func (db *DB) syncWAL() error {
	// Read-write: Windows flushes only a handle that may write.
	f, err := os.OpenFile(db.path+"-wal", os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// tell gives each write its outcome.
func tell(ws []*batchWrite, errs []error) {
	for i, w := range ws {
		w.done <- errs[i]
	}
}

// runWrite runs one write of a batch. A panic in it is its own error: it
// would otherwise kill the process from the committer goroutine, and the
// other writes of the batch are kept.
func runWrite(w *batchWrite, tx queryer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("storage: panic in a write: %v\n%s", r, debug.Stack())
		}
	}()
	return w.fn(context.WithoutCancel(w.ctx), tx)
}

// batch is one transaction of the group commit being filled. It runs on
// the writer's connection itself, between its own BEGIN IMMEDIATE and
// COMMIT, not in a *sql.Tx: database/sql starts a goroutine for every
// query made in a *sql.Tx, to close the rows should the transaction's
// context end, and the writes' queries (is the event new, whose is the
// identity) made that about a tenth of the writer's time.
type batch struct {
	db   *DB
	conn *sql.Conn // held from begin to commit or rollback; nil once released
	err  error     // the transaction failed: every write gets this
	ws   []*batchWrite
	errs []error
	// savepoints: a write failed, and each write runs in a savepoint.
	savepoints bool
}

// beginBatch begins a batch's transaction. The batch belongs to no single
// caller; a caller's cancellation must not roll back the others' writes.
func (db *DB) beginBatch() *batch {
	b := &batch{db: db}
	if b.err = db.syncErr(); b.err != nil {
		return b
	}
	conn, err := db.w.Conn(context.Background())
	if err != nil {
		b.err = fmt.Errorf("storage: begin: %w", err)
		return b
	}
	b.conn = conn
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		b.release()
		b.err = fmt.Errorf("storage: begin: %w", err)
	}
	return b
}

// release gives the writer's connection back to its pool.
func (b *batch) release() {
	if b.conn != nil {
		b.conn.Close()
		b.conn = nil
	}
}

// rollback undoes the batch's transaction. An error is a transaction
// SQLite ended itself (a full disk, an I/O error): nothing is left to undo.
func (b *batch) rollback() {
	_, _ = b.conn.ExecContext(context.Background(), "ROLLBACK")
}

// run runs w in the batch's transaction: bare while every write of the
// batch has succeeded, else in a savepoint of its own.
func (b *batch) run(w *batchWrite) {
	start := time.Now()
	defer func() { b.db.busy.Add(int64(time.Since(start))) }()
	b.ws = append(b.ws, w)
	b.errs = append(b.errs, nil)
	i := len(b.errs) - 1
	if b.err != nil {
		return
	}
	if err := w.ctx.Err(); err != nil {
		b.errs[i] = err
		return
	}
	if b.savepoints {
		b.runInSavepoint(i)
		return
	}
	if err := runWrite(w, b.conn); err != nil {
		// What w wrote before failing cannot be undone alone: the
		// batch starts over, and w runs again in a savepoint.
		b.replay()
	}
}

// replay rolls the batch's transaction back and runs its writes again in
// a new one, each in a savepoint of its own, as every later write of the
// batch will be. A write that never ran (its caller had cancelled) is not
// run now either.
func (b *batch) replay() {
	b.savepoints = true
	b.rollback()
	if _, err := b.conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		b.release()
		b.err = fmt.Errorf("storage: begin again: %w", err)
		return
	}
	for j := range b.ws {
		if b.errs[j] != nil {
			continue
		}
		b.runInSavepoint(j)
		if b.err != nil {
			return
		}
	}
}

// runInSavepoint runs the batch's write j in a savepoint, undoing it
// alone when it fails.
func (b *batch) runInSavepoint(j int) {
	ctx := context.Background()
	if _, err := b.conn.ExecContext(ctx, "SAVEPOINT batch_write"); err != nil {
		b.fail(fmt.Errorf("storage: savepoint: %w", err))
		return
	}
	if err := runWrite(b.ws[j], b.conn); err != nil {
		b.errs[j] = err
		if _, err := b.conn.ExecContext(ctx, "ROLLBACK TO batch_write"); err != nil {
			// The failure ended the whole transaction (a full disk, an
			// I/O error): nothing of the batch is kept.
			b.fail(fmt.Errorf("storage: batch rolled back: %w", err))
			return
		}
	}
	if _, err := b.conn.ExecContext(ctx, "RELEASE batch_write"); err != nil {
		b.fail(fmt.Errorf("storage: release savepoint: %w", err))
	}
}

// WriterBusy is how long the one writer has spent running writes and
// committing them since Open, not counting its waits for writes or for the
// fsync before its commit. Over an interval, its growth divided by the
// interval is the writer's utilisation: near 1, writes queue behind it
// (badgebot_storage_writer_busy_seconds_total, BenchmarkProcess's
// writer-µs/award).
func (db *DB) WriterBusy() time.Duration { return time.Duration(db.busy.Load()) }

// fail ends the transaction: its writes so far are undone, and the batch's
// writes that have no error of their own get err.
func (b *batch) fail(err error) {
	b.rollback()
	b.release()
	b.err = err
}

// commit commits the batch and reports whether it did. Each write's
// outcome is then in errs: its own error, or nil until the fsync.
func (b *batch) commit() bool {
	if b.err == nil {
		if _, err := b.conn.ExecContext(context.Background(), "COMMIT"); err != nil {
			// SQLite may leave the transaction open: end it.
			b.rollback()
			b.err = fmt.Errorf("storage: commit: %w", err)
		}
		b.release()
	}
	if b.err != nil {
		for i := range b.errs {
			if b.errs[i] == nil {
				b.errs[i] = b.err
			}
		}
		return false
	}
	b.db.lastWrite.Store(time.Now().UnixNano())
	return true
}
