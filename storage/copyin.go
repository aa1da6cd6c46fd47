package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/badgebot/badgebot/bot"
)

// RowSource is a database to copy rows from: a snapshot of the PostgreSQL
// store, which `badgebot backup` writes as a SQLite database.
type RowSource interface {
	// Rows calls fn with every row of table as column names and values.
	Rows(ctx context.Context, table string, fn func(cols []string, vals []any) error) error
}

// CopyIn copies every row of tables, parents before children, from src
// into this database, which must hold no rows in them (a new database;
// the counters its migrations seed are replaced), in one transaction.
// Values are stored in the form this store reads: booleans as 0 or 1,
// bytes into TEXT columns as text. It returns the rows copied per table.
func (db *DB) CopyIn(ctx context.Context, src RowSource, tables []string) (map[string]int, error) {
	copied := map[string]int{}
	err := db.direct(ctx, func(tx *sql.Tx) error {
		for _, table := range tables {
			if table == "counters" {
				if _, err := tx.ExecContext(ctx, `DELETE FROM counters`); err != nil {
					return err
				}
				continue
			}
			var held bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM "`+table+`")`).Scan(&held); err != nil {
				return fmt.Errorf("storage: copy into %s: %w", table, err)
			}
			if held {
				return bot.Errorf(bot.EINVALID, "copy: the SQLite database holds %s already: copy into a new one", table)
			}
		}
		for _, table := range tables {
			types, err := declaredTypes(ctx, tx, table)
			if err != nil {
				return err
			}
			var stmt *sql.Stmt
			err = src.Rows(ctx, table, func(cols []string, vals []any) error {
				if stmt == nil {
					for _, c := range cols {
						if _, ok := types[c]; !ok {
							return fmt.Errorf("storage: copy %s.%s: no such column in SQLite", table, c)
						}
					}
					var err error
					stmt, err = tx.PrepareContext(ctx, `INSERT INTO "`+table+`" ("`+strings.Join(cols, `", "`)+`") VALUES (`+
						strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")+`)`)
					if err != nil {
						return fmt.Errorf("storage: copy into %s: %w", table, err)
					}
				}
				row := make([]any, len(vals))
				for i, v := range vals {
					row[i] = sqliteValue(v, types[cols[i]])
				}
				if _, err := stmt.ExecContext(ctx, row...); err != nil {
					return fmt.Errorf("storage: copy into %s: %w", table, err)
				}
				copied[table]++
				return nil
			})
			if stmt != nil {
				stmt.Close()
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return copied, nil
}

// declaredTypes returns the declared type of each column of table, upper
// case.
func declaredTypes(ctx context.Context, tx *sql.Tx, table string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, upper(type) FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, fmt.Errorf("storage: columns of %s: %w", table, err)
	}
	defer rows.Close()
	types := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("storage: columns of %s: %w", table, err)
		}
		types[name] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: columns of %s: %w", table, err)
	}
	if len(types) == 0 {
		return nil, fmt.Errorf("storage: copy into %s: no such table", table)
	}
	return types, nil
}

// sqliteValue is v as this store keeps a column of the declared type.
func sqliteValue(v any, typ string) any {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case []byte:
		if strings.Contains(typ, "TEXT") {
			return string(x)
		}
	}
	return v
}
