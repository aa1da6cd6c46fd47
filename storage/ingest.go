package storage

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

var _ bot.IngestStore = (*DB)(nil)

// SaveDelivery stores a raw delivery durably for later processing. It
// reports a duplicate, changing nothing, when the same source and id were
// stored before. Concurrent calls share one commit (batch.go).
func (db *DB) SaveDelivery(ctx context.Context, d bot.WebhookDelivery) (dup bool, err error) {
	if d.Source == "" || d.ID == "" {
		return false, bot.Errorf(bot.EINVALID, "a delivery needs a source and an id")
	}
	received := d.ReceivedAt
	if received.IsZero() {
		received = db.now()
	}
	body, encoding, release := encodeBody(d.Body)
	defer release() // write returns once the row is written or never will be
	err = db.write(ctx, func(ctx context.Context, tx queryer) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO deliveries (source, delivery_id, type, body, body_encoding, received_at, problem, extract)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, delivery_id) DO NOTHING`,
			d.Source, d.ID, d.Type, body, encoding, millis(received), pendingProblem, d.Extract)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		dup = n == 0
		return err
	})
	if err != nil {
		return false, dbError(err, fmt.Sprintf("save %s delivery %q", d.Source, d.ID))
	}
	return dup, nil
}

// pendingProblem is the problem of a delivery stored and not processed
// yet: a placeholder as long as what completing adds, the processed_at
// (six bytes of integer for any millisecond time from late January 1970 to
// the year 6429). The body, which usually spills over overflow pages,
// comes after both columns (017). When an update keeps the row's size,
// SQLite overwrites it in place and writes only the pages whose bytes
// changed, here the row's first, on the table's own page, instead of
// copying the whole body into the WAL again. Nothing reads the problem of
// a pending delivery.
const pendingProblem = "queued"

// pendingBytes caps the bodies one PendingDeliveriesAfter returns: a
// delivery may be megabytes, and a batch is held in memory.
const pendingBytes = 16 << 20

// PendingDeliveriesAfter returns stored deliveries not processed yet whose
// Seq is greater than after, oldest first: at most limit, and fewer once
// their bodies add up to pendingBytes, but at least one when there is one.
// A delivery stored with an extract comes with it and without its body,
// which is then not copied out (CASE). extract, added by 019, comes after
// the body in the row: SQLite follows the body's overflow pages to reach
// it, a few page reads, where reading the body meant copying and
// decompressing 30 KB.
func (db *DB) PendingDeliveriesAfter(ctx context.Context, after int64, limit int) ([]bot.WebhookDelivery, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, source, delivery_id, type, received_at, extract,
			CASE WHEN extract IS NULL THEN body END, body_encoding
		FROM deliveries WHERE processed_at IS NULL AND id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, dbError(err, "list pending deliveries")
	}
	defer rows.Close()
	var ds []bot.WebhookDelivery
	size := 0
	for size < pendingBytes && rows.Next() {
		var d bot.WebhookDelivery
		var received int64
		var stored sql.RawBytes // the driver's copy, read before Next: decoding copies it once more
		var encoding string
		if err := rows.Scan(&d.Seq, &d.Source, &d.ID, &d.Type, &received, &d.Extract, &stored, &encoding); err != nil {
			return nil, dbError(err, "list pending deliveries")
		}
		d.ReceivedAt = fromMillis(received)
		if d.Extract == nil {
			// A damaged body must not stall the deliveries after it:
			// it is handed on marked, to be completed with its problem.
			if d.Body, d.Release, err = decodePooled(stored, encoding); err != nil {
				d.Unreadable = err.Error()
			} else if encoding == "" {
				d.Body = bytes.Clone(d.Body) // stored as it came: still the driver's
			}
		}
		ds = append(ds, d)
		size += len(d.Body) + len(d.Extract)
	}
	return ds, dbError(rows.Err(), "list pending deliveries")
}

// DeliveryBody reads back the body of the stored delivery seq.
func (db *DB) DeliveryBody(ctx context.Context, seq int64) ([]byte, error) {
	var stored []byte
	var encoding string
	err := db.r.QueryRowContext(ctx, `SELECT body, body_encoding FROM deliveries WHERE id = ?`, seq).Scan(&stored, &encoding)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bot.Errorf(bot.ENOTFOUND, "no stored delivery %d", seq)
	}
	if err != nil {
		return nil, dbError(err, "read a delivery's body")
	}
	return decodeBody(stored, encoding)
}

// CompleteDelivery stores the events normalised from a stored delivery and
// marks it processed, in one transaction. It returns the events that were
// new by kind and key, with ID and PersonID set. Completing a delivery
// twice stores nothing the second time.
func (db *DB) CompleteDelivery(ctx context.Context, d bot.WebhookDelivery, events []bot.Event, problem string) ([]bot.Event, error) {
	for _, e := range events {
		if e.Kind == "" || e.Key == "" || e.Actor.Platform == "" || e.Actor.ID == "" {
			return nil, bot.Errorf(bot.EINVALID, "delivery %s: event %q of kind %q needs a key and an actor", d.ID, e.Key, e.Kind)
		}
	}
	var saved []bot.Event
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		saved = append(saved[:0], events...) // afresh: a write may run twice
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET processed_at = ?, problem = ?
			WHERE id = ? AND processed_at IS NULL`, millis(db.now()), problem, d.Seq)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			saved = nil // processed before
			return err
		}
		return insertEvents(ctx, tx, d.Source, d.Seq, saved, d.ReceivedAt, db.now())
	})
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("complete %s delivery %q", d.Source, d.ID))
	}
	var stored []bot.Event
	for _, e := range saved {
		if e.ID != 0 {
			stored = append(stored, e)
		}
	}
	return stored, nil
}

