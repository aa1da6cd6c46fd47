package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/jackc/pgx/v5"
)

var _ bot.AuditStore = (*DB)(nil)

// insertAudit appends e to the audit trail, in the transaction of the
// action it records (see the SQLite store).
func insertAudit(ctx context.Context, tx pgx.Tx, e bot.AuditEntry) error {
	_, err := tx.Exec(ctx, auditInsert, auditArgs(e)...)
	return err
}

// auditInsert stores an entry of the audit trail, with auditArgs.
const auditInsert = `INSERT INTO audit (at, action, "by", via, badge, subject, award_id, nomination_id, detail)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

func auditArgs(e bot.AuditEntry) []any {
	var nomination *int64
	if e.NominationID != 0 {
		nomination = &e.NominationID
	}
	if e.By == "" {
		e.By = "badgebot"
	}
	return []any{millis(e.At), e.Action, e.By, e.Via, e.Badge, e.Subject, e.AwardID, nomination, e.Detail}
}

// Audit returns the audit trail from f.Since on, oldest first.
func (db *DB) Audit(ctx context.Context, f bot.AuditFilter) ([]bot.AuditEntry, error) {
	q := `SELECT id, at, action, "by", via, badge, subject, award_id, nomination_id, detail FROM audit`
	var args []any
	if !f.Since.IsZero() {
		args = append(args, millis(f.Since))
		q += " WHERE at >= $1"
	}
	q += " ORDER BY at, id"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, dbError(err, "read the audit trail")
	}
	out, err := collect(rows, func(r pgx.CollectableRow) (bot.AuditEntry, error) {
		var e bot.AuditEntry
		var at int64
		var nomination *int64
		err := r.Scan(&e.ID, &at, &e.Action, &e.By, &e.Via, &e.Badge, &e.Subject, &e.AwardID, &nomination, &e.Detail)
		e.At = fromMillis(at)
		if nomination != nil {
			e.NominationID = *nomination
		}
		return e, err
	})
	return out, dbError(err, "read the audit trail")
}

// awardAudit is the audit entry of a new award recorded at "at".
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

// auditDecision records an approval, a rejection or an expiry of
// nomination id in the audit trail.
func auditDecision(ctx context.Context, tx pgx.Tx, id int64, action, by, via string, at time.Time, reason string) error {
	e := bot.AuditEntry{At: at, Action: action, By: by, Via: via, NominationID: id, Detail: reason}
	var platform, nominee string
	err := tx.QueryRow(ctx, `SELECT badge, nominee_platform, nominee_id FROM nominations WHERE id = $1`, id).Scan(&e.Badge, &platform, &nominee)
	if err != nil {
		return err
	}
	e.Subject = platform + ":" + nominee
	return insertAudit(ctx, tx, e)
}

// FirstSeen records that a signed chat request with key was accepted on
// platform, until expires, and reports whether it is the first time (see
// the SQLite store). Two replicas recording one key get one true: the
// primary key decides.
func (db *DB) FirstSeen(ctx context.Context, platform string, key []byte, expires time.Time) (bool, error) {
	if platform == "" || len(key) == 0 {
		return false, bot.Errorf(bot.EINVALID, "first seen: platform and key are required")
	}
	now := millis(db.now())
	first := false
	err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM chat_requests WHERE expires_at < $1`, now); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO chat_requests (platform, key, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (platform, key) DO UPDATE SET expires_at = excluded.expires_at
			WHERE chat_requests.expires_at <= $4`, platform, key, millis(expires), now)
		first = err == nil && tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return false, dbError(err, "record a chat request")
	}
	return first, nil
}

// PendingLinkCode returns the newest unexpired code requester asked for
// to prove target; ENOTFOUND when there is none.
func (db *DB) PendingLinkCode(ctx context.Context, requester, target bot.Recipient, now time.Time) (*bot.LinkCode, error) {
	var c bot.LinkCode
	var created, expires int64
	err := db.pool.QueryRow(ctx, `SELECT code, requester_platform, requester_id, target_platform, target_id, created_at, expires_at
		FROM link_codes WHERE requester_platform = $1 AND requester_id = $2 AND target_platform = $3 AND target_id = $4 AND expires_at >= $5
		ORDER BY created_at DESC LIMIT 1`,
		requester.Platform, requester.ID, target.Platform, target.ID, millis(now)).Scan(&c.Code, &c.Requester.Platform, &c.Requester.ID,
		&c.Target.Platform, &c.Target.ID, &created, &expires)
	if err == pgx.ErrNoRows {
		return nil, bot.Errorf(bot.ENOTFOUND, "no pending link code")
	} else if err != nil {
		return nil, dbError(err, "read link code")
	}
	c.CreatedAt, c.ExpiresAt = fromMillis(created), fromMillis(expires)
	return &c, nil
}
