package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// probeBytes is what ProbeWrite writes beside the database: about two
// compressed deliveries.
const probeBytes = 64 << 10

// ProbeWrite reports whether the database can take writes, for /readyz.
// Two checks, because neither finds everything: a write through the
// writer (a heartbeat row in job_state, committed and synced like any
// write) fails on a read-only or broken database; but on a full disk an
// update in place can still succeed, since the WAL reuses its space after
// a checkpoint. So it also writes and syncs probeBytes of new data in a
// file beside the database, which a full disk refuses.
func (db *DB) ProbeWrite(ctx context.Context) error {
	f, err := os.CreateTemp(filepath.Dir(db.path), ".badgebot-probe-*")
	if err != nil {
		return fmt.Errorf("storage: write probe: %w", err)
	}
	_, werr := f.Write(make([]byte, probeBytes))
	err = errors.Join(werr, f.Sync(), f.Close(), os.Remove(f.Name()))
	if err != nil {
		return fmt.Errorf("storage: write probe: no room beside the database: %w", err)
	}
	err = db.write(ctx, func(ctx context.Context, tx queryer) error {
		return putJobState(ctx, tx, "readyz", struct{}{}, db.now())
	})
	return dbError(err, "write probe")
}

// bodyDropped is the body_encoding of a delivery whose body was deleted
// after the retention period; the row stays, so that a redelivery is
// still known as a duplicate.
const bodyDropped = "dropped"

// retentionBatch is how many deliveries DropDeliveryBodies looks at in one
// write.
const retentionBatch = 500

// retentionJSON is the job_state of DropDeliveryBodies: every delivery up
// to AfterID has been dealt with.
type retentionJSON struct {
	AfterID int64 `json:"after_id"`
}

// DropDeliveryBodies deletes the bodies of processed deliveries received
// before cutoff (privacy.delivery_retention: Bugzilla's carry e-mail
// addresses) and returns how many it emptied. The rows, their source and
// delivery id stay, so redeliveries are still refused as duplicates.
//
// Deliveries are visited in id order (the order they were stored) from
// where the last call stopped, and it stops at the first one that is
// recent or not processed yet, so each is read about once in all.
func (db *DB) DropDeliveryBodies(ctx context.Context, cutoff time.Time) (int64, error) {
	var st retentionJSON
	if _, err := db.jobState(ctx, db.r, "retention", &st); err != nil {
		return 0, err
	}
	var total int64
	for {
		upto, more, err := db.retentionEnd(ctx, st.AfterID, cutoff)
		if err != nil || upto == st.AfterID {
			return total, err
		}
		var dropped int64 // counted once committed: a write may run twice
		err = db.write(ctx, func(ctx context.Context, tx queryer) error {
			res, err := tx.ExecContext(ctx, `UPDATE deliveries SET body = x'', body_encoding = ?, extract = NULL
				WHERE id > ? AND id <= ? AND processed_at IS NOT NULL AND body_encoding <> ?`,
				bodyDropped, st.AfterID, upto, bodyDropped)
			if err != nil {
				return err
			}
			if dropped, err = res.RowsAffected(); err != nil {
				return err
			}
			return putJobState(ctx, tx, "retention", retentionJSON{AfterID: upto}, db.now())
		})
		if err != nil {
			return total, dbError(err, "drop delivery bodies")
		}
		total += dropped
		st.AfterID = upto
		if !more {
			return total, nil
		}
	}
}

// retentionEnd returns the id of the last delivery after after, in a run
// of at most retentionBatch, that was processed and received before
// cutoff; more tells whether the run was cut by the batch size only.
func (db *DB) retentionEnd(ctx context.Context, after int64, cutoff time.Time) (upto int64, more bool, err error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, received_at, processed_at IS NOT NULL
		FROM deliveries WHERE id > ? ORDER BY id LIMIT ?`, after, retentionBatch)
	if err != nil {
		return after, false, dbError(err, "list old deliveries")
	}
	defer rows.Close()
	upto, n := after, 0
	for rows.Next() {
		var id, received int64
		var processed bool
		if err := rows.Scan(&id, &received, &processed); err != nil {
			return after, false, dbError(err, "list old deliveries")
		}
		if received >= millis(cutoff) || !processed {
			return upto, false, nil
		}
		upto, n = id, n+1
	}
	return upto, n == retentionBatch, dbError(rows.Err(), "list old deliveries")
}
