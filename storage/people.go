package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// personSelect reads a person with all identities in one statement, so the
// result is one snapshot even outside a transaction. Every person has at
// least one identity: people are created with one, and LinkIdentities moves
// all of them before it deletes a person.
const personSelect = `SELECT p.id, p.handle, p.name, p.announce, p.created_at,
		i.platform, i.id, i.name, i.verified, i.created_at
	FROM people p JOIN identities i ON i.person_id = p.id
	WHERE p.id = `

const personOrder = ` ORDER BY i.created_at, i.platform, i.id`

// EnsurePerson returns the person owning the identity r, creating the
// person and the identity when nobody has it yet. A new person's handle is
// derived from the identity (see handleBase). A non-empty name refreshes
// the identity's display name. Concurrent calls for one identity end with
// one person: writes run one at a time under the database's write lock and
// look again before they create.
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
	err = db.write(ctx, func(ctx context.Context, tx queryer) error {
		id, err := ensurePerson(ctx, tx, r, name, db.now())
		if err != nil {
			return err
		}
		p, err = loadPerson(ctx, tx, personSelect+"?"+personOrder, id)
		return err
	})
	if err != nil {
		return nil, dbError(err, "person "+r.String())
	}
	return p, nil
}

// PersonByRecipient returns the person owning the identity, or ENOTFOUND.
func (db *DB) PersonByRecipient(ctx context.Context, r bot.Recipient) (*bot.Person, error) {
	const q = personSelect + `(SELECT person_id FROM identities WHERE platform = ? AND id = ?)` + personOrder
	p, err := loadPerson(ctx, db.r, q, r.Platform, r.ID)
	if err != nil {
		return nil, dbError(err, "person "+r.String())
	}
	return p, nil
}

// PersonByHandle returns the person with the handle (compared ignoring
// case), or ENOTFOUND.
func (db *DB) PersonByHandle(ctx context.Context, handle string) (*bot.Person, error) {
	const q = personSelect + `(SELECT id FROM people WHERE handle = ?)` + personOrder
	p, err := loadPerson(ctx, db.r, q, handle)
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("person %q", handle))
	}
	return p, nil
}

// HandleRedirect returns the handle of the person who had the handle old
// before it was replaced (migration 008 numbered the people whose handle
// was their address's local part), or ENOTFOUND.
func (db *DB) HandleRedirect(ctx context.Context, old string) (string, error) {
	var h string
	err := db.r.QueryRowContext(ctx, `SELECT p.handle FROM handle_redirects r JOIN people p ON p.id = r.person_id
		WHERE r.old_handle = ?`, old).Scan(&h)
	if err != nil {
		return "", dbError(err, fmt.Sprintf("person %q", old))
	}
	return h, nil
}

