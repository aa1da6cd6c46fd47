package postgres

import (
	"errors"
	"fmt"

	"github.com/badgebot/badgebot/bot"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// dbError is the one place where database errors become domain errors,
// as storage's dbError does for SQLite: a missing row is ENOTFOUND, a
// broken unique constraint ECONFLICT, a broken check or not-null EINVALID,
// a broken foreign key ENOTFOUND; the rest is internal.
func dbError(err error, what string) error {
	if err == nil {
		return nil
	}
	var be *bot.Error
	if errors.As(err, &be) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.Errorf(bot.ENOTFOUND, "%s: not found", what)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return bot.Errorf(bot.ECONFLICT, "%s: %s", what, conflictReason(pe.ConstraintName))
		case "23503":
			return bot.Errorf(bot.ENOTFOUND, "%s: it refers to something that does not exist", what)
		case "23514", "23502":
			return bot.Errorf(bot.EINVALID, "%s: a value is out of range (%s)", what, pe.Message)
		}
	}
	return fmt.Errorf("storage: %s: %w", what, err)
}

// conflictReason says which unique constraint broke, in the domain's words.
func conflictReason(constraint string) string {
	switch constraint {
	case "awards_once":
		return "the person already holds this badge"
	case "awards_pkey":
		return "an award with this id exists"
	case "awards_status_index_key":
		return "the status list index is already used"
	case "people_handle":
		return "the handle is taken"
	case "identities_pkey":
		return "the identity belongs to someone already"
	case "badges_pkey":
		return "a badge with this slug exists"
	case "deliveries_source_delivery_id_key":
		return "the delivery was recorded before"
	case "events_kind_key_key":
		return "the event was recorded before"
	}
	return "it exists already"
}
