package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/storage"
	"github.com/jackc/pgx/v5"
)

var (
	_ bot.IngestStore   = (*DB)(nil)
	_ bot.LinkStore     = (*DB)(nil)
	_ bot.BackfillStore = (*DB)(nil)
)

// SaveDelivery stores a raw delivery durably for later processing. It
// reports a duplicate, changing nothing, when the same source and id were
// stored before, by this replica or another (the unique key decides).
// Concurrent calls share one INSERT and one commit (batch.go).
func (db *DB) SaveDelivery(ctx context.Context, d bot.WebhookDelivery) (dup bool, err error) {
	if d.Source == "" || d.ID == "" {
		return false, bot.Errorf(bot.EINVALID, "a delivery needs a source and an id")
	}
	received := d.ReceivedAt
	if received.IsZero() {
		received = db.now()
	}
	body, encoding, release := storage.EncodeBody(d.Body)
	defer release() // save returns once the row is written or never will be
	dup, err = db.save(ctx, &saveReq{source: d.Source, id: d.ID, typ: d.Type, body: body, extract: d.Extract,
		encoding: encoding, received: millis(received), done: make(chan saveResult, 1)})
	if err != nil {
		return false, dbError(err, fmt.Sprintf("save %s delivery %q", d.Source, d.ID))
	}
	return dup, nil
}

// pendingBytes caps the bodies one PendingDeliveriesAfter returns.
const pendingBytes = 16 << 20

// PendingDeliveriesAfter returns stored deliveries not processed yet whose
// Seq is greater than after, oldest first: at most limit, and fewer once
// their bodies add up to pendingBytes, but at least one when there is one
// that no other live replica has claimed. It claims the deliveries it
// reads for this replica (claimed_by), so that the others skip them; rows
// another replica is reading at the same moment are skipped (FOR UPDATE
// SKIP LOCKED). This replica may read its own claims again, and any
// replica may read those of a replica that stopped beating
// (replicaGone), so a delivery is never stranded by a replica's death.
// CompleteDelivery still stores a delivery's events once, whoever
// processes it.
func (db *DB) PendingDeliveriesAfter(ctx context.Context, after int64, limit int) ([]bot.WebhookDelivery, error) {
	if limit <= 0 {
		limit = 100
	}
	// Claim ids first, then read the bodies in order as before, so that
	// no more than pendingBytes of them are held (RETURNING keeps no
	// order). Claims past the cap stay this replica's: the next read,
	// after the last returned, takes them.
	rows, err := db.pool.Query(ctx, `UPDATE deliveries SET claimed_by = $3
		WHERE id IN (SELECT id FROM deliveries d WHERE processed_at IS NULL AND id > $1
				AND (claimed_by IN ('', $3) OR NOT EXISTS (SELECT 1 FROM replicas r
					WHERE r.id = d.claimed_by AND r.seen_at > clock_timestamp() - $4::interval))
			ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING id`, after, limit, db.replica, replicaGone)
	if err != nil {
		return nil, dbError(err, "claim pending deliveries")
	}
	ids, err := collect(rows, pgx.RowTo[int64])
	if err != nil || len(ids) == 0 {
		return nil, dbError(err, "claim pending deliveries")
	}
	// A delivery stored with an extract comes without its body, which is
	// then not read (CASE; TOAST keeps it out of line).
	rows, err = db.pool.Query(ctx, `SELECT id, source, delivery_id, type, received_at, extract,
			CASE WHEN extract IS NULL THEN body END, body_encoding
		FROM deliveries WHERE id = ANY ($1) AND processed_at IS NULL ORDER BY id`, ids)
	if err != nil {
		return nil, dbError(err, "list pending deliveries")
	}
	defer rows.Close()
	var ds []bot.WebhookDelivery
	size := 0
	for size < pendingBytes && rows.Next() {
		var d bot.WebhookDelivery
		var received int64
		var stored []byte
		var encoding string
		if err := rows.Scan(&d.Seq, &d.Source, &d.ID, &d.Type, &received, &d.Extract, &stored, &encoding); err != nil {
			return nil, dbError(err, "list pending deliveries")
		}
		d.ReceivedAt = fromMillis(received)
		if d.Extract == nil {
			if d.Body, d.Release, err = storage.DecodeBodyPooled(stored, encoding); err != nil {
				d.Unreadable = err.Error()
			}
		}
		ds = append(ds, d)
		size += len(d.Body) + len(d.Extract)
	}
	rows.Close()
	return ds, dbError(rows.Err(), "list pending deliveries")
}

// DeliveryBody reads back the body of the stored delivery seq.
func (db *DB) DeliveryBody(ctx context.Context, seq int64) ([]byte, error) {
	var stored []byte
	var encoding string
	err := db.pool.QueryRow(ctx, `SELECT body, body_encoding FROM deliveries WHERE id = $1`, seq).Scan(&stored, &encoding)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, bot.Errorf(bot.ENOTFOUND, "no stored delivery %d", seq)
	}
	if err != nil {
		return nil, dbError(err, "read a delivery's body")
	}
	return storage.DecodeBody(stored, encoding)
}

