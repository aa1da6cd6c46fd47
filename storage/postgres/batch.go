package postgres

import (
	"context"
	"errors"
	"fmt"
)

// Group commit of webhook deliveries. One INSERT and one commit per
// delivery costs a round trip and a WAL flush each, and a connection
// while it waits; deliveries that arrive together are stored by one
// multi-row INSERT instead, in one transaction. Every caller still
// returns only after the commit that holds its delivery. A few committers
// run at once, so one batch's flush overlaps the next batch's gathering.
// Fewer committers make fuller batches and cost the server less CPU per
// delivery (each commit has its statement and its WAL flush: 110 µs per
// delivery with one committer, 150-200 with four, 350-400 with sixteen,
// 64 callers), but on a busy machine one committer per process waited
// longer and took fewer deliveries per second than four.
const (
	maxDeliveryBatch = 256
	committers       = 4
)

// saveReq is one delivery waiting for a committer.
type saveReq struct {
	source, id, typ string
	body, extract   []byte
	encoding        string
	received        int64
	done            chan saveResult // buffered
}

type saveResult struct {
	dup bool
	err error
}

// save queues r and waits for its batch's commit.
func (db *DB) save(ctx context.Context, r *saveReq) (bool, error) {
	select {
	case db.saves <- r:
	case <-db.stop:
		return false, errors.New("storage: database is closed")
	case <-ctx.Done():
		return false, ctx.Err()
	}
	res := <-r.done
	return res.dup, res.err
}

// commitDeliveries gathers queued deliveries and stores them, until stop
// closes.
func (db *DB) commitDeliveries() {
	defer db.savers.Done()
	for {
		var rs []*saveReq
		select {
		case r := <-db.saves:
			rs = append(rs, r)
		case <-db.stop:
			return
		}
	gather:
		for len(rs) < maxDeliveryBatch {
			select {
			case r := <-db.saves:
				rs = append(rs, r)
			default:
				break gather
			}
		}
		db.insertDeliveries(rs)
	}
}

// insertDeliveries stores rs with one statement and tells each caller
// whether its delivery was new. Of two in one batch with the same key the
// first is stored and the second is the duplicate.
func (db *DB) insertDeliveries(rs []*saveReq) {
	n := len(rs)
	sources, ids, types, encodings := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	bodies, extracts, received := make([][]byte, n), make([][]byte, n), make([]int64, n)
	for i, r := range rs {
		sources[i], ids[i], types[i], bodies[i], encodings[i], received[i] = r.source, r.id, r.typ, r.body, r.encoding, r.received
		extracts[i] = r.extract // nil: NULL
	}
	// The batch belongs to no single caller: no caller's cancellation
	// ends it.
	ctx := context.Background()
	inserted := map[[2]string]bool{}
	rows, err := db.pool.Query(ctx, `INSERT INTO deliveries (source, delivery_id, type, body, body_encoding, received_at, extract)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::text[], $6::bigint[], $7::bytea[])
		ON CONFLICT (source, delivery_id) DO NOTHING RETURNING source, delivery_id`,
		sources, ids, types, bodies, encodings, received, extracts)
	if err == nil {
		for rows.Next() {
			var k [2]string
			if err = rows.Scan(&k[0], &k[1]); err != nil {
				break
			}
			inserted[k] = true
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	for _, r := range rs {
		if err != nil {
			r.done <- saveResult{err: fmt.Errorf("save %s delivery %q: %w", r.source, r.id, err)}
			continue
		}
		k := [2]string{r.source, r.id}
		r.done <- saveResult{dup: !inserted[k]}
		delete(inserted, k) // a second copy in the batch is the duplicate
	}
}
