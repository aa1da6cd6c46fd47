package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A signed chat request is accepted once: the second sight of its key is
// a replay, on this handle and on another process's handle of the same
// database (a replica), until the record expires.
func testFirstSeenOnceAcrossHandles(t *testing.T, open Opener) {
	ctx := context.Background()
	now := t0
	a := open(t)
	b := a.Reopen(t)
	a.SetNow(func() time.Time { return now })
	b.SetNow(func() time.Time { return now })
	key := []byte("sha256-of-a-signed-request")
	expires := t0.Add(5 * time.Minute)

	mustSeen := func(db DB, platform string, k []byte, want bool) {
		t.Helper()
		got, err := db.FirstSeen(ctx, platform, k, expires)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("FirstSeen(%s, %q) = %v, want %v", platform, k, got, want)
		}
	}
	mustSeen(a, "slack", key, true)
	mustSeen(a, "slack", key, false)  // replayed to the same replica
	mustSeen(b, "slack", key, false)  // replayed to another replica
	mustSeen(b, "discord", key, true) // platforms do not share keys
	mustSeen(a, "slack", []byte("other"), true)

	// After the window the row is pruned and the key may be used again
	// (the signature window refuses such a request before this anyway).
	now = expires.Add(time.Second)
	if _, err := a.FirstSeen(ctx, "slack", []byte("prunes"), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.QueryRow(ctx, `SELECT count(*) FROM chat_requests WHERE platform = 'slack'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d slack rows after the window, want 1 (expired ones pruned)", n)
	}
	mustSeen(b, "slack", key, true)

	if _, err := a.FirstSeen(ctx, "", key, expires); err == nil {
		t.Error("FirstSeen without a platform succeeded")
	}
}

// Replays sent at the same moment to two replicas: exactly one is first.
func testFirstSeenConcurrent(t *testing.T, open Opener) {
	db := open(t)
	dbs := []DB{db, db.Reopen(t)}
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		db := dbs[i%2]
		wg.Go(func() {
			ok, err := db.FirstSeen(context.Background(), "discord", []byte("same"), time.Now().Add(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if n := firsts.Load(); n != 1 {
		t.Errorf("%d of 16 concurrent sights were first, want 1", n)
	}
}
