package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestWriteBatch queues writes while the committer is busy, so that they
// share a transaction, and checks that each one's outcome is its own: the
// failing writes are undone alone (the first failure makes the batch run
// its writes again, each in a savepoint), the cancelled one never runs,
// the rest are committed together.
func TestWriteBatch(t *testing.T) {
	// In a bubble, Wait returns once every write is queued behind the
	// first, which runs meanwhile: they join its transaction, which takes
	// what is queued until it commits.
	synctest.Test(t, testWriteBatch)
}

func testWriteBatch(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	// Each queued write, when it (last) ran, saw the first write's row in
	// its transaction while readers did not: the first write's
	// transaction, not committed yet.
	var mu sync.Mutex
	withFirst := map[int]bool{}
	ranIn := func(ctx context.Context, write int, tx queryer) {
		var inTx, committed int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM counters WHERE name = 'first'`).Scan(&inTx)
		if err == nil {
			err = db.r.QueryRowContext(ctx, `SELECT count(*) FROM counters WHERE name = 'first'`).Scan(&committed)
		}
		mu.Lock()
		withFirst[write] = err == nil && inTx == 1 && committed == 0
		mu.Unlock()
	}

	release := make(chan struct{})
	busy := make(chan struct{})
	var busyOnce sync.Once
	first := make(chan error, 1)
	go func() {
		first <- db.write(ctx, func(ctx context.Context, tx queryer) error {
			busyOnce.Do(func() { close(busy) })
			<-release
			_, err := tx.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ('first', 1)`)
			return err
		})
	}()
	<-busy

	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = db.write(ctx, func(ctx context.Context, tx queryer) error {
				ranIn(ctx, i, tx)
				if i == 5 {
					panic("write 5 panics")
				}
				name := fmt.Sprintf("w%02d", i)
				if _, err := tx.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES (?, ?)`, name, i); err != nil {
					return err
				}
				if i%3 == 0 {
					return fmt.Errorf("write %d fails after writing", i)
				}
				return nil
			})
		})
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	errCancelled := db.write(cancelled, func(ctx context.Context, tx queryer) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ('cancelled', 1)`)
		return err
	})
	synctest.Wait()
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatalf("first write: %v", err)
	}
	if !errors.Is(errCancelled, context.Canceled) {
		t.Errorf("cancelled write: %v, want context.Canceled", errCancelled)
	}

	for i := range n {
		name := fmt.Sprintf("w%02d", i)
		stored := count(t, db, "counters", "name = ?", name) == 1
		if i%3 == 0 || i == 5 {
			if errs[i] == nil || stored {
				t.Errorf("failing write %d: err %v, row stored %v; want its error and no row", i, errs[i], stored)
			}
		} else if errs[i] != nil || !stored {
			t.Errorf("write %d: err %v, row stored %v; want no error and its row", i, errs[i], stored)
		}
	}
	if count(t, db, "counters", "name IN ('first')") != 1 || count(t, db, "counters", "name = 'cancelled'") != 0 {
		t.Error("the first write is missing or the cancelled one ran")
	}
	if errs[5] == nil || !strings.Contains(errs[5].Error(), "write 5 panics") {
		t.Errorf("panicking write: %v, want its panic as its error", errs[5])
	}
	for i := range n {
		if !withFirst[i] {
			t.Errorf("write %d did not run in the first write's transaction", i)
		}
	}
}

