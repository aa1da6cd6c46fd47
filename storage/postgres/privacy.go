package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// ProbeWrite reports whether the database takes writes, for /readyz: a
// heartbeat row in job_state, committed like any write (PostgreSQL
// refuses a commit it cannot make durable, a full disk included).
func (db *DB) ProbeWrite(ctx context.Context) error {
	return dbError(putJobState(ctx, db.pool, "readyz", []byte("{}"), db.now()), "write probe")
}

// bodyDropped is the body_encoding of a delivery whose body was deleted
// after the retention period (as in the SQLite store).
const bodyDropped = "dropped"

const retentionBatch = 500

// DropDeliveryBodies deletes the bodies of processed deliveries received
// before cutoff and returns how many it emptied; the rows stay, so
// redeliveries are still duplicates. It resumes where the last call
// stopped (job_state "retention") and stops at the first delivery that is
// recent or not processed yet, as the SQLite store does. Replicas running
// it at once empty each body once (the UPDATE skips dropped ones).
func (db *DB) DropDeliveryBodies(ctx context.Context, cutoff time.Time) (int64, error) {
	var st struct {
		AfterID int64 `json:"after_id"`
	}
	if b, err := db.jobState(ctx, "retention"); err != nil {
		return 0, err
	} else if b != nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return 0, dbError(err, "read retention state")
		}
	}
	var total int64
	for {
		upto, more, err := db.retentionEnd(ctx, st.AfterID, cutoff)
		if err != nil || upto == st.AfterID {
			return total, err
		}
		err = db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `UPDATE deliveries SET body = '\x', body_encoding = $1, extract = NULL
				WHERE id > $2 AND id <= $3 AND processed_at IS NOT NULL AND body_encoding <> $1`,
				bodyDropped, st.AfterID, upto)
			if err != nil {
				return err
			}
			total += tag.RowsAffected()
			state, _ := json.Marshal(map[string]int64{"after_id": upto})
			return putJobState(ctx, tx, "retention", state, db.now())
		})
		if err != nil {
			return total, dbError(err, "drop delivery bodies")
		}
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
	rows, err := db.pool.Query(ctx, `SELECT id, received_at, processed_at IS NOT NULL
		FROM deliveries WHERE id > $1 ORDER BY id LIMIT $2`, after, retentionBatch)
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
