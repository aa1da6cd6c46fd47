package storage

import (
	"context"
	"fmt"
)

// Copying a database into another store (`badgebot migrate --from
// sqlite:PATH`, storage/postgres Import).

// Migrations returns the names of the migrations the database recorded.
func (db *DB) Migrations(ctx context.Context) ([]string, error) {
	done, err := appliedMigrations(ctx, db.r)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(done))
	for n := range done {
		names = append(names, n)
	}
	return names, nil
}

// Rows calls fn with every row of table, in the order rows were stored
// (rowid, or the primary key of a table without one), as its columns'
// names and values (int64, float64, string, []byte or nil). Copy from a
// database no server writes to: each call reads a snapshot of its own.
func (db *DB) Rows(ctx context.Context, table string, fn func(cols []string, vals []any) error) error {
	var withoutRowid int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&withoutRowid)
	if err != nil {
		return fmt.Errorf("storage: read %s: %w", table, err)
	}
	if withoutRowid == 0 {
		return fmt.Errorf("storage: read %s: no such table", table)
	}
	order := "rowid"
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = ? AND sql LIKE '%WITHOUT ROWID%'`, table).Scan(&withoutRowid); err != nil {
		return fmt.Errorf("storage: read %s: %w", table, err)
	}
	if withoutRowid > 0 {
		order = "1"
	}
	rows, err := db.r.QueryContext(ctx, `SELECT * FROM "`+table+`" ORDER BY `+order)
	if err != nil {
		return fmt.Errorf("storage: read %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("storage: read %s: %w", table, err)
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("storage: read %s: %w", table, err)
		}
		if err := fn(cols, vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: read %s: %w", table, err)
	}
	return nil
}
