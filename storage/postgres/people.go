package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/storage"
	"github.com/jackc/pgx/v5"
)

// personSelect reads a person with all identities in one statement.
const personSelect = `SELECT p.id, p.handle, p.name, p.announce, p.created_at,
		i.platform, i.id, i.name, i.verified, i.created_at
	FROM people p JOIN identities i ON i.person_id = p.id
	WHERE p.id = `

const personOrder = ` ORDER BY i.created_at, i.platform, i.id`

// EnsurePerson returns the person owning the identity r, creating the
// person and the identity when nobody has it yet. Concurrent calls for one
// identity, from any replica, end with one person (ensurePerson).
func (db *DB) EnsurePerson(ctx context.Context, r bot.Recipient, name string) (*bot.Person, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	p, err := db.PersonByRecipient(ctx, r)
	if err == nil {
		if id, _ := identityOf(p, r); name == "" || id.Name == name {
			return p, nil
		}
	} else if bot.ErrorCode(err) != bot.ENOTFOUND {
		return nil, err
	}
	err = db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		id, err := ensurePerson(ctx, tx, r, name, db.now())
		if err != nil {
			return err
		}
		p, err = loadPerson(ctx, tx, personSelect+"$1"+personOrder, id)
		return err
	})
	if err != nil {
		return nil, dbError(err, "person "+r.String())
	}
	return p, nil
}

// PersonByRecipient returns the person owning the identity, or ENOTFOUND.
func (db *DB) PersonByRecipient(ctx context.Context, r bot.Recipient) (*bot.Person, error) {
	const q = personSelect + `(SELECT person_id FROM identities WHERE platform = $1 AND id = $2)` + personOrder
	p, err := loadPerson(ctx, db.pool, q, r.Platform, r.ID)
	if err != nil {
		return nil, dbError(err, "person "+r.String())
	}
	return p, nil
}

// PersonByHandle returns the person with the handle (compared ignoring
// case), or ENOTFOUND.
func (db *DB) PersonByHandle(ctx context.Context, handle string) (*bot.Person, error) {
	const q = personSelect + `(SELECT id FROM people WHERE lower(handle) = lower($1))` + personOrder
	p, err := loadPerson(ctx, db.pool, q, handle)
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("person %q", handle))
	}
	return p, nil
}

// PersonByID returns the person with the id, or ENOTFOUND.
func (db *DB) PersonByID(ctx context.Context, id int64) (*bot.Person, error) {
	p, err := loadPerson(ctx, db.pool, personSelect+"$1"+personOrder, id)
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("person #%d", id))
	}
	return p, nil
}

// LinkIdentities joins the people owning a and b into one, as the SQLite
// store does. Both people are locked first, in id order, so that awards
// and nominations made for either meanwhile wait for the merge.
func (db *DB) LinkIdentities(ctx context.Context, a, b bot.Recipient) (*bot.Person, error) {
	for _, r := range []bot.Recipient{a, b} {
		if err := r.Validate(); err != nil {
			return nil, err
		}
	}
	origin := bot.OriginOf(ctx)
	var p *bot.Person
	defer db.changes.Add(1) // after the commit (IssuerSource.Changes)
	err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		now := db.now()
		keep, err := ensurePerson(ctx, tx, a, "", now)
		if err != nil {
			return err
		}
		gone, err := ensurePerson(ctx, tx, b, "", now)
		if err != nil {
			return err
		}
		if err := lockPeople(ctx, tx, keep, gone); err != nil {
			return err
		}
		// The identities may have moved while this waited for the locks.
		if keep, err = personOf(ctx, tx, a); err != nil {
			return err
		}
		if gone, err = personOf(ctx, tx, b); err != nil {
			return err
		}
		if keep != gone {
			if err := mergePeople(ctx, tx, keep, gone); err != nil {
				return err
			}
		}
		for _, r := range []bot.Recipient{a, b} {
			if _, err := tx.Exec(ctx, `UPDATE identities SET verified = true WHERE platform = $1 AND id = $2`, r.Platform, r.ID); err != nil {
				return err
			}
		}
		if p, err = loadPerson(ctx, tx, personSelect+"$1"+personOrder, keep); err != nil {
			return err
		}
		return insertAudit(ctx, tx, bot.AuditEntry{At: now, Action: bot.AuditLink, By: origin.By, Via: origin.Via,
			Subject: a.String() + " " + b.String(), Detail: p.Handle})
	})
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("link %s and %s", a, b))
	}
	return p, nil
}

// lockPeople locks the rows of people, smallest id first, until the
// transaction ends. Writes whose checks count a person's rows (awards
// held, nominations made) take the same locks.
func lockPeople(ctx context.Context, tx pgx.Tx, ids ...int64) error {
	_, err := tx.Exec(ctx, `SELECT 1 FROM people WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`, ids)
	return err
}

