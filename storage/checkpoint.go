package storage

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Checkpoints. In WAL mode a commit appends pages to the -wal file; a
// checkpoint copies them into the database file. SQLite's automatic
// checkpoint runs inside the commit that crosses the threshold, so during
// a burst of webhook deliveries one writer in every hundred-odd paid for
// copying megabytes. Here the writer never checkpoints: this loop does, on
// its own connection, beside the writer (PASSIVE blocks nobody), when
// writes pause or when the WAL has grown large.
const (
	checkpointEvery = time.Second
	checkpointQuiet = 500 * time.Millisecond // no commit for this long: checkpoint
	checkpointLarge = 64 << 20               // a WAL this large is checkpointed even under load
	// walRestartSize is what the -wal file is cut back to when the log
	// restarts after a checkpoint (journal_size_limit). A restarted log
	// overwrites the file from its start, so without the cut the file
	// would stay at its largest and look large to the loop for good.
	walRestartSize = 4 << 20
)

func (db *DB) checkpointLoop() {
	defer close(db.ckDone)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	var done int64 // lastWrite when the last checkpoint ran
	for {
		select {
		case <-db.stop:
			return
		case <-tick.C:
		}
		last := db.lastWrite.Load()
		if last == done {
			continue // nothing written since
		}
		quiet := time.Since(time.Unix(0, last)) >= checkpointQuiet
		if !quiet && db.walSize() < checkpointLarge {
			continue
		}
		if err := db.checkpoint("PASSIVE"); err == nil {
			done = last
		}
	}
}

// checkpoint runs one checkpoint of the given mode.
func (db *DB) checkpoint(mode string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := db.ck.ExecContext(ctx, "PRAGMA wal_checkpoint("+mode+")"); err != nil {
		return fmt.Errorf("storage: checkpoint: %w", err)
	}
	return nil
}

// walSize is the size of the -wal file, 0 when it cannot be read.
func (db *DB) walSize() int64 {
	fi, err := os.Stat(db.path + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}
