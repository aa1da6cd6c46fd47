package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
	"github.com/badgebot/badgebot/storage"
	"github.com/jackc/pgx/v5"
)

// awardCols are an award's columns, in scanAward's order; awardListCols
// leave out its signed documents (bot.Store.Awards).
const awardCols, awardListCols = storage.AwardColumns, storage.AwardListColumns

// ReserveStatusIndexes reserves n consecutive fresh indexes in the
// revocation status list and returns the first. The counter's row lock
// orders replicas: no index is handed out twice.
func (db *DB) ReserveStatusIndexes(ctx context.Context, n int) (int, error) {
	if n < 1 {
		return 0, bot.Errorf(bot.EINVALID, "reserve %d status indexes", n)
	}
	var first int
	err := db.pool.QueryRow(ctx,
		`UPDATE counters SET value = value + $1 WHERE name = 'status_index' RETURNING value - $1`, n).Scan(&first)
	if err != nil {
		return 0, dbError(err, "reserve status indexes")
	}
	return first, nil
}

// NextStatusIndex reserves one fresh index.
func (db *DB) NextStatusIndex(ctx context.Context) (int, error) {
	return db.ReserveStatusIndexes(ctx, 1)
}

// CreateAward stores the award and its announcements in one transaction,
// as the SQLite store does. For a badge that is not repeatable the
// awards_once index keeps a second award out whichever replica writes it;
// the person's row is locked so that a merge of people waits.
func (db *DB) CreateAward(ctx context.Context, a *bot.Award, repeatable bool, out []bot.Announcement) error {
	ins, err := db.prepareAward(a, repeatable, out)
	if err != nil {
		return err
	}
	err = db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		return ins.insert(ctx, tx, db.now())
	})
	if err != nil {
		return dbError(err, ins.what)
	}
	ins.done(out)
	return nil
}

// awardInsert is an award checked and ready to be stored in a
// transaction: by CreateAward, or by ApproveNomination with its decision.
type awardInsert struct {
	db         *DB
	a          *bot.Award
	repeatable bool
	what       string
	evidence   string
	issued     time.Time
	out, saved []bot.Announcement
	pid        int64
}

// prepareAward checks a and encodes what CreateAward stores.
func (db *DB) prepareAward(a *bot.Award, repeatable bool, out []bot.Announcement) (*awardInsert, error) {
	what := fmt.Sprintf("award %s to %s", a.Badge, a.Recipient)
	switch {
	case a.ID == "":
		return nil, bot.Errorf(bot.EINVALID, "%s: the award has no id", what)
	case a.IdentityType != issuer.RecipientEmail && a.IdentityType != issuer.RecipientURL:
		return nil, bot.Errorf(bot.EINVALID, "%s: identity type %q unknown", what, a.IdentityType)
	case a.Identity == "" || a.Salt == "":
		return nil, bot.Errorf(bot.EINVALID, "%s: the hashed identity needs an identity and a salt", what)
	case a.StatusIndex < 0:
		return nil, bot.Errorf(bot.EINVALID, "%s: status index %d is negative", what, a.StatusIndex)
	}
	if err := a.Recipient.Validate(); err != nil {
		return nil, err
	}
	evidence, err := storage.EncodeEvidence(a.Evidence)
	if err != nil {
		return nil, fmt.Errorf("storage: %s: evidence: %w", what, err)
	}
	return &awardInsert{db: db, a: a, repeatable: repeatable, what: what, evidence: evidence,
		issued: fromMillis(millis(db.orNow(a.IssuedAt))), out: out, saved: slices.Clone(out)}, nil
}

