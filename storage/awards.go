package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
	"github.com/mattn/go-sqlite3"
)

// awardCols are an award's columns, in scanAward's order; awardListCols
// leave out its signed documents (bot.Store.Awards).
const awardCols, awardListCols = AwardColumns, AwardListColumns

// NextStatusIndex reserves a fresh index in the revocation status list.
// Indexes start at 0 and are never handed out twice, even when the award
// they were reserved for is never stored.
func (db *DB) NextStatusIndex(ctx context.Context) (int, error) {
	return db.ReserveStatusIndexes(ctx, 1)
}

// ReserveStatusIndexes reserves n consecutive fresh indexes in the
// revocation status list and returns the first. Unused reserved indexes
// are simply never set.
func (db *DB) ReserveStatusIndexes(ctx context.Context, n int) (int, error) {
	if n < 1 {
		return 0, bot.Errorf(bot.EINVALID, "reserve %d status indexes", n)
	}
	var first int
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		return tx.QueryRowContext(ctx,
			`UPDATE counters SET value = value + ? WHERE name = 'status_index' RETURNING value - ?`, n, n).Scan(&first)
	})
	if err != nil {
		return 0, dbError(err, "reserve status indexes")
	}
	return first, nil
}

// heldQuery finds an unrevoked award of a badge (1) held by a person (2),
// through the awards_badge_person index.
const heldQuery = `SELECT id FROM awards WHERE badge = ? AND person_id = ? AND NOT revoked LIMIT 1`

// insertAward stores an award. A badge that is not repeatable is looked
// up first (heldQuery, or the rules' past awards read by
// checkFreshEvidence): writes run one at a time, so nothing comes between
// the look and the insert. It used to be one INSERT … SELECT … WHERE NOT
// EXISTS, but SQLite runs an INSERT … SELECT inside a transaction with a
// statement journal, a copy of each page it changes, and an award changes
// nine b-trees: the award's insert cost the one writer half as much again
// (80-92 µs an award against 59-62, in profiled drains of 36,000 merged
// pull requests).
const insertAward = `INSERT INTO awards (` + awardCols + `, exclusive)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, '', '', ?, '', ?, ?)`