// LinkIdentities joins the people owning a and b into one: the person
// owning a survives and the other one's identities, awards and events move
// to it; identities nobody had yet are created. Both identities are marked
// verified, since a link is made on proof or by an admin. The audit trail
// records who linked them and from where: the context's bot.Origin.
//
// When both people held the same non-repeatable badge, both awards are
// kept: the merge loses nothing, and each award stays valid for the
// identity it was issued to. The moved one stops holding the badge's place
// in the awards_once index (it would break it); CreateAward still refuses
// the badge while either award stands unrevoked.
func (db *DB) LinkIdentities(ctx context.Context, a, b bot.Recipient) (*bot.Person, error) {
	for _, r := range []bot.Recipient{a, b} {
		if err := r.Validate(); err != nil {
			return nil, err
		}
	}
	origin := bot.OriginOf(ctx)
	var p *bot.Person
	defer db.changes.Add(1) // after the commit (IssuerSource.Changes)
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		now := db.now()
		keep, err := ensurePerson(ctx, tx, a, "", now)
		if err != nil {
			return err
		}
		gone, err := ensurePerson(ctx, tx, b, "", now)
		if err != nil {
			return err
		}
		if keep != gone {
			if err := mergePeople(ctx, tx, keep, gone); err != nil {
				return err
			}
		}
		for _, r := range []bot.Recipient{a, b} {
			if _, err := tx.ExecContext(ctx, `UPDATE identities SET verified = 1 WHERE platform = ? AND id = ?`, r.Platform, r.ID); err != nil {
				return err
			}
		}
		if p, err = loadPerson(ctx, tx, personSelect+"?"+personOrder, keep); err != nil {
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

// mergePeople moves everything of person gone to person keep and deletes
// gone.
func mergePeople(ctx context.Context, tx queryer, keep, gone int64) error {
	stmts := []string{
		// Awards of gone that would hold a second once-per-person place
		// next to one of keep's stop holding it (see LinkIdentities).
		`UPDATE awards SET exclusive = 0
			WHERE person_id = ?2 AND exclusive AND NOT revoked AND badge IN
			(SELECT badge FROM awards WHERE person_id = ?1 AND exclusive AND NOT revoked)`,
		`UPDATE awards SET person_id = ?1 WHERE person_id = ?2`,
		`UPDATE events SET person_id = ?1 WHERE person_id = ?2`,
		`UPDATE identities SET person_id = ?1 WHERE person_id = ?2`,
		`UPDATE handle_redirects SET person_id = ?1 WHERE person_id = ?2`,
		// gone's page moves to keep's: its handle redirects there.
		`INSERT OR REPLACE INTO handle_redirects (old_handle, person_id) SELECT handle, ?1 FROM people WHERE id = ?2`,
		`DELETE FROM people WHERE id = ?2`,
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, keep, gone); err != nil {
			return err
		}
	}
	return nil
}

// ensurePerson returns the id of the person owning r, creating the person
// and the identity when missing. It must run in a write transaction.
func ensurePerson(ctx context.Context, tx queryer, r bot.Recipient, name string, now time.Time) (int64, error) {
	var id int64
	var stored string
	err := tx.QueryRowContext(ctx, `SELECT person_id, name FROM identities WHERE platform = ? AND id = ?`, r.Platform, r.ID).Scan(&id, &stored)
	switch {
	case err == nil:
		if name != "" && name != stored {
			if _, err := tx.ExecContext(ctx, `UPDATE identities SET name = ? WHERE platform = ? AND id = ?`, name, r.Platform, r.ID); err != nil {
				return 0, err
			}
		}
		return id, nil
	case err != sql.ErrNoRows:
		return 0, err
	}
	return newPerson(ctx, tx, r, name, now)
}

// insertPerson creates a person with the handle (1) unless a person has
// it: then it changes nothing (the unique handle decides). A handle a
// person had, which redirects to their new one, is looked up before it
// (redirectedQuery). The two were one INSERT … SELECT … WHERE NOT EXISTS,
// but SQLite runs an INSERT … SELECT inside a transaction with a statement
// journal, a copy of each page it changes, which cost the one writer more
// than the statement the look now takes.
const insertPerson = `INSERT INTO people (handle, name, created_at) VALUES (?, ?, ?) ON CONFLICT (handle) DO NOTHING`

// redirectedQuery finds whether a handle (1) was a person's and redirects.
const redirectedQuery = `SELECT count(*) FROM handle_redirects WHERE old_handle = ?`

// newPerson creates the person owning r, who has no identity yet, with
// the handle derived from r, or base-2, base-3… whichever no person has and
// no person had. It must run in a write transaction.
func newPerson(ctx context.Context, tx queryer, r bot.Recipient, name string, now time.Time) (int64, error) {
	base := handleBase(r, name)
	if _, isEmail := r.Email(); isEmail {
		// An e-mail identity gives nothing a handle may show: the person
		// is numbered. Writes run one at a time, so the next id is theirs.
		var next int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM people`).Scan(&next); err != nil {
			return 0, err
		}
		base = fmt.Sprintf("person-%d", next)
	}
	ms := millis(now)
	var id int64
	for n := 1; id == 0; n++ {
		handle := base
		if n > 1 {
			handle = fmt.Sprintf("%s-%d", base, n)
		}
		display := name
		if display == "" || bot.FindEmail(display) != "" {
			display = handle
		}
		var redirected int
		if err := tx.QueryRowContext(ctx, redirectedQuery, handle).Scan(&redirected); err != nil {
			return 0, err
		} else if redirected > 0 {
			continue // the handle was someone's
		}
		// Exec and LastInsertId, not RETURNING: with RETURNING (which
		// SQLite runs as a trigger, with foreign-key checks of the four
		// tables that reference people) this insert, through the driver's
		// query path, cost about ten times what it does now and was the
		// single writer's largest item (storage BenchmarkProcessDelivery).
		res, err := tx.ExecContext(ctx, insertPerson, handle, display, ms)
		if err != nil {
			return 0, err
		}
		if inserted, err := res.RowsAffected(); err != nil {
			return 0, err
		} else if inserted == 0 {
			continue // the handle is someone's
		}
		if id, err = res.LastInsertId(); err != nil {
			return 0, err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO identities (platform, id, person_id, name, created_at) VALUES (?, ?, ?, ?, ?)`,
		r.Platform, r.ID, id, name, ms)
	return id, err
}

// handleBase derives a new person's handle from an identity (see
// bot.HandleBase: chat replies name people without a record the same way).
func handleBase(r bot.Recipient, name string) string { return bot.HandleBase(r, name) }

// loadPerson runs a personSelect query and assembles the person.
func loadPerson(ctx context.Context, q queryer, query string, args ...any) (*bot.Person, error) {
	rows, err := q.QueryContext(ctx, query, args...)
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
		return nil, sql.ErrNoRows
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