// PersonEvents returns every event of the person of the given kinds,
// oldest first.
func (db *DB) PersonEvents(ctx context.Context, personID int64, kinds []string) ([]bot.Event, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	args := []any{personID}
	for _, k := range kinds {
		args = append(args, k)
	}
	// Sorted here, not by an ORDER BY: a person has few events, and a
	// sorter costs SQLite more than the query (about 15 against 10 µs).
	q := `SELECT ` + eventColumns + ` FROM events WHERE person_id = ? AND kind IN (?` +
		strings.Repeat(", ?", len(kinds)-1) + `)`
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, dbError(err, "list events")
	}
	defer rows.Close()
	var es []bot.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, dbError(err, "list events")
		}
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b bot.Event) int {
		return cmp.Or(a.OccurredAt.Compare(b.OccurredAt), cmp.Compare(a.ID, b.ID))
	})
	return es, dbError(rows.Err(), "list events")
}

const eventColumns = `id, source, kind, key, actor_platform, actor_id, actor_name, person_id,
	repository, product, component, url, title, private, occurred_at, received_at`

func scanEvent(s scanner) (bot.Event, error) {
	var e bot.Event
	var occurred, received int64
	err := s.Scan(&e.ID, &e.Source, &e.Kind, &e.Key, &e.Actor.Platform, &e.Actor.ID, &e.ActorName, &e.PersonID,
		&e.Repository, &e.Product, &e.Component, &e.URL, &e.Title, &e.Private, &occurred, &received)
	e.OccurredAt, e.ReceivedAt = fromMillis(occurred), fromMillis(received)
	return e, err
}

// linkCodes: the identity-proof flow.

var _ bot.LinkStore = (*DB)(nil)

// SaveLinkCode stores a one-time link code, dropping expired ones.
func (db *DB) SaveLinkCode(ctx context.Context, c bot.LinkCode) error {
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM link_codes WHERE expires_at < ?`, millis(c.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO link_codes (code, requester_platform, requester_id,
			target_platform, target_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.Code, c.Requester.Platform, c.Requester.ID, c.Target.Platform, c.Target.ID,
			millis(c.CreatedAt), millis(c.ExpiresAt))
		return err
	})
	return dbError(err, "save link code")
}

// PendingLinkCode returns the newest unexpired code requester asked for
// to prove target; ENOTFOUND when there is none.
func (db *DB) PendingLinkCode(ctx context.Context, requester, target bot.Recipient, now time.Time) (*bot.LinkCode, error) {
	var c bot.LinkCode
	var created, expires int64
	err := db.r.QueryRowContext(ctx, `SELECT code, requester_platform, requester_id, target_platform, target_id, created_at, expires_at
		FROM link_codes WHERE requester_platform = ? AND requester_id = ? AND target_platform = ? AND target_id = ? AND expires_at >= ?
		ORDER BY created_at DESC LIMIT 1`,
		requester.Platform, requester.ID, target.Platform, target.ID, millis(now)).Scan(&c.Code, &c.Requester.Platform, &c.Requester.ID,
		&c.Target.Platform, &c.Target.ID, &created, &expires)
	if err == sql.ErrNoRows {
		return nil, bot.Errorf(bot.ENOTFOUND, "no pending link code")
	} else if err != nil {
		return nil, dbError(err, "read link code")
	}
	c.CreatedAt, c.ExpiresAt = fromMillis(created), fromMillis(expires)
	return &c, nil
}

// TakeLinkCode returns the unexpired code for target and deletes it, so
// that it works once; ENOTFOUND when there is none.
func (db *DB) TakeLinkCode(ctx context.Context, code string, target bot.Recipient, now time.Time) (*bot.LinkCode, error) {
	var c *bot.LinkCode
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		c = nil // a write may run twice
		var lc bot.LinkCode
		var created, expires int64
		err := tx.QueryRowContext(ctx, `DELETE FROM link_codes
			WHERE code = ? AND target_platform = ? AND target_id = ? AND expires_at >= ?
			RETURNING code, requester_platform, requester_id, target_platform, target_id, created_at, expires_at`,
			code, target.Platform, target.ID, millis(now)).Scan(&lc.Code, &lc.Requester.Platform, &lc.Requester.ID,
			&lc.Target.Platform, &lc.Target.ID, &created, &expires)
		if err == sql.ErrNoRows {
			return nil
		} else if err != nil {
			return err
		}
		lc.CreatedAt, lc.ExpiresAt = fromMillis(created), fromMillis(expires)
		c = &lc
		return nil
	})
	if err != nil {
		return nil, dbError(err, "take link code")
	}
	if c == nil {
		return nil, bot.Errorf(bot.ENOTFOUND, "no such link code")
	}
	return c, nil
}