// TestFailedWriteReplaysItsBatch: writes run bare until one fails after
// writing; then the batch's transaction is rolled back and its writes run
// again, each in a savepoint, so the failed one is undone alone and the
// others count once, reporting what their last run saw.
func TestFailedWriteReplaysItsBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		db := openTest(t)
		if _, err := db.w.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ('a', 0), ('c', 0)`); err != nil {
			t.Fatal(err)
		}
		// The first write holds the committer until the others queued.
		release, busy := make(chan struct{}), make(chan struct{})
		var busyOnce sync.Once
		holder := make(chan error, 1)
		go func() {
			holder <- db.write(ctx, func(ctx context.Context, tx queryer) error {
				busyOnce.Do(func() { close(busy) })
				<-release
				return nil
			})
		}()
		<-busy

		var runsA, runsB, runsC atomic.Int32
		var seenA int
		increment := func(name string, runs *atomic.Int32, seen *int) func(context.Context, queryer) error {
			return func(ctx context.Context, tx queryer) error {
				runs.Add(1)
				return tx.QueryRowContext(ctx, `UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value`, name).Scan(seen)
			}
		}
		var errA, errB, errC error
		var wg sync.WaitGroup
		wg.Go(func() { errA = db.write(ctx, increment("a", &runsA, &seenA)) })
		synctest.Wait() // queued in this order
		wg.Go(func() {
			errB = db.write(ctx, func(ctx context.Context, tx queryer) error {
				runsB.Add(1)
				if _, err := tx.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ('b', 1)`); err != nil {
					return err
				}
				return errors.New("b fails after writing")
			})
		})
		synctest.Wait()
		var seenC int
		wg.Go(func() { errC = db.write(ctx, increment("c", &runsC, &seenC)) })
		synctest.Wait()
		close(release)
		wg.Wait()

		if err := <-holder; errA != nil || errC != nil || err != nil || errB == nil {
			t.Fatalf("errors a %v, b %v, c %v, first %v; want only b's", errA, errB, errC, err)
		}
		if got := count(t, db, "counters", "name = 'b'"); got != 0 {
			t.Error("the failed write's row was kept")
		}
		for name, want := range map[string]int{"a": 1, "c": 1} {
			var v int
			if err := db.r.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = ?`, name).Scan(&v); err != nil || v != want {
				t.Errorf("counter %s = %d (%v), want %d: each write counts once", name, v, err, want)
			}
		}
		if seenA != 1 || seenC != 1 {
			t.Errorf("writes reported %d and %d, want 1 each: what their last run saw", seenA, seenC)
		}
		// a ran bare, then again after b failed; b bare and in its
		// savepoint; c, after the failure, in its savepoint only.
		if runsA.Load() != 2 || runsB.Load() != 2 || runsC.Load() != 1 {
			t.Errorf("runs a %d, b %d, c %d; want 2, 2, 1", runsA.Load(), runsB.Load(), runsC.Load())
		}
	})
}

func TestWriteAfterClose(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir()+"/badgebot.db")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := db.NextStatusIndex(ctx); err == nil {
		t.Error("NextStatusIndex after Close succeeded")
	}
}

// TestWriteReturnsOnceSynced: a write returns only after an fsync of the
// log that began once its commit was written; while that fsync runs, the
// writer runs the next writes into a transaction it commits only once the
// fsync ended (one fsync at a time).
func TestWriteReturnsOnceSynced(t *testing.T) {
	synctest.Test(t, testWriteReturnsOnceSynced)
}

func testWriteReturnsOnceSynced(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	committed := func() []string {
		rows, err := db.r.QueryContext(ctx, `SELECT name FROM counters WHERE name IN ('a', 'b') ORDER BY name`)
		if err != nil {
			t.Error(err)
			return nil
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Error(err)
			}
			names = append(names, name)
		}
		return names
	}
	var mu sync.Mutex
	var synced [][]string // what was committed when each fsync began
	release := make(chan struct{})
	db.syncLog = func() error {
		names := committed()
		mu.Lock()
		first := len(synced) == 0
		synced = append(synced, names)
		mu.Unlock()
		if first {
			<-release
		}
		return nil
	}
	ran := make(chan string, 2)
	insert := func(name string) chan error {
		done := make(chan error, 1)
		go func() {
			done <- db.write(ctx, func(ctx context.Context, tx queryer) error {
				ran <- name
				_, err := tx.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES (?, 1)`, name)
				return err
			})
		}()
		return done
	}

	a := insert("a")
	synctest.Wait() // a is committed; its fsync waits for release
	b := insert("b")
	synctest.Wait() // b ran, into a transaction that waits for a's fsync
	if got := []string{<-ran, <-ran}; !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("writes ran %v, want a then b while a's fsync runs", got)
	}
	if got := committed(); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("committed while the first fsync runs: %v, want a alone", got)
	}
	select {
	case err := <-a:
		t.Fatalf("a returned (%v) before its fsync ended", err)
	case err := <-b:
		t.Fatalf("b returned (%v) before it was committed", err)
	default:
	}
	close(release)
	if err := <-a; err != nil {
		t.Fatal(err)
	}
	if err := <-b; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(synced) != 2 || !slices.Equal(synced[0], []string{"a"}) || !slices.Equal(synced[1], []string{"a", "b"}) {
		t.Errorf("fsyncs began with %q committed, want [a] then [a b]", synced)
	}
}

// TestSyncFailureFailsWrites: when the log cannot be synced, the writes it
// held fail, and so does every later write, without running, and every
// later transaction of a migration: a later fsync that succeeds would not
// prove the lost pages on disk.
func TestSyncFailureFailsWrites(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	db.syncLog = func() error { return errors.New("input/output error") }
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ('lost', 1)`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "could not be synced") || !strings.Contains(err.Error(), "input/output error") {
		t.Fatalf("write = %v, want the failed fsync", err)
	}
	ran := false
	err = db.write(ctx, func(ctx context.Context, tx queryer) error {
		ran = true
		return nil
	})
	if err == nil || ran {
		t.Errorf("write after a failed fsync: err %v, ran %v; want its error and not run", err, ran)
	}
	// A migration's own transaction is not told it is durable either.
	db.syncLog = func() error { return nil }
	err = db.direct(ctx, func(tx *sql.Tx) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "input/output error") {
		t.Errorf("direct transaction after a failed fsync: %v, want the failed fsync", err)
	}
}

// TestWriterBusyCountsWorkNotWaits: WriterBusy grows by the time writes
// run, not by the writer's waits for writes or for an fsync (synctest's
// clock moves only while every goroutine waits, so the count is exact).
func TestWriterBusyCountsWorkNotWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		db := openTest(t)
		db.syncLog = func() error {
			time.Sleep(5 * time.Second) // a slow fsync, beside the writer
			return nil
		}
		before := db.WriterBusy()
		time.Sleep(time.Hour) // no writes
		err := db.write(ctx, func(ctx context.Context, tx queryer) error {
			time.Sleep(3 * time.Second) // the write's own work
			_, err := tx.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ('busy', 1)`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		if got := db.WriterBusy() - before; got != 3*time.Second {
			t.Errorf("WriterBusy grew by %v over an hour's wait, a 3 s write and a 5 s fsync; want 3s", got)
		}
	})
}
