package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/badgebot/badgebot/bot"
	"github.com/mattn/go-sqlite3"
)

// dbError is the one place where database errors become domain errors.
// what says, in words a user can read, what was being done ("award
// first-pr to github:octocat"). Errors that already carry a bot code pass
// through; a missing row is ENOTFOUND; a broken UNIQUE or PRIMARY KEY
// constraint is ECONFLICT, a broken CHECK or NOT NULL constraint EINVALID,
// a broken FOREIGN KEY ENOTFOUND; everything else is internal and keeps its
// cause for the log.
func dbError(err error, what string) error {
	if err == nil {
		return nil
	}
	var be *bot.Error
	if errors.As(err, &be) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Errorf(bot.ENOTFOUND, "%s: not found", what)
	}
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrConstraint {
		switch se.ExtendedCode {
		case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
			return bot.Errorf(bot.ECONFLICT, "%s: %s", what, conflictReason(se.Error()))
		case sqlite3.ErrConstraintForeignKey:
			return bot.Errorf(bot.ENOTFOUND, "%s: it refers to something that does not exist", what)
		case sqlite3.ErrConstraintCheck, sqlite3.ErrConstraintNotNull:
			return bot.Errorf(bot.EINVALID, "%s: a value is out of range (%s)", what, se.Error())
		}
	}
	return fmt.Errorf("storage: %s: %w", what, err)
}

// conflictReason turns SQLite's "UNIQUE constraint failed: t.a, t.b" into
// a sentence about the domain.
func conflictReason(msg string) string {
	_, cols, _ := strings.Cut(msg, "failed: ")
	switch cols {
	case "awards.badge, awards.person_id":
		return "the person already holds this badge"
	case "awards.id":
		return "an award with this id exists"
	case "awards.status_index":
		return "the status list index is already used"
	case "people.handle":
		return "the handle is taken"
	case "identities.platform, identities.id":
		return "the identity belongs to someone already"
	case "badges.slug":
		return "a badge with this slug exists"
	case "deliveries.source, deliveries.delivery_id":
		return "the delivery was recorded before"
	case "events.kind, events.key":
		return "the event was recorded before"
	}
	return "it exists already"
}