// insert stores the award in tx; a retried transaction may call it again.
func (ins *awardInsert) insert(ctx context.Context, tx pgx.Tx, now time.Time) error {
	a := ins.a
	copy(ins.saved, ins.out)
	pid, err := ins.recipient(ctx, tx, now)
	if err != nil {
		return err
	}
	ins.pid = pid
	// The award and what goes with it, in one round trip: its rows, and
	// the pending nominations it answers (locked), which only rarely
	// exist. A statement that fails ends the transaction; those queued
	// after it do not run.
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO awards (`+awardCols+`, exclusive)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, false, NULL, '', '', $18, '', $19, $20)`,
		a.ID, a.Badge, pid, a.Recipient.Platform, a.Recipient.ID, millis(ins.issued),
		ins.evidence, a.Narrative, a.Source, a.SourceRef, a.AwardedBy, a.StatusIndex,
		a.IdentityType, a.Identity, a.Salt, nilIfEmpty(a.Credential), a.JWT, a.Via, a.Program, !ins.repeatable)
	// The key that signed it, so that a start missing it is refused;
	// once this process saw it listed, no more (rows are never removed).
	if ins.db.keysListed.Needs(a.SigningKey) {
		b.Queue(`INSERT INTO signing_keys (id, first_award) VALUES ($1, $2)
			ON CONFLICT (id) DO NOTHING`, a.SigningKey, a.ID)
	}
	b.Queue(auditInsert, auditArgs(awardAudit(a, now))...)
	answers := a.Source != bot.SourceNomination // its own nomination is decided by the caller
	if answers {
		b.Queue(answeredQuery, a.Badge, pid)
	}
	br := tx.SendBatch(ctx, b)
	for range b.Len() - 1 {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
	}
	var answered []int64
	if answers {
		var rows pgx.Rows
		if rows, err = br.Query(); err == nil {
			answered, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
	} else {
		_, err = br.Exec()
	}
	if err := errors.Join(err, br.Close()); err != nil {
		return err
	}
	if err := closeAnswered(ctx, tx, a, answered, now); err != nil {
		return err
	}
	return insertAnnouncements(ctx, tx, ins.saved, a.ID, now)
}

// recipientCheck reads, for the identity $1:$2, its person, whether the
// badge $3 exists and, when $4, the award of it the person holds.
const recipientCheck = `SELECT i.person_id, EXISTS (SELECT 1 FROM badges WHERE slug = $3),
		coalesce((SELECT id FROM awards WHERE badge = $3 AND person_id = i.person_id AND NOT revoked AND $4 LIMIT 1), '')
	FROM identities i WHERE i.platform = $1 AND i.id = $2`

// recipient locks the award's recipient (their person row, FOR SHARE, so
// that no link merges them away before the award is stored), makes sure
// the badge exists and, for one that is not repeatable, that they do not
// hold it. It returns their person id, creating the person when the
// identity is new.
func (ins *awardInsert) recipient(ctx context.Context, tx pgx.Tx, now time.Time) (int64, error) {
	a := ins.a
	pid, badge, held, past, err := ins.lockRecipient(ctx, tx)
	if err == pgx.ErrNoRows {
		// A new identity: made here, then locked and read the same way.
		if _, err := ensurePerson(ctx, tx, a.Recipient, "", now); err != nil {
			return 0, err
		}
		pid, badge, held, past, err = ins.lockRecipient(ctx, tx)
	}
	if err != nil {
		return 0, err
	}
	if !badge {
		return 0, bot.Errorf(bot.ENOTFOUND, "badge %q: no such badge", a.Badge)
	}
	if held != "" {
		return 0, bot.Errorf(bot.ECONFLICT, "%s already holds the badge %s (award %s)", a.Recipient, a.Badge, held)
	}
	if past.Reuses(a.Evidence) {
		return 0, bot.Errorf(bot.ECONFLICT, "%s: an earlier award of %s used this evidence", a.Recipient, a.Badge)
	}
	return pid, nil
}

// identityPerson is the person of the identity $1:$2.
const identityPerson = `(SELECT person_id FROM identities WHERE platform = $1 AND id = $2)`

// awardLock locks the badge $3 for the person of the identity $1:$2 until
// the transaction ends. It takes the two-key form of advisory lock, whose
// keys never meet the one-key form's (Lead's, the migrations'); the
// schema is in the key, as theirs have it. Two pairs whose hashes meet
// only wait for each other.
const awardLock = `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.award.' || $3), hashint8(` + identityPerson + `))`

