package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/badgebot/badgebot/issuer"
	"github.com/jackc/pgx/v5"
)

// Snapshot is the whole database as of one moment, for `badgebot
// backup`: every table Import copies, and the signing keys, read in one
// REPEATABLE READ, read-only transaction, so that the copy is consistent
// while replicas keep writing.
type Snapshot struct {
	tx pgx.Tx
}

// Snapshot calls fn with a snapshot of the database.
func (db *DB) Snapshot(ctx context.Context, fn func(s *Snapshot) error) error {
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error { return fn(&Snapshot{tx: tx}) })
}

// Tables lists the tables of the snapshot, parents before children: those
// Import copies.
func (s *Snapshot) Tables() []string { return slices.Clone(importTables) }

// storedOrder names the columns that keep the order rows were stored in,
// SQLite's rowid, where the first column does not: a copy stores the rows
// in that order and leaves the column out.
var storedOrder = map[string]string{"awards": "seq"}

// replicaOnly names the columns a copy leaves out besides storedOrder's:
// the claims replicas make on shared work, naming a replica. They are not
// the data, and a SQLite database has no replicas and no such column; a
// restored copy starts with nothing claimed.
var replicaOnly = map[string][]string{"outbox": {"claimed_by"}, "deliveries": {"claimed_by"}}

// Rows calls fn with every row of table, in the order they were stored
// (storedOrder, else the first column's), as column names and values,
// without the columns of storedOrder and replicaOnly.
func (s *Snapshot) Rows(ctx context.Context, table string, fn func(cols []string, vals []any) error) error {
	if !slices.Contains(importTables, table) {
		return fmt.Errorf("storage: snapshot: no table %s", table)
	}
	order := "1"
	if c, ok := storedOrder[table]; ok {
		order = pgx.Identifier{c}.Sanitize()
	}
	rows, err := s.tx.Query(ctx, `SELECT * FROM `+pgx.Identifier{table}.Sanitize()+` ORDER BY `+order)
	if err != nil {
		return dbError(err, "read "+table)
	}
	defer rows.Close()
	var cols []string
	var keep []int // indexes of the columns copied
	for i, f := range rows.FieldDescriptions() {
		if f.Name == storedOrder[table] || slices.Contains(replicaOnly[table], f.Name) {
			continue
		}
		cols = append(cols, f.Name)
		keep = append(keep, i)
	}
	for rows.Next() {
		all, err := rows.Values()
		if err != nil {
			return dbError(err, "read "+table)
		}
		vals := make([]any, len(keep))
		for j, i := range keep {
			vals[j] = all[i]
		}
		if err := fn(cols, vals); err != nil {
			return err
		}
	}
	return dbError(rows.Err(), "read "+table)
}

// Keys returns the signing keys of the snapshot.
func (s *Snapshot) Keys(ctx context.Context) (issuer.KeySet, error) {
	return loadKeys(ctx, s.tx)
}
