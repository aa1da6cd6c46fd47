package postgres

import (
	"context"
	"crypto/rand"
	"time"
)

// Every open DB is a replica with a random id that beats its row of the
// replicas table every replicaBeat. Work a replica claims names it, and
// is taken over by the others once its row is older than replicaGone: a
// replica killed in the middle of posting announcements leaves them to
// another within seconds, not when their claims run out.
const (
	replicaBeat = time.Second
	replicaGone = "10 seconds" // an interval: ten missed beats
)

// beatOnce refreshes this replica's row.
func (db *DB) beatOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := db.pool.Exec(ctx, `INSERT INTO replicas (id, seen_at) VALUES ($1, clock_timestamp())
		ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`, db.replica)
	return err
}

// beat keeps this replica's row fresh until stop closes, then removes it.
// A beat that fails is tried again at the next tick.
func (db *DB) beat(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(replicaBeat)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			// Old rows of replicas that died go too.
			db.pool.Exec(ctx, `DELETE FROM replicas WHERE id = $1 OR seen_at < clock_timestamp() - interval '1 day'`, db.replica)
			cancel()
			return
		case <-tick.C:
			db.beatOnce(context.Background())
		}
	}
}

// newReplicaID returns a fresh replica id.
func newReplicaID() string { return rand.Text()[:16] }