// CreateAward stores the award and its announcements in one transaction.
// The recipient identity gets a person of its own when nobody has it yet;
// a.PersonID is set to the person owning it. A zero a.IssuedAt becomes now,
// and a.IssuedAt is set to what was stored (UTC, milliseconds). On success
// each announcement in out has its ID set, and the award's id when it named
// none.
//
// When repeatable is false it returns ECONFLICT if the person already holds
// an unrevoked award of the badge. The awards_once index enforces this in
// the database too, so two writers cannot both win.
func (db *DB) CreateAward(ctx context.Context, a *bot.Award, repeatable bool, out []bot.Announcement) error {
	ins, err := db.prepareAward(a, repeatable, out)
	if err != nil {
		return err
	}
	err = db.write(ctx, func(ctx context.Context, tx queryer) error {
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
	saved      []bot.Announcement
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
	evidence, err := encodeEvidence(a.Evidence)
	if err != nil {
		return nil, fmt.Errorf("storage: %s: evidence: %w", what, err)
	}
	return &awardInsert{db: db, a: a, repeatable: repeatable, what: what, evidence: evidence,
		issued: fromMillis(millis(db.orNow(a.IssuedAt))), saved: slices.Clone(out)}, nil
}

// insert stores the award in tx.
func (ins *awardInsert) insert(ctx context.Context, tx queryer, now time.Time) error {
	a := ins.a
	pid, err := ensurePerson(ctx, tx, a.Recipient, "", now)
	if err != nil {
		return err
	}
	ins.pid = pid
	// A badge that is not repeatable is refused to whoever holds it: the
	// past awards the rules' check read tell whether to look.
	mayHold := !ins.repeatable
	if a.Source == bot.SourceRule {
		past, err := checkFreshEvidence(ctx, tx, a, pid)
		if err != nil {
			return err
		}
		mayHold = mayHold && past.Holds()
	}
	if mayHold {
		var id string
		switch err := tx.QueryRowContext(ctx, heldQuery, a.Badge, pid).Scan(&id); {
		case err == nil:
			return bot.Errorf(bot.ECONFLICT, "%s already holds the badge %s (award %s)", a.Recipient, a.Badge, id)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	// The badge's existence is the foreign key's to check.
	_, err = tx.ExecContext(ctx, insertAward, a.ID, a.Badge, pid, a.Recipient.Platform, a.Recipient.ID, millis(ins.issued),
		ins.evidence, a.Narrative, a.Source, a.SourceRef, a.AwardedBy, a.StatusIndex,
		a.IdentityType, a.Identity, a.Salt, nilIfEmpty(a.Credential), a.JWT, a.Via, a.Program, !ins.repeatable)
	var se sqlite3.Error
	if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintForeignKey {
		// The person and the identity were ensured above: the badge is
		// what is missing.
		return bot.Errorf(bot.ENOTFOUND, "badge %q: no such badge", a.Badge)
	}
	if err != nil {
		return err
	}
	if err := insertAudit(ctx, tx, awardAudit(a, now)); err != nil {
		return err
	}
	if err := ins.db.recordSigningKey(ctx, tx, a); err != nil {
		return err
	}
	if err := closeAnswered(ctx, tx, a, pid, now); err != nil {
		return err
	}
	return insertAnnouncements(ctx, tx, ins.saved, a.ID, now)
}

// checkFreshEvidence refuses (ECONFLICT) an award by the rules whose
// evidence an earlier award of the badge to the person, held or revoked,
// used already (bot.PastAwards.Reuses), and returns those awards. Writes
// run one at a time: what it reads cannot change before the award is
// stored.
func checkFreshEvidence(ctx context.Context, tx queryer, a *bot.Award, pid int64) (bot.PastAwards, error) {
	rows, err := tx.QueryContext(ctx, pastAwardsQuery, a.Badge, pid)
	if err != nil {
		return bot.PastAwards{}, err
	}
	defer rows.Close()
	past, err := scanPastAwards(rows)
	if err != nil {
		return bot.PastAwards{}, err
	}
	if past.Reuses(a.Evidence) {
		return bot.PastAwards{}, bot.Errorf(bot.ECONFLICT, "%s: an earlier award of %s used this evidence", a.Recipient, a.Badge)
	}
	return past, nil
}

// done sets what the stored award got once its transaction committed.
func (ins *awardInsert) done(out []bot.Announcement) {
	copy(out, ins.saved)
	a := ins.a
	ins.db.keysListed.Committed(a.SigningKey)
	a.PersonID, a.IssuedAt = ins.pid, ins.issued
	a.Revoked, a.RevokedAt, a.RevocationReason, a.RevokedBy = false, time.Time{}, "", ""
}

// pastAwardsQuery reads what the rules need of the awards of a badge (1)
// to a person (2), through the awards_badge_person index.
const pastAwardsQuery = `SELECT revoked, evidence FROM awards WHERE badge = ? AND person_id = ?`

// PastAwards returns what the rules need of the person's awards of the
// badge: whether each was revoked, and its evidence URLs. It reads two
// columns, without an ORDER BY (which costs SQLite a sorter per query).
func (db *DB) PastAwards(ctx context.Context, badge string, personID int64) (bot.PastAwards, error) {
	rows, err := db.r.QueryContext(ctx, pastAwardsQuery, badge, personID)
	if err != nil {
		return bot.PastAwards{}, dbError(err, "list past awards")
	}
	defer rows.Close()
	past, err := scanPastAwards(rows)
	return past, dbError(err, "list past awards")
}

// pastRows is what scanPastAwards reads: database/sql's rows or pgx's.
type pastRows = interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// scanPastAwards reads rows of (revoked, evidence column) into the rules'
// PastAwards.
func scanPastAwards(rows pastRows) (bot.PastAwards, error) {
	var past bot.PastAwards
	for rows.Next() {
		var revoked bool
		var evidence string
		if err := rows.Scan(&revoked, &evidence); err != nil {
			return past, err
		}
		es, err := decodeEvidence(evidence)
		if err != nil {
			return past, fmt.Errorf("evidence: %w", err)
		}
		urls := make([]string, len(es))
		for i, e := range es {
			urls[i] = e.URL
		}
		past.Add(revoked, urls)
	}
	return past, rows.Err()
}

// Award returns the award with the id, or ENOTFOUND.
func (db *DB) Award(ctx context.Context, id string) (*bot.Award, error) {
	a, err := scanAward(db.r.QueryRowContext(ctx, `SELECT `+awardCols+` FROM awards WHERE id = ?`, id))
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("award %q", id))
	}
	return a, nil
}

// Awards returns the awards matching f, newest first. A Recipient in f
// matches the awards of the person owning that identity, whichever of the
// person's identities they were made to.
func (db *DB) Awards(ctx context.Context, f bot.AwardFilter) ([]*bot.Award, error) {
	q, args := awardsQuery(f)
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, dbError(err, "list awards")
	}
	defer rows.Close()
	var as []*bot.Award
	for rows.Next() {
		a, err := scanAward(rows)
		if err != nil {
			return nil, dbError(err, "list awards")
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "list awards")
	}
	return as, nil
}

// RevokeAward marks the award revoked and writes the announcements in one
// transaction. It returns ENOTFOUND when no award has the id and ECONFLICT
// when it is revoked already. A zero at becomes now.
//
// Where it came from is the context's bot.Origin.
func (db *DB) RevokeAward(ctx context.Context, id, reason, by string, at time.Time, out []bot.Announcement) (*bot.Award, error) {
	via := bot.OriginOf(ctx).Via
	var a *bot.Award
	saved := slices.Clone(out)
	defer db.changes.Add(1) // after the commit (IssuerSource.Changes)
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		now := db.now()
		var revoked bool
		err := tx.QueryRowContext(ctx, `SELECT revoked FROM awards WHERE id = ?`, id).Scan(&revoked)
		if err == sql.ErrNoRows {
			return bot.Errorf(bot.ENOTFOUND, "award %q: no such award", id)
		} else if err != nil {
			return err
		}
		if revoked {
			return bot.Errorf(bot.ECONFLICT, "award %s is revoked already", id)
		}
		if at.IsZero() {
			at = now
		}
		_, err = tx.ExecContext(ctx, `UPDATE awards SET revoked = 1, revoked_at = ?, revocation_reason = ?, revoked_by = ?, revoked_via = ?
			WHERE id = ? AND NOT revoked`, millis(at), reason, by, via, id)
		if err != nil {
			return err
		}
		if err := insertAnnouncements(ctx, tx, saved, id, now); err != nil {
			return err
		}
		if a, err = scanAward(tx.QueryRowContext(ctx, `SELECT `+awardCols+` FROM awards WHERE id = ?`, id)); err != nil {
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

// closeAnswered approves the pending nominations that award a answers
// (its badge, for the person pid), in the award's transaction: a
// nomination never stays open for a badge its nominee was given.
func closeAnswered(ctx context.Context, tx queryer, a *bot.Award, pid int64, now time.Time) error {
	if a.Source == bot.SourceNomination {
		return nil // its own nomination is decided by the caller; it is the only one pending
	}
	// Most badges have no pending nomination: one seek of
	// nominations_pending settles it, where the join below costs the one
	// writer several times more.
	var one int
	switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM nominations WHERE badge = ? AND status = 'pending' LIMIT 1`, a.Badge).Scan(&one); err {
	case sql.ErrNoRows:
		return nil
	case nil:
	default:
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT n.id FROM nominations n
		JOIN identities i ON i.platform = n.nominee_platform AND i.id = n.nominee_id
		WHERE n.badge = ? AND n.status = 'pending' AND i.person_id = ?`, a.Badge, pid)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	by := a.AwardedBy
	if by == "" {
		by = "badgebot"
	}
	for _, id := range ids {
		reason := fmt.Sprintf("answered by award %s", a.ID)
		if _, err := tx.ExecContext(ctx, `UPDATE nominations SET status = ?, decided_at = ?, decided_by = ?,
				decision_reason = ?, award_id = ? WHERE id = ? AND status = 'pending'`,
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

// awardAudit is the audit entry of a new award made at "at" (when it was
// recorded, whatever date it bears): the rule that fired or the nomination
// approved.
func awardAudit(a *bot.Award, at time.Time) bot.AuditEntry {
	e := bot.AuditEntry{At: at, Action: bot.AuditAward, By: a.AwardedBy, Via: a.Via,
		Badge: a.Badge, Subject: a.Recipient.String(), AwardID: a.ID}
	switch a.Source {
	case bot.SourceNomination:
		e.NominationID, _ = strconv.ParseInt(a.SourceRef, 10, 64)
	case bot.SourceRule, bot.SourceManual, bot.SourceAPI:
		e.Detail = a.SourceRef // the rule; for an award by hand, an override
	}
	return e
}

// awardsQuery builds the query of Awards.
func awardsQuery(f bot.AwardFilter) (string, []any) {
	var where []string
	var args []any
	if f.Badge != "" {
		where = append(where, "badge = ?")
		args = append(args, f.Badge)
	}
	if !f.Recipient.IsZero() {
		where = append(where, "person_id = (SELECT person_id FROM identities WHERE platform = ? AND id = ?)")
		args = append(args, f.Recipient.Platform, f.Recipient.ID)
	}
	if f.PersonID != 0 {
		where = append(where, "person_id = ?")
		args = append(args, f.PersonID)
	}
	if f.Revoked != nil {
		where = append(where, "revoked = ?")
		args = append(args, *f.Revoked)
	}
	q := `SELECT ` + awardListCols + ` FROM awards`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY issued_at DESC, rowid DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return q, args
}

func scanAward(s scanner) (*bot.Award, error) {
	var a bot.Award
	var issued int64
	var revokedAt sql.NullInt64
	var evidence string
	err := s.Scan(&a.ID, &a.Badge, &a.PersonID, &a.Recipient.Platform, &a.Recipient.ID, &issued,
		&evidence, &a.Narrative, &a.Source, &a.SourceRef, &a.AwardedBy, &a.StatusIndex,
		&a.IdentityType, &a.Identity, &a.Salt, &a.Credential, &a.JWT,
		&a.Revoked, &revokedAt, &a.RevocationReason, &a.RevokedBy, &a.Via, &a.RevokedVia, &a.Program)
	if err != nil {
		return nil, err
	}
	if a.Evidence, err = decodeEvidence(evidence); err != nil {
		return nil, fmt.Errorf("award %s: evidence: %w", a.ID, err)
	}
	a.IssuedAt, a.RevokedAt = fromMillis(issued), fromNullMillis(revokedAt)
	if len(a.Credential) == 0 {
		a.Credential = nil
	}
	return &a, nil
}

// evidenceJSON is the stored form of one piece of evidence; its own tags
// keep the column's format apart from the Go field names.
type evidenceJSON struct {
	URL         string `json:"url,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Narrative   string `json:"narrative,omitempty"`
	Genre       string `json:"genre,omitempty"`
}

func encodeEvidence(es []bot.Evidence) (string, error) {
	js := make([]evidenceJSON, len(es))
	for i, e := range es {
		js[i] = evidenceJSON(e)
	}
	buf, err := json.Marshal(js)
	return string(buf), err
}

func decodeEvidence(s string) ([]bot.Evidence, error) {
	var js []evidenceJSON
	if err := json.Unmarshal([]byte(s), &js); err != nil {
		return nil, err
	}
	if len(js) == 0 {
		return nil, nil
	}
	es := make([]bot.Evidence, len(js))
	for i, j := range js {
		es[i] = bot.Evidence(j)
	}
	return es, nil
}
