// Package storage keeps badgebot's data in SQLite. It is the only user of
// the SQLite driver: it implements bot.Store for the core and issuer.Source
// for the hosted Open Badges routes.
//
// One file, two connection pools: a single writer connection whose
// transactions begin IMMEDIATE, so writers queue on the database lock
// instead of failing with SQLITE_BUSY, and a pool of query-only readers
// that WAL lets run beside the writer. A write that returned is on disk:
// the group commit fsyncs the WAL before it tells the write (batch.go).
//
// Times are stored as INTEGER unix milliseconds, UTC, so they come back with
// millisecond precision.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/mattn/go-sqlite3"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// DB is badgebot's database. Its methods are safe for concurrent use.
type DB struct {
	path string
	w    *sql.DB // one connection, BEGIN IMMEDIATE
	r    *sql.DB // query-only readers
	now  func() time.Time

	// Group commit (batch.go).
	queue     chan *batchWrite
	stop      chan struct{}
	loopDone  chan struct{}
	lastWrite atomic.Int64 // unix nanoseconds of the last commit
	busy      atomic.Int64 // nanoseconds the writer spent running and committing writes (WriterBusy)
	// syncLog makes the commits so far durable: syncWAL outside tests.
	// syncFailed holds the error of an fsync that failed.
	syncLog    func() error
	syncFailed atomic.Pointer[error]
	// replayBatches, for tests, runs every batch's writes a second time
	// before its commit, as a failed write makes it do (batch.replay).
	replayBatches bool

	// Checkpoints (checkpoint.go).
	ck        *sql.DB
	ckDone    chan struct{}
	closeOnce sync.Once
	closeErr  error

	// changes counts the writes that alter what a hosted award shows
	// (IssuerSource.Changes).
	changes atomic.Uint64

	keysListed ListedKeys // signing keys listed (signing_keys.go)

	migrated []string // the migrations Open applied
}

// Migrated returns the names of the migrations opening the database
// applied, oldest first: none when it was up to date.
func (db *DB) Migrated() []string { return slices.Clone(db.migrated) }

var _ bot.Store = (*DB)(nil)

// busyTimeout is how long a connection waits for another process's lock.
const busyTimeout = 10 * time.Second

// Open opens the database at path, creating it and its parent directory
// (mode 0700) when missing, and applies pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	db, _, err := open(ctx, path, migrationFS())
	return db, err
}

// Migrate opens the database at path, applies pending migrations, closes it
// and returns the names of the migrations it applied, for `badgebot migrate`.
func Migrate(ctx context.Context, path string) ([]string, error) {
	db, applied, err := open(ctx, path, migrationFS())
	if err != nil {
		return nil, err
	}
	return applied, db.Close()
}

func open(ctx context.Context, path string, migrations fs.FS) (*DB, []string, error) {
	if path == "" {
		return nil, nil, errors.New("storage: open: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	// The database holds e-mail addresses: create it private. SQLite gives
	// the -wal and -shm files the database file's mode. An empty file is
	// an empty database.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	f.Close()

	common := url.Values{}
	common.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	common.Set("_foreign_keys", "1")
	// NORMAL: a commit writes the WAL without syncing it, and the group
	// commit fsyncs it before telling the writes (batch.go); checkpoints
	// sync the WAL before and the database file after.
	common.Set("_synchronous", "NORMAL")
	common.Set("_stmt_cache_size", "64")

	wq := cloneValues(common)
	wq.Set("_journal_mode", "WAL")
	wq.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite3", dsn(abs, wq))
	if err != nil {
		return nil, nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	// The writer creates the file and switches it to WAL (a persistent
	// setting) before any reader opens it.
	if err := connect(ctx, w); err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	if mode != "wal" {
		w.Close()
		return nil, nil, fmt.Errorf("storage: open %s: journal mode is %q: the file system must allow WAL", path, mode)
	}
	// Checkpoints run beside the writer, not inside its commits
	// (checkpoint.go).
	// The checkpoint loop reads the WAL's size from its file, so the file
	// must shrink again once a checkpoint let the log restart.
	//
	// A write of a group commit replayed after a failure runs inside its
	// own savepoint (batch.go), which journals the pages it changes that
	// the batch had changed before, as a statement changing several rows
	// inside a transaction does; with temp_store = MEMORY that
	// sub-journal stays in memory instead of spilling to a temporary
	// file, written page by page, after its first 64 KiB.
	if _, err := w.ExecContext(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = %d; PRAGMA temp_store = MEMORY", walRestartSize)); err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("storage: open %s: %w", path, err)
	}

	rq := cloneValues(common)
	rq.Set("_query_only", "1")
	r, err := sql.Open("sqlite3", dsn(abs, rq))
	if err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)

	ck, err := sql.Open("sqlite3", dsn(abs, cloneValues(common)))
	if err != nil {
		w.Close()
		r.Close()
		return nil, nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)

	db := &DB{
		path: abs, w: w, r: r, ck: ck, now: time.Now,
		queue: make(chan *batchWrite), stop: make(chan struct{}), loopDone: make(chan struct{}),
		ckDone: make(chan struct{}),
	}
	db.syncLog = db.syncWAL
	go db.commitLoop()
	go db.checkpointLoop()
	applied, err := db.migrate(ctx, migrations)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	db.migrated = applied
	return db, applied, nil
}

// connect opens the writer's connection. Two processes opening a new file
// at once both switch it to WAL; SQLite refuses one of them at once with
// SQLITE_BUSY rather than wait (waiting could deadlock), so that switch is
// tried again for as long as a lock would be waited for.
func connect(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		err := w.PingContext(ctx)
		var se sqlite3.Error
		if err == nil || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// dsn builds a go-sqlite3 URI filename. The path is escaped so that "?" or
// "#" in a directory name cannot be read as the start of the options.
func dsn(abs string, q url.Values) string {
	u := url.URL{Path: filepath.ToSlash(abs)}
	return "file:" + u.EscapedPath() + "?" + q.Encode()
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// Close waits for the writes being committed, then closes the database.
// Calls after the first return the first one's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.stop)
		<-db.loopDone
		<-db.ckDone
		db.closeErr = errors.Join(db.checkpoint("TRUNCATE"), db.ck.Close(), db.r.Close(), db.w.Close())
	})
	return db.closeErr
}

// Ping reports whether the database answers a query, for /readyz. It uses a
// reader, so a long write does not make the server look unready.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		return fmt.Errorf("storage: ping: %w", err)
	}
	return nil
}