// CompleteDelivery stores the events normalised from a stored delivery and
// marks it processed, in one transaction, and returns the events that
// were new. The delivery's row lock makes a second replica completing the
// same delivery wait, then store nothing.
func (db *DB) CompleteDelivery(ctx context.Context, d bot.WebhookDelivery, events []bot.Event, problem string) ([]bot.Event, error) {
	for _, e := range events {
		if e.Kind == "" || e.Key == "" || e.Actor.Platform == "" || e.Actor.ID == "" {
			return nil, bot.Errorf(bot.EINVALID, "delivery %s: event %q of kind %q needs a key and an actor", d.ID, e.Key, e.Kind)
		}
	}
	var saved []bot.Event
	err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		saved = append(saved[:0], events...)
		// The delivery marked processed and what its events need to
		// know first, in one round trip.
		b := &pgx.Batch{}
		b.Queue(`UPDATE deliveries SET processed_at = $1, problem = $2
			WHERE id = $3 AND processed_at IS NULL`, millis(db.now()), problem, d.Seq)
		queueEventLookups(b, saved)
		br := tx.SendBatch(ctx, b)
		tag, err := br.Exec()
		var looks []eventLookup
		if err == nil {
			looks, err = readEventLookups(br, len(saved))
		}
		if err := errors.Join(err, br.Close()); err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			saved = saved[:0] // processed before
			return nil
		}
		return insertEvents(ctx, tx, d.Source, d.Seq, saved, looks, d.ReceivedAt, db.now())
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

// insertEvents stores events, resolving each actor to a person, as the
// SQLite store does. Events whose kind and key are stored already, by any
// replica, are skipped (ON CONFLICT DO NOTHING); stored ones get their ID
// and PersonID set. looks, when not nil, is what queueEventLookups read
// of each event in this transaction; otherwise it is read here.
func insertEvents(ctx context.Context, tx pgx.Tx, source string, did int64, events []bot.Event, looks []eventLookup, received, now time.Time) error {
	if looks == nil && len(events) > 0 {
		b := &pgx.Batch{}
		queueEventLookups(b, events)
		br := tx.SendBatch(ctx, b)
		var err error
		looks, err = readEventLookups(br, len(events))
		if err := errors.Join(err, br.Close()); err != nil {
			return err
		}
	}
	var delivery *int64
	if did != 0 {
		delivery = &did
	}
	var resolved map[bot.Recipient]bool // actors resolved by an earlier event
	for i := range events {
		e := &events[i]
		e.ID, e.PersonID = 0, 0
		look := looks[i]
		if look.seen {
			continue
		}
		// An earlier event by the same actor may have made or renamed
		// the identity since it was read: ensurePerson reads it again.
		pid := look.pid
		var err error
		switch {
		case resolved[e.Actor]:
			pid, err = ensurePerson(ctx, tx, e.Actor, e.ActorName, now)
		case pid == 0:
			pid, err = createPerson(ctx, tx, e.Actor, e.ActorName, now)
		default:
			err = renameIdentity(ctx, tx, e.Actor, look.name, e.ActorName)
		}
		if err != nil {
			return err
		}
		if resolved == nil {
			resolved = map[bot.Recipient]bool{}
		}
		resolved[e.Actor] = true
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
		err = tx.QueryRow(ctx, `INSERT INTO events (source, kind, key, actor_platform, actor_id, actor_name,
				person_id, repository, product, component, url, title, private, occurred_at, received_at, delivery)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			ON CONFLICT (kind, key) DO NOTHING RETURNING id`,
			src, e.Kind, e.Key, e.Actor.Platform, e.Actor.ID, e.ActorName,
			pid, e.Repository, e.Product, e.Component, e.URL, e.Title, e.Private,
			millis(occurred), millis(er), delivery).Scan(&id)
		if err == pgx.ErrNoRows {
			continue
		} else if err != nil {
			return err
		}
		e.ID, e.PersonID = id, pid
		e.OccurredAt, e.ReceivedAt = fromMillis(millis(occurred)), fromMillis(millis(er))
	}
	return nil
}

// eventLookup is what storing an event needs to know first.
type eventLookup struct {
	seen bool   // an event of its kind and key is stored already
	pid  int64  // its actor's person; 0: nobody has the identity yet
	name string // the identity's stored display name
}

// queueEventLookups queues, per event, the query readEventLookups reads.
func queueEventLookups(b *pgx.Batch, events []bot.Event) {
	for _, e := range events {
		b.Queue(`SELECT EXISTS (SELECT 1 FROM events WHERE kind = $1 AND key = $2),
				coalesce(i.person_id, 0), coalesce(i.name, '')
			FROM (VALUES (1)) one (x) LEFT JOIN identities i ON i.platform = $3 AND i.id = $4`,
			e.Kind, e.Key, e.Actor.Platform, e.Actor.ID)
	}
}

