package bot

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// reserveStore counts the status-index reservations; nothing else of the
// store is used.
type reserveStore struct {
	Store
	mu    sync.Mutex
	next  int
	sizes []int
}

func (r *reserveStore) ReserveStatusIndexes(ctx context.Context, n int) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	first := r.next
	r.next += n
	r.sizes = append(r.sizes, n)
	return first, nil
}

// TestStatusIndexBlocks: status-list indexes are handed out once each,
// from blocks that grow while awarding is fast (one write per block, not a
// wait per block) and stay small while it is slow (few indexes left unused
// by a restart).
func TestStatusIndexBlocks(t *testing.T) {
	ctx := context.Background()
	t.Run("fast", func(t *testing.T) {
		store := &reserveStore{}
		clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		s := &Service{Store: store, Now: func() time.Time { return clock }}
		const n = 20000
		seen := make([]bool, n+2*statusBlockMax)
		for range n {
			idx, err := s.statusIndex(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if seen[idx] {
				t.Fatalf("index %d handed out twice", idx)
			}
			seen[idx] = true
		}
		if len(store.sizes) > 12 || slices.Max(store.sizes) != statusBlockMax {
			t.Errorf("reservations %v: want the blocks to double up to %d, a dozen writes at most", store.sizes, statusBlockMax)
		}
	})
	t.Run("slow", func(t *testing.T) {
		store := &reserveStore{}
		clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		s := &Service{Store: store, Now: func() time.Time {
			clock = clock.Add(time.Minute) // one award a minute
			return clock
		}}
		for range 500 {
			if _, err := s.statusIndex(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if slices.Max(store.sizes) != statusBlockMin {
			t.Errorf("reservations %v: want blocks of %d while awarding is slow", store.sizes, statusBlockMin)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		store := &reserveStore{}
		s := &Service{Store: store}
		var mu sync.Mutex
		seen := map[int]bool{}
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for range 300 {
					idx, err := s.statusIndex(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if seen[idx] {
						t.Errorf("index %d handed out twice", idx)
					}
					seen[idx] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 64*300 {
			t.Errorf("%d distinct indexes, want %d", len(seen), 64*300)
		}
	})
}
