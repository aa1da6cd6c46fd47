package storage

import (
	"context"
	"database/sql"
)

// Hooks for the conformance suite (suite_test.go, package storage_test).

// TestExec runs a statement on the writer and maps its error as the store
// does.
func (db *DB) TestExec(ctx context.Context, what, query string, args ...any) error {
	_, err := db.w.ExecContext(ctx, query, args...)
	return dbError(err, what)
}

// TestQueryRow runs a query on a reader.
func (db *DB) TestQueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.r.QueryRowContext(ctx, query, args...)
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }
