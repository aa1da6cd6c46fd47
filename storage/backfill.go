package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/badgebot/badgebot/bot"
)

var _ bot.BackfillStore = (*DB)(nil)

// storeEventsBatch is how many events StoreEvents writes in one
// transaction, so that a large backfill does not hold the writer long.
const storeEventsBatch = 500

// StoreEvents stores events found by a backfill, which belong to no
// delivery. Events whose kind and key are stored already (from a webhook
// or an earlier backfill) are skipped. It returns the events that were
// new, with ID and PersonID set; each actor gets a person as in
// EnsurePerson.
func (db *DB) StoreEvents(ctx context.Context, events []bot.Event) ([]bot.Event, error) {
	for _, e := range events {
		if e.Kind == "" || e.Key == "" || e.Source == "" {
			return nil, bot.Errorf(bot.EINVALID, "store events: event %q of kind %q needs a source, a kind and a key", e.Key, e.Kind)
		}
		if err := e.Actor.Validate(); err != nil {
			return nil, bot.Errorf(bot.EINVALID, "store events: event %q: %s", e.Key, bot.ErrorMessage(err))
		}
	}
	var stored []bot.Event
	for batch := range slices.Chunk(events, storeEventsBatch) {
		saved := slices.Clone(batch)
		err := db.write(ctx, func(ctx context.Context, tx queryer) error {
			for i := range saved {
				saved[i].ID, saved[i].PersonID = 0, 0
			}
			now := db.now()
			return insertEvents(ctx, tx, "", 0, saved, now, now)
		})
		if err != nil {
			return stored, dbError(err, "store backfilled events")
		}
		for _, e := range saved {
			if e.ID != 0 {
				stored = append(stored, e)
			}
		}
	}
	return stored, nil
}

// BackfillSource returns the state of one backfill source; a source never
// run has the zero state with its name.
func (db *DB) BackfillSource(ctx context.Context, name string) (bot.BackfillSource, error) {
	s := bot.BackfillSource{Name: name}
	var cursor, blocked, last sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT cursor, blocked_until, last_run, last_error
		FROM backfill_sources WHERE source = ?`, name).Scan(&cursor, &blocked, &last, &s.LastError)
	if err == sql.ErrNoRows {
		return s, nil
	} else if err != nil {
		return s, dbError(err, "read backfill source "+name)
	}
	s.Cursor, s.BlockedUntil, s.LastRun = fromNullMillis(cursor), fromNullMillis(blocked), fromNullMillis(last)
	return s, nil
}

// SaveBackfillSource stores the state of one backfill source.
func (db *DB) SaveBackfillSource(ctx context.Context, s bot.BackfillSource) error {
	if s.Name == "" {
		return bot.Errorf(bot.EINVALID, "backfill source without a name")
	}
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO backfill_sources (source, cursor, blocked_until, last_run, last_error)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, blocked_until = excluded.blocked_until,
				last_run = excluded.last_run, last_error = excluded.last_error`,
			s.Name, nullMillis(s.Cursor), nullMillis(s.BlockedUntil), nullMillis(s.LastRun), s.LastError)
		return err
	})
	return dbError(err, fmt.Sprintf("save backfill source %s", s.Name))
}