// Backup writes a consistent copy of the database to dst while it stays
// online (VACUUM INTO reads one snapshot; writers carry on). The copy is
// written beside dst and renamed into place, so dst is either absent or
// whole. It refuses to overwrite an existing file.
func (db *DB) Backup(ctx context.Context, dst string) error {
	abs, err := filepath.Abs(dst)
	if err != nil {
		return fmt.Errorf("storage: backup to %s: %w", dst, err)
	}
	if abs == db.path {
		return bot.Errorf(bot.EINVALID, "backup: %s is the database itself", dst)
	}
	if _, err := os.Lstat(abs); err == nil {
		return bot.Errorf(bot.EINVALID, "backup: %s already exists", dst)
	}
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("storage: backup to %s: %w", dst, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(abs)+".*.tmp")
	if err != nil {
		return fmt.Errorf("storage: backup to %s: %w", dst, err)
	}
	// VACUUM INTO fills an empty file, keeping its private mode.
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)

	// The readers are query-only, which VACUUM INTO obeys, and the writer
	// must stay free for writes: the copy gets a connection of its own.
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	c, err := sql.Open("sqlite3", dsn(db.path, q))
	if err != nil {
		return fmt.Errorf("storage: backup to %s: %w", dst, err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return fmt.Errorf("storage: backup to %s: %w", dst, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("storage: backup to %s: %w", dst, err)
	}
	// Link rather than rename: it fails instead of replacing a file that
	// appeared meanwhile. File systems without hard links get a rename.
	if err := os.Link(tmp, abs); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return bot.Errorf(bot.EINVALID, "backup: %s already exists", dst)
		}
		if err := os.Rename(tmp, abs); err != nil {
			return fmt.Errorf("storage: backup to %s: %w", dst, err)
		}
	}
	return syncFile(dir)
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// direct runs fn in a transaction of its own on the writer and commits it.
// Migrations use it; everything else goes through write (batch.go).
func (db *DB) direct(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.directOn(ctx, db.w, fn)
}

// directOn is direct on b: the writer's pool, or a connection of it.
func (db *DB) directOn(ctx context.Context, b interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, fn func(tx *sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	return db.sync()
}

// queryer is what *sql.DB, *sql.Tx and *sql.Conn offer: a write runs on
// the writer's connection inside its batch's transaction (batch.go).
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// millis converts t to the stored form.
func millis(t time.Time) int64 { return t.UnixMilli() }

// fromMillis converts a stored time back, in UTC.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// nullMillis stores the zero time as NULL; fromNullMillis reads it back.
func nullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return millis(t)
}

// fromNullMillis converts NULL to the zero time.
func fromNullMillis(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return fromMillis(ms.Int64)
}

// zeroMillis stores the zero time as 0, in the jobs' JSON state;
// fromZeroMillis reads it back.
func zeroMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return millis(t)
}

// fromZeroMillis converts 0 to the zero time.
func fromZeroMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return fromMillis(ms)
}

// orNow returns t, or the current time when t is zero.
func (db *DB) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return db.now()
	}
	return t
}
