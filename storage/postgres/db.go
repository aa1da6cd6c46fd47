// Package postgres keeps badgebot's data in PostgreSQL, for several
// `badgebot serve` replicas on one database (DESIGN §5 "Several
// replicas"). It is the only user of pgx. It implements the same
// interfaces as the SQLite store (package storage) with the same
// behaviour, pinned by the conformance suite in storage/storetest, and
// stores rows in the same forms (times as BIGINT unix milliseconds, UTC).
//
// Several writers: uniqueness is kept by unique keys and partial unique
// indexes (ON CONFLICT DO NOTHING where a duplicate is expected), counters
// by row locks, nominations by locking the nomination and the people whose
// caps are counted, queued work is claimed with FOR UPDATE SKIP LOCKED, and
// transactions that lose a deadlock or a serialization check are run
// again (tx).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/storage"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is badgebot's PostgreSQL database. Its methods are safe for
// concurrent use, by any number of processes.
type DB struct {
	pool *pgxpool.Pool
	now  func() time.Time

	replica  string        // this process's id in the replicas table
	stop     chan struct{} // ends beat
	beatDone chan struct{}

	closeOnce sync.Once

	keysListed storage.ListedKeys // signing keys listed, as in the SQLite store

	migrated []string // the migrations Open applied

	// Group commit of deliveries (batch.go).
	saves  chan *saveReq
	savers sync.WaitGroup

	// changes counts the writes that alter what a hosted award shows
	// (IssuerSource.Changes).
	changes atomic.Uint64
}

var _ bot.Store = (*DB)(nil)

// defaultConns is the pool size when the URL sets no pool_max_conns:
// processing runs many deliveries' transactions at once (bot.Ingestor),
// and PostgreSQL shares the WAL flush of commits that wait at the same
// moment, so more connections make fuller flushes.
const defaultConns = 32

// Migrated returns the names of the migrations opening the database
// applied, oldest first: none when it was up to date.
func (db *DB) Migrated() []string { return slices.Clone(db.migrated) }

// Open connects to the database at url (postgres://… or key=value
// form; pgx's pool_max_conns and the like are honoured) and applies
// pending migrations.
func Open(ctx context.Context, url string) (*DB, error) {
	db, _, err := open(ctx, url)
	return db, err
}

// Migrate connects, applies pending migrations, closes and returns the
// names of the migrations it applied, for `badgebot migrate`.
func Migrate(ctx context.Context, url string) ([]string, error) {
	db, applied, err := open(ctx, url)
	if err != nil {
		return nil, err
	}
	db.Close()
	return applied, nil
}

func open(ctx context.Context, url string) (*DB, []string, error) {
	if url == "" {
		return nil, nil, errors.New("storage: open: empty PostgreSQL URL (storage.url)")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password and all.
		return nil, nil, errors.New("storage: open: storage.url is not a PostgreSQL URL or connection string")
	}
	if !hasParam(url, "pool_max_conns") {
		cfg.MaxConns = defaultConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: open %s: %w", redact(cfg), err)
	}
	db := &DB{pool: pool, now: time.Now}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("storage: open %s: %w", redact(cfg), err)
	}
	applied, err := db.migrate(ctx)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	db.replica, db.stop, db.beatDone = newReplicaID(), make(chan struct{}), make(chan struct{})
	if err := db.beatOnce(ctx); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("storage: open: %w", err)
	}
	go db.beat(db.stop, db.beatDone)
	db.saves = make(chan *saveReq)
	for range committers {
		db.savers.Add(1)
		go db.commitDeliveries()
	}
	db.migrated = applied
	return db, applied, nil
}

// hasParam reports whether a URL or key=value string sets name.
func hasParam(url, name string) bool {
	for i := 0; i+len(name) < len(url); i++ {
		if url[i:i+len(name)] == name && url[i+len(name)] == '=' && (i == 0 || url[i-1] == '?' || url[i-1] == '&' || url[i-1] == ' ') {
			return true
		}
	}
	return false
}

// redact names the server without the password.
func redact(cfg *pgxpool.Config) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
}

// Close removes this replica's row and closes the pool, waiting for the
// connections in use. Calls after the first do nothing.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.stop)
		<-db.beatDone
		db.savers.Wait()
		db.pool.Close()
	})
	return nil
}

// SetNow sets the clock rows are stamped with; nil restores time.Now.
// Tests use it; call it right after Open.
func (db *DB) SetNow(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	db.now = now
}

// Ping reports whether the database answers a query, for /readyz.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		return fmt.Errorf("storage: ping: %w", err)
	}
	return nil
}

// Backup is not how this store is copied: `badgebot backup` reads a
// Snapshot, keys and all, into a SQLite database.
func (db *DB) Backup(ctx context.Context, dst string) error {
	return bot.Errorf(bot.EINVALID, "backup: the PostgreSQL store is copied from a Snapshot (badgebot backup), or with pg_dump")
}

// querier is what a pool and a transaction both offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// maxAttempts bounds how often tx runs a transaction that lost to
// another one.
const maxAttempts = 20

// tx runs fn in a transaction at the isolation level and commits it. A
// transaction that fails a serialization check or is chosen as a
// deadlock's victim is run again from the start, so fn must set its
// results afresh each time it runs.
func (db *DB) tx(ctx context.Context, iso pgx.TxIsoLevel, fn func(ctx context.Context, tx pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: iso}, func(tx pgx.Tx) error {
			return fn(ctx, tx)
		})
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(rand.IntN(attempt*2)+1) * time.Millisecond):
		}
	}
}

// write runs fn in a READ COMMITTED transaction (tx).
func (db *DB) write(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return db.tx(ctx, pgx.ReadCommitted, fn)
}

// retryable reports a transaction that lost to another one.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// millis converts t to the stored form.
func millis(t time.Time) int64 { return t.UnixMilli() }

// fromMillis converts a stored time back, in UTC.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// nullMillis stores the zero time as NULL; fromNullMillis reads it back.
func nullMillis(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := millis(t)
	return &ms
}

func fromNullMillis(ms *int64) time.Time {
	if ms == nil {
		return time.Time{}
	}
	return fromMillis(*ms)
}

// orNow returns t, or the current time when t is zero.
func (db *DB) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return db.now()
	}
	return t
}

// nilIfEmpty stores an empty byte slice as NULL.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// WithSchema returns url with its connections' search_path set to
// schema, so that one server can hold several badgebot databases (tests
// use one schema each). url may be a URL or a key=value string.
func WithSchema(url, schema string) string {
	switch {
	case !strings.Contains(url, "://"):
		return url + " search_path=" + schema
	case strings.Contains(url, "?"):
		return url + "&search_path=" + schema
	}
	return url + "?search_path=" + schema
}

// collect reads every row with fn; no rows read as nil, as the SQLite
// store gives them.
func collect[T any](rows pgx.Rows, fn pgx.RowToFunc[T]) ([]T, error) {
	out, err := pgx.CollectRows(rows, fn)
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// TempSchema creates a schema with a fresh random name on the server at
// url and returns a URL whose connections use it, and a drop that removes
// it with everything in it. Tests use it to give each test a database of
// its own on one server.
func TempSchema(ctx context.Context, url string) (schemaURL string, drop func() error, err error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", nil, fmt.Errorf("storage: temp schema: %w", err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("test_%016x", rand.Uint64())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("storage: temp schema: %w", err)
	}
	drop = func() error {
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			return fmt.Errorf("storage: drop schema %s: %w", schema, err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("storage: drop schema %s: %w", schema, err)
		}
		return nil
	}
	return WithSchema(url, schema), drop, nil
}