// personOf returns the id of the person owning r.
func personOf(ctx context.Context, q querier, r bot.Recipient) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT person_id FROM identities WHERE platform = $1 AND id = $2`, r.Platform, r.ID).Scan(&id)
	return id, err
}

// mergePeople moves everything of person gone to person keep and deletes
// gone.
func mergePeople(ctx context.Context, tx pgx.Tx, keep, gone int64) error {
	stmts := []string{
		`UPDATE awards SET exclusive = false
			WHERE person_id = $2 AND exclusive AND NOT revoked AND badge IN
			(SELECT badge FROM awards WHERE person_id = $1 AND exclusive AND NOT revoked)`,
		`UPDATE awards SET person_id = $1 WHERE person_id = $2`,
		`UPDATE events SET person_id = $1 WHERE person_id = $2`,
		`UPDATE identities SET person_id = $1 WHERE person_id = $2`,
		`UPDATE handle_redirects SET person_id = $1 WHERE person_id = $2`,
		// gone's page moves to keep's: its handle redirects there.
		`INSERT INTO handle_redirects (old_handle, person_id) SELECT handle, $1 FROM people WHERE id = $2 AND $1 <> $2
			ON CONFLICT ((lower(old_handle))) DO UPDATE SET person_id = excluded.person_id`,
		`DELETE FROM people WHERE id = $2 AND $1 <> $2`,
	}
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q, keep, gone); err != nil {
			return err
		}
	}
	return nil
}

// ensurePerson returns the id of the person owning r, creating the person
// and the identity when missing. Another transaction creating the same
// identity at the same time is waited for (ON CONFLICT): the person made
// here is then dropped and the other's is returned.
func ensurePerson(ctx context.Context, tx pgx.Tx, r bot.Recipient, name string, now time.Time) (int64, error) {
	var id int64
	var stored string
	err := tx.QueryRow(ctx, `SELECT person_id, name FROM identities WHERE platform = $1 AND id = $2`, r.Platform, r.ID).Scan(&id, &stored)
	switch {
	case err == nil:
		if err := renameIdentity(ctx, tx, r, stored, name); err != nil {
			return 0, err
		}
		return id, nil
	case err != pgx.ErrNoRows:
		return 0, err
	}
	return createPerson(ctx, tx, r, name, now)
}

// renameIdentity stores name as the identity's display name when it is
// given and differs from the stored one.
func renameIdentity(ctx context.Context, tx pgx.Tx, r bot.Recipient, stored, name string) error {
	if name == "" || name == stored {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE identities SET name = $1 WHERE platform = $2 AND id = $3`, name, r.Platform, r.ID)
	return err
}

// createPerson is ensurePerson for an identity nobody had when it was read
// in this transaction.
func createPerson(ctx context.Context, tx pgx.Tx, r bot.Recipient, name string, now time.Time) (int64, error) {
	base := storage.HandleBase(r, name)
	// The new person's id comes from the sequence as the row is inserted
	// (a try refused for its handle may skip a number). An e-mail
	// identity gives nothing a handle may show: the person is numbered by
	// their id, taken first and kept for every try.
	var next *int64
	if _, isEmail := r.Email(); isEmail {
		next = new(int64)
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('people', 'id'))`).Scan(next); err != nil {
			return 0, err
		}
		base = fmt.Sprintf("person-%d", *next)
	}
	var id int64
	ms := millis(now)
	var handle string
	for n := 1; ; n++ {
		handle = base
		if n > 1 {
			handle = fmt.Sprintf("%s-%d", base, n)
		}
		display := name
		if display == "" || bot.FindEmail(display) != "" {
			display = handle
		}
		// A handle someone had redirects to them: it is never given again.
		err := tx.QueryRow(ctx, `INSERT INTO people (id, handle, name, created_at)
			SELECT coalesce($4, nextval(pg_get_serial_sequence('people', 'id'))), $1, $2, $3
			WHERE NOT EXISTS (SELECT 1 FROM handle_redirects WHERE lower(old_handle) = lower($1))
			ON CONFLICT ((lower(handle))) DO NOTHING RETURNING id`, handle, display, ms, next).Scan(&id)
		if err == nil {
			break
		} else if err != pgx.ErrNoRows {
			return 0, err
		}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO identities (platform, id, person_id, name, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (platform, id) DO NOTHING`, r.Platform, r.ID, id, name, ms)
	if err != nil {
		return 0, err
	}
	if tag.RowsAffected() == 1 {
		return id, nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM people WHERE id = $1`, id); err != nil {
		return 0, err
	}
	return ensurePerson(ctx, tx, r, name, now)
}

// loadPerson runs a personSelect query and assembles the person.
func loadPerson(ctx context.Context, q querier, query string, args ...any) (*bot.Person, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var p *bot.Person
	for rows.Next() {
		var cur bot.Person
		var id bot.Identity
		var pCreated, iCreated int64
		if err := rows.Scan(&cur.ID, &cur.Handle, &cur.Name, &cur.Announce, &pCreated,
			&id.Platform, &id.ID, &id.Name, &id.Verified, &iCreated); err != nil {
			return nil, err
		}
		if p == nil {
			cur.CreatedAt = fromMillis(pCreated)
			p = &cur
		}
		id.PersonID = p.ID
		id.CreatedAt = fromMillis(iCreated)
		p.Identities = append(p.Identities, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, pgx.ErrNoRows
	}
	return p, nil
}

// identityOf returns the identity r of p.
func identityOf(p *bot.Person, r bot.Recipient) (bot.Identity, bool) {
	for _, id := range p.Identities {
		if id.Recipient == r {
			return id, true
		}
	}
	return bot.Identity{}, false
}

// HandleRedirect returns the current handle of the person who had the
// handle old before it was replaced, or ENOTFOUND.
func (db *DB) HandleRedirect(ctx context.Context, old string) (string, error) {
	var h string
	err := db.pool.QueryRow(ctx, `SELECT p.handle FROM handle_redirects r JOIN people p ON p.id = r.person_id
		WHERE lower(r.old_handle) = lower($1)`, old).Scan(&h)
	if err != nil {
		return "", dbError(err, fmt.Sprintf("person %q", old))
	}
	return h, nil
}
