package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// RecordDelivery stores a raw delivery together with the events already
// made of it, in one transaction, and marks it processed — the one-step
// form of SaveDelivery followed by CompleteDelivery. It reports false,
// changing nothing, when a delivery with the same source and id was
// recorded before. Each event's actor is resolved to a person,
// created as EnsurePerson would when missing; events whose kind and key are
// stored already are skipped. When it returns true, the stored events have
// their ID and PersonID set in events; skipped ones keep ID 0.
//
// Concurrent calls are committed together (see batch.go): the call
// returns once its transaction is durable.
func (db *DB) RecordDelivery(ctx context.Context, d bot.Delivery, events []bot.Event) (bool, error) {
	what := fmt.Sprintf("record %s delivery %q", d.Source, d.ID)
	if d.Source == "" || d.ID == "" {
		return false, bot.Errorf(bot.EINVALID, "%s: a delivery needs a source and an id", what)
	}
	for _, e := range events {
		if e.Kind == "" || e.Key == "" || e.Actor.Platform == "" || e.Actor.ID == "" {
			return false, bot.Errorf(bot.EINVALID, "%s: event %q of kind %q needs a key and an actor", what, e.Key, e.Kind)
		}
	}
	var stored bool
	saved := slices.Clone(events)
	// Compressed here, not in the one writer (body.go).
	body, encoding, release := encodeBody(d.Body)
	defer release()
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		stored, err = recordDelivery(ctx, tx, d, body, encoding, saved, db.now())
		return err
	})
	if err != nil {
		return false, dbError(err, what)
	}
	copy(events, saved)
	return stored, nil
}

// recordDelivery stores d, its body as stored (body.go), and its events.
func recordDelivery(ctx context.Context, tx *sql.Tx, d bot.Delivery, body []byte, encoding string, events []bot.Event, now time.Time) (bool, error) {
	received := d.ReceivedAt
	if received.IsZero() {
		received = now
	}
	var did int64
	err := tx.QueryRowContext(ctx, `INSERT INTO deliveries (source, delivery_id, type, body, body_encoding, received_at, processed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, delivery_id) DO NOTHING RETURNING id`,
		d.Source, d.ID, d.Type, body, encoding, millis(received), millis(now)).Scan(&did)
	if err == sql.ErrNoRows {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if err := insertEvents(ctx, tx, d.Source, did, events, received, now); err != nil {
		return false, err
	}
	return true, nil
}

// insertEvents stores events of a delivery (did; 0 for none, as for a
// backfill), resolving each actor to a person. An event without a source,
// received time or occurred time takes source, received and its received
// time. Events whose kind and key are stored already are skipped; stored
// ones get their ID and PersonID set, and their times as stored.
func insertEvents(ctx context.Context, tx *sql.Tx, source string, did int64, events []bot.Event, received, now time.Time) error {
	var delivery any
	if did != 0 {
		delivery = did
	}
	for i := range events {
		e := &events[i]
		var seen int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE kind = ? AND key = ?`, e.Kind, e.Key).Scan(&seen); err != nil {
			return err
		}
		if seen > 0 {
			continue
		}
		pid, err := ensurePerson(ctx, tx, e.Actor, e.ActorName, now)
		if err != nil {
			return err
		}
		er := e.ReceivedAt
		if er.IsZero() {
			er = received
		}
		occurred := e.OccurredAt
		if occurred.IsZero() {
			occurred = er
		}
		src := e.Source
		if src == "" {
			src = source
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO events (source, kind, key, actor_platform, actor_id, actor_name,
				person_id, repository, product, component, url, title, private, occurred_at, received_at, delivery)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (kind, key) DO NOTHING RETURNING id`,
			src, e.Kind, e.Key, e.Actor.Platform, e.Actor.ID, e.ActorName,
			pid, e.Repository, e.Product, e.Component, e.URL, e.Title, e.Private,
			millis(occurred), millis(er), delivery).Scan(&id)
		if err == sql.ErrNoRows {
			continue // the same key twice in this delivery
		} else if err != nil {
			return err
		}
		e.ID, e.PersonID = id, pid
		e.OccurredAt, e.ReceivedAt = fromMillis(millis(occurred)), fromMillis(millis(er))
	}
	return nil
}