func readEventLookups(br pgx.BatchResults, n int) ([]eventLookup, error) {
	looks := make([]eventLookup, n)
	for i := range looks {
		l := &looks[i]
		if err := br.QueryRow().Scan(&l.seen, &l.pid, &l.name); err != nil {
			return nil, err
		}
	}
	return looks, nil
}

const eventColumns = `id, source, kind, key, actor_platform, actor_id, actor_name, person_id,
	repository, product, component, url, title, private, occurred_at, received_at`

// PersonEvents returns every event of the person of the given kinds,
// oldest first.
func (db *DB) PersonEvents(ctx context.Context, personID int64, kinds []string) ([]bot.Event, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT `+eventColumns+` FROM events
		WHERE person_id = $1 AND kind = ANY($2) ORDER BY occurred_at, id`, personID, kinds)
	if err != nil {
		return nil, dbError(err, "list events")
	}
	es, err := collect(rows, func(r pgx.CollectableRow) (bot.Event, error) { return scanEvent(r) })
	return es, dbError(err, "list events")
}

func scanEvent(s pgx.Row) (bot.Event, error) {
	var e bot.Event
	var occurred, received int64
	err := s.Scan(&e.ID, &e.Source, &e.Kind, &e.Key, &e.Actor.Platform, &e.Actor.ID, &e.ActorName, &e.PersonID,
		&e.Repository, &e.Product, &e.Component, &e.URL, &e.Title, &e.Private, &occurred, &received)
	e.OccurredAt, e.ReceivedAt = fromMillis(occurred), fromMillis(received)
	return e, err
}

// SaveLinkCode stores a one-time link code, dropping expired ones.
func (db *DB) SaveLinkCode(ctx context.Context, c bot.LinkCode) error {
	err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM link_codes WHERE expires_at < $1`, millis(c.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO link_codes (code, requester_platform, requester_id,
			target_platform, target_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.Code, c.Requester.Platform, c.Requester.ID, c.Target.Platform, c.Target.ID,
			millis(c.CreatedAt), millis(c.ExpiresAt))
		return err
	})
	return dbError(err, "save link code")
}

// TakeLinkCode returns the unexpired code for target and deletes it, so
// that it works once, on whichever replica; ENOTFOUND when there is none.
func (db *DB) TakeLinkCode(ctx context.Context, code string, target bot.Recipient, now time.Time) (*bot.LinkCode, error) {
	var lc bot.LinkCode
	var created, expires int64
	err := db.pool.QueryRow(ctx, `DELETE FROM link_codes
		WHERE code = $1 AND target_platform = $2 AND target_id = $3 AND expires_at >= $4
		RETURNING code, requester_platform, requester_id, target_platform, target_id, created_at, expires_at`,
		code, target.Platform, target.ID, millis(now)).Scan(&lc.Code, &lc.Requester.Platform, &lc.Requester.ID,
		&lc.Target.Platform, &lc.Target.ID, &created, &expires)
	if err == pgx.ErrNoRows {
		return nil, bot.Errorf(bot.ENOTFOUND, "no such link code")
	} else if err != nil {
		return nil, dbError(err, "take link code")
	}
	lc.CreatedAt, lc.ExpiresAt = fromMillis(created), fromMillis(expires)
	return &lc, nil
}

// storeEventsBatch is how many events StoreEvents writes in one
// transaction.
const storeEventsBatch = 500

// StoreEvents stores events found by a backfill, which belong to no
// delivery, skipping those stored already, and returns the new ones.
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
	for start := 0; start < len(events); start += storeEventsBatch {
		batch := events[start:min(start+storeEventsBatch, len(events))]
		var saved []bot.Event
		err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
			saved = append(saved[:0], batch...)
			now := db.now()
			return insertEvents(ctx, tx, "", 0, saved, nil, now, now)
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
	var cursor, blocked, last *int64
	err := db.pool.QueryRow(ctx, `SELECT cursor, blocked_until, last_run, last_error
		FROM backfill_sources WHERE source = $1`, name).Scan(&cursor, &blocked, &last, &s.LastError)
	if err == pgx.ErrNoRows {
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
	_, err := db.pool.Exec(ctx, `INSERT INTO backfill_sources (source, cursor, blocked_until, last_run, last_error)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, blocked_until = excluded.blocked_until,
			last_run = excluded.last_run, last_error = excluded.last_error`,
		s.Name, nullMillis(s.Cursor), nullMillis(s.BlockedUntil), nullMillis(s.LastRun), s.LastError)
	return dbError(err, fmt.Sprintf("save backfill source %s", s.Name))
}
