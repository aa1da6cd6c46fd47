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
)

// TestWriteBatch queues writes while the committer is busy, so that they
// share a transaction, and checks that each one's outcome is its own: the
// failing writes are undone alone, the cancelled one never runs, the rest
// are committed.
func TestWriteBatch(t *testing.T) {
	// In a bubble, Wait returns once every write is queued behind the
	// first: they are then committed together, in one transaction.
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
	if !slices.Equal(sizes, []int{1, n}) {
		t.Errorf("writes per transaction %v, want the first alone and the %d queued behind it together", sizes, n)
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
