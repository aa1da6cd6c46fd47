package storage

import (
	"context"
	"database/sql"
	"strings"

	"github.com/badgebot/badgebot/bot"
)

var _ bot.AuditStore = (*DB)(nil)

// insertAudit appends e to the audit trail, in the transaction of the
// action it records.
func insertAudit(ctx context.Context, tx queryer, e bot.AuditEntry) error {
	var nomination sql.NullInt64
	if e.NominationID != 0 {
		nomination = sql.NullInt64{Int64: e.NominationID, Valid: true}
	}
	if e.By == "" {
		e.By = "badgebot"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit (at, action, by, via, badge, subject, award_id, nomination_id, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		millis(e.At), e.Action, e.By, e.Via, e.Badge, e.Subject, e.AwardID, nomination, e.Detail)
	return err
}

// Audit returns the audit trail from f.Since on, oldest first.
func (db *DB) Audit(ctx context.Context, f bot.AuditFilter) ([]bot.AuditEntry, error) {
	q := `SELECT id, at, action, by, via, badge, subject, award_id, nomination_id, detail FROM audit`
	var where []string
	var args []any
	if !f.Since.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, millis(f.Since))
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY at, id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, dbError(err, "read the audit trail")
	}
	defer rows.Close()
	var out []bot.AuditEntry
	for rows.Next() {
		var e bot.AuditEntry
		var at int64
		var nomination sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &e.Action, &e.By, &e.Via, &e.Badge, &e.Subject, &e.AwardID, &nomination, &e.Detail); err != nil {
			return nil, dbError(err, "read the audit trail")
		}
		e.At, e.NominationID = fromMillis(at), nomination.Int64
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "read the audit trail")
	}
	return out, nil
}