// lockRecipient locks the person of the award's recipient and then reads
// it with recipientCheck, in one round trip. pgx.ErrNoRows: nobody has
// the identity yet.
//
// For an award by the rules it also reads the person's past awards of
// the badge, whose evidence the award may not use again (the SQLite
// store's checkFreshEvidence). Replicas write at once, so that read
// comes after a lock on the badge and person held to the commit: an
// award racing this one either committed before it and is read, or
// waits and reads this one.
func (ins *awardInsert) lockRecipient(ctx context.Context, tx pgx.Tx) (pid int64, badge bool, held string, past *bot.PastAwards, err error) {
	r := ins.a.Recipient
	rule := ins.a.Source == bot.SourceRule
	b := &pgx.Batch{}
	b.Queue(`SELECT 1 FROM people WHERE id = `+identityPerson+` FOR SHARE`, r.Platform, r.ID)
	if rule {
		b.Queue(awardLock, r.Platform, r.ID, ins.a.Badge)
	}
	b.Queue(recipientCheck, r.Platform, r.ID, ins.a.Badge, !ins.repeatable)
	if rule {
		b.Queue(`SELECT revoked, evidence FROM awards WHERE badge = $3 AND person_id = `+identityPerson, r.Platform, r.ID, ins.a.Badge)
	}
	br := tx.SendBatch(ctx, b)
	_, err = br.Exec()
	if err == nil && rule {
		_, err = br.Exec()
	}
	if err == nil {
		err = br.QueryRow().Scan(&pid, &badge, &held)
	}
	past = &bot.PastAwards{}
	if err == nil && rule {
		var rows pgx.Rows
		if rows, err = br.Query(); err == nil {
			*past, err = storage.ScanPastAwards(rows)
			rows.Close()
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return pid, badge, held, past, err
}

// done sets what the stored award got once its transaction committed.
func (ins *awardInsert) done(out []bot.Announcement) {
	copy(out, ins.saved)
	a := ins.a
	ins.db.keysListed.Committed(a.SigningKey)
	a.PersonID, a.IssuedAt = ins.pid, ins.issued
	a.Revoked, a.RevokedAt, a.RevocationReason, a.RevokedBy = false, time.Time{}, "", ""
}

// Award returns the award with the id, or ENOTFOUND.
func (db *DB) Award(ctx context.Context, id string) (*bot.Award, error) {
	a, err := scanAward(db.pool.QueryRow(ctx, `SELECT `+awardCols+` FROM awards WHERE id = $1`, id))
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("award %q", id))
	}
	return a, nil
}

// Awards returns the awards matching f, newest first.
func (db *DB) Awards(ctx context.Context, f bot.AwardFilter) ([]*bot.Award, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Badge != "" {
		where = append(where, "badge = "+arg(f.Badge))
	}
	if !f.Recipient.IsZero() {
		where = append(where, "person_id = (SELECT person_id FROM identities WHERE platform = "+arg(f.Recipient.Platform)+" AND id = "+arg(f.Recipient.ID)+")")
	}
	if f.PersonID != 0 {
		where = append(where, "person_id = "+arg(f.PersonID))
	}
	if f.Revoked != nil {
		where = append(where, "revoked = "+arg(*f.Revoked))
	}
	q := `SELECT ` + awardListCols + ` FROM awards`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY issued_at DESC, seq DESC"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, dbError(err, "list awards")
	}
	as, err := collect(rows, func(r pgx.CollectableRow) (*bot.Award, error) { return scanAward(r) })
	if err != nil {
		return nil, dbError(err, "list awards")
	}
	return as, nil
}

// PastAwards returns what the rules need of the person's awards of the
// badge: whether each was revoked, and its evidence URLs.
func (db *DB) PastAwards(ctx context.Context, badge string, personID int64) (bot.PastAwards, error) {
	rows, err := db.pool.Query(ctx, `SELECT revoked, evidence FROM awards WHERE badge = $1 AND person_id = $2`, badge, personID)
	if err != nil {
		return bot.PastAwards{}, dbError(err, "list past awards")
	}
	defer rows.Close()
	past, err := storage.ScanPastAwards(rows)
	return past, dbError(err, "list past awards")
}

