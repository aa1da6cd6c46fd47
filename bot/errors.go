package bot

import (
	"errors"
	"fmt"
	"time"
)

// Error codes: what kind of failure a user should read about. The HTTP layer
// and the chat router map them to status codes and replies in one place each.
const (
	ECONFLICT     = "conflict"     // already exists, already decided
	EINTERNAL     = "internal"     // a bug or an outage; details are logged, not shown
	EINVALID      = "invalid"      // bad input
	ENOTFOUND     = "not_found"    // no such badge, award, person
	EFORBIDDEN    = "forbidden"    // known caller, not allowed
	EUNAUTHORIZED = "unauthorized" // unknown caller or bad signature
	ELIMIT        = "limit"        // a cap was reached (weekly nominations)
)

// Error is an error with a code and a message fit to show a user.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: the code of the first *Error in its
// chain, or EINTERNAL for any other non-nil error, or "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Internal errors get a
// generic message: their details belong in the log, not in a reply.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// SourceUnavailableError tells the backfill that a source refused for a
// while (a rate limit, an outage): it is not asked again before Until
// (zero: the backfill's default backoff from now).
type SourceUnavailableError struct {
	Until time.Time
	Err   error
}

// Error implements error.
func (e *SourceUnavailableError) Error() string {
	if e.Until.IsZero() {
		return fmt.Sprintf("source unavailable: %v", e.Err)
	}
	return fmt.Sprintf("source unavailable until %s: %v", e.Until.UTC().Format(time.RFC3339), e.Err)
}

// Unwrap returns the source's error.
func (e *SourceUnavailableError) Unwrap() error { return e.Err }
