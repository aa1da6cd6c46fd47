package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestWriteBatch queues writes while the committer is busy, so that they
// share a transaction, and checks that each one's outcome is its own: the
// failing writes are undone alone, the cancelled one never runs, the rest
// are committed.
func TestWriteBatch(t *testing.T) {
	// In a bubble, Wait returns once every write is queued behind the
	// first, which runs meanwhile: they join its transaction, which takes
	// what is queued until it commits.
	synctest.Test(t, testWriteBatch)
}

func testWriteBatch(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	var mu sync.Mutex
	txs := map[*sql.Tx]int{} // writes per transaction

	release := make(chan struct{})
	busy := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			mu.Lock()
			txs[tx]++
			mu.Unlock()
			close(busy)
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
			errs[i] = db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				mu.Lock()
				txs[tx]++
				mu.Unlock()
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
	errCancelled := db.write(cancelled, func(ctx context.Context, tx *sql.Tx) error {
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
	var sizes []int
	for _, n := range txs {
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{n + 1}) {
		t.Errorf("writes per transaction %v, want the first and the %d queued behind it together", sizes, n)
	}
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
			done <- db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
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
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ('lost', 1)`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "could not be synced") || !strings.Contains(err.Error(), "input/output error") {
		t.Fatalf("write = %v, want the failed fsync", err)
	}
	ran := false
	err = db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
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
		err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
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