// RevokeAward marks the award revoked and writes the announcements in one
// transaction. ENOTFOUND: no such award; ECONFLICT: revoked already (the
// row lock makes the second of two replicas see the first's revocation).
func (db *DB) RevokeAward(ctx context.Context, id, reason, by string, at time.Time, out []bot.Announcement) (*bot.Award, error) {
	via := bot.OriginOf(ctx).Via
	var a *bot.Award
	saved := slices.Clone(out)
	defer db.changes.Add(1) // after the commit (IssuerSource.Changes)
	err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		copy(saved, out)
		now := db.now()
		var revoked bool
		err := tx.QueryRow(ctx, `SELECT revoked FROM awards WHERE id = $1 FOR UPDATE`, id).Scan(&revoked)
		if err == pgx.ErrNoRows {
			return bot.Errorf(bot.ENOTFOUND, "award %q: no such award", id)
		} else if err != nil {
			return err
		}
		if revoked {
			return bot.Errorf(bot.ECONFLICT, "award %s is revoked already", id)
		}
		when := at
		if when.IsZero() {
			when = now
		}
		_, err = tx.Exec(ctx, `UPDATE awards SET revoked = true, revoked_at = $1, revocation_reason = $2, revoked_by = $3, revoked_via = $5
			WHERE id = $4 AND NOT revoked`, millis(when), reason, by, id, via)
		if err != nil {
			return err
		}
		if err := insertAnnouncements(ctx, tx, saved, id, now); err != nil {
			return err
		}
		if a, err = scanAward(tx.QueryRow(ctx, `SELECT `+awardCols+` FROM awards WHERE id = $1`, id)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, bot.AuditEntry{At: a.RevokedAt, Action: bot.AuditRevoke, By: by, Via: via,
			Badge: a.Badge, Subject: a.Recipient.String(), AwardID: id, Detail: reason})
	})
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("revoke award %q", id))
	}
	copy(out, saved)
	return a, nil
}

func scanAward(s pgx.Row) (*bot.Award, error) {
	var a bot.Award
	var issued int64
	var revokedAt *int64
	var evidence string
	err := s.Scan(&a.ID, &a.Badge, &a.PersonID, &a.Recipient.Platform, &a.Recipient.ID, &issued,
		&evidence, &a.Narrative, &a.Source, &a.SourceRef, &a.AwardedBy, &a.StatusIndex,
		&a.IdentityType, &a.Identity, &a.Salt, &a.Credential, &a.JWT,
		&a.Revoked, &revokedAt, &a.RevocationReason, &a.RevokedBy, &a.Via, &a.RevokedVia, &a.Program)
	if err != nil {
		return nil, err
	}
	if a.Evidence, err = storage.DecodeEvidence(evidence); err != nil {
		return nil, fmt.Errorf("award %s: evidence: %w", a.ID, err)
	}
	a.IssuedAt, a.RevokedAt = fromMillis(issued), fromNullMillis(revokedAt)
	if len(a.Credential) == 0 {
		a.Credential = nil
	}
	return &a, nil
}

// answeredQuery locks the pending nominations an award answers: those of
// its badge ($1) for its person ($2).
const answeredQuery = `SELECT n.id FROM nominations n
	JOIN identities i ON i.platform = n.nominee_platform AND i.id = n.nominee_id
	WHERE n.badge = $1 AND n.status = 'pending' AND i.person_id = $2 FOR UPDATE OF n`

// closeAnswered approves the pending nominations that award a answers
// (ids, read and locked with answeredQuery), in the award's transaction,
// as the SQLite store does: a nomination never stays open for a badge its
// nominee was given.
func closeAnswered(ctx context.Context, tx pgx.Tx, a *bot.Award, ids []int64, now time.Time) error {
	by := a.AwardedBy
	if by == "" {
		by = "badgebot"
	}
	for _, id := range ids {
		reason := fmt.Sprintf("answered by award %s", a.ID)
		if _, err := tx.Exec(ctx, `UPDATE nominations SET status = $1, decided_at = $2, decided_by = $3,
				decision_reason = $4, award_id = $5 WHERE id = $6 AND status = 'pending'`,
			bot.NominationApproved, millis(now), by, reason, a.ID, id); err != nil {
			return err
		}
		if err := auditDecision(ctx, tx, id, bot.AuditApprove, by, a.Via, now, reason); err != nil {
			return err
		}
		rr := bot.ReviewRefresh{Final: true, Message: bot.Message{
			Text: fmt.Sprintf("Nomination #%d is closed: the badge %s was awarded (award %s).", id, a.Badge, a.ID)}}
		if err := refreshReviews(ctx, tx, id, rr, now); err != nil {
			return err
		}
	}
	return nil
}
