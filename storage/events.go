package storage

import (
	"context"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// insertEvents stores events of a delivery (did; 0 for none, as for a
// backfill), resolving each actor to a person. An event without a source,
// received time or occurred time takes source, received and its received
// time. Events whose kind and key are stored already are skipped; stored
// ones get their ID and PersonID set, and their times as stored.
func insertEvents(ctx context.Context, tx queryer, source string, did int64, events []bot.Event, received, now time.Time) error {
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
		// Exec and LastInsertId, not RETURNING, which SQLite runs as a
		// trigger through the driver's query path at several times the
		// cost (see newPerson).
		res, err := tx.ExecContext(ctx, `INSERT INTO events (source, kind, key, actor_platform, actor_id, actor_name,
				person_id, repository, product, component, url, title, private, occurred_at, received_at, delivery)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (kind, key) DO NOTHING`,
			src, e.Kind, e.Key, e.Actor.Platform, e.Actor.ID, e.ActorName,
			pid, e.Repository, e.Product, e.Component, e.URL, e.Title, e.Private,
			millis(occurred), millis(er), delivery)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			continue // the same key twice in this delivery
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		e.ID, e.PersonID = id, pid
		e.OccurredAt, e.ReceivedAt = fromMillis(millis(occurred)), fromMillis(millis(er))
	}
	return nil
}
