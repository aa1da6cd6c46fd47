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

// ReplayBatches makes every group commit run its writes a second time, in
// a new transaction and each in a savepoint, before committing: what a
// write that fails makes its batch do (batch.replay).
func (db *DB) ReplayBatches() { db.replayBatches = true }
