package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/badgebot/badgebot/bot"
	"github.com/jackc/pgx/v5"
)

// Source is a database to copy from: the SQLite store.
type Source interface {
	// Migrations returns the names of the migrations it recorded.
	Migrations(ctx context.Context) ([]string, error)
	// Rows calls fn with every row of table, in the order rows were
	// stored, as column names and values.
	Rows(ctx context.Context, table string, fn func(cols []string, vals []any) error) error
}

// importTables are the tables copied, parents before children.
var importTables = []string{
	"badges", "people", "identities", "awards", "counters", "deliveries", "events",
	"link_codes", "nominations", "nomination_supporters", "nomination_approvals",
	"outbox", "job_state", "backfill_sources", "digest_runs", "chat_requests", "audit", "signing_keys",
	"handle_redirects",
}

// identityTables have ids from an identity column, moved past the copied
// ones afterwards.
var identityTables = []string{"people", "deliveries", "events", "outbox", "audit"}

// Import copies every row of src into this database, which must hold no
// badgebot data yet, in one transaction: ids, award ids, status indexes,
// signed credentials and counters stay as they were, so every award keeps
// its URL and its signature. It returns the rows copied per table. src
// must have no migration this store does not mirror.
func (db *DB) Import(ctx context.Context, src Source) (map[string]int, error) {
	names, err := src.Migrations(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if !slices.ContainsFunc(ms, func(m migration) bool { return m.name == n }) {
			return nil, bot.Errorf(bot.EINVALID, "migrate: the SQLite database has migration %s, which the PostgreSQL store does not have yet", n)
		}
	}
	copied := map[string]int{}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, table := range importTables {
			if table == "counters" {
				continue
			}
			var held bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+`)`).Scan(&held); err != nil {
				return err
			}
			if held {
				return bot.Errorf(bot.EINVALID, "migrate: the PostgreSQL database holds %s already: copy into an empty one", table)
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM counters`); err != nil {
			return err
		}
		for _, table := range importTables {
			types, err := columnTypes(ctx, tx, table)
			if err != nil {
				return err
			}
			var cols []string
			var rows [][]any
			err = src.Rows(ctx, table, func(c []string, vals []any) error {
				cols = c
				row := make([]any, len(vals))
				for i, v := range vals {
					typ, ok := types[c[i]]
					if !ok {
						return fmt.Errorf("migrate: %s.%s has no column in PostgreSQL", table, c[i])
					}
					if row[i], err = convert(v, typ); err != nil {
						return fmt.Errorf("migrate: %s.%s: %w", table, c[i], err)
					}
				}
				rows = append(rows, row)
				return nil
			})
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				continue
			}
			n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
			if err != nil {
				return fmt.Errorf("migrate: copy %s: %w", table, err)
			}
			copied[table] = int(n)
		}
		for _, table := range identityTables {
			if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce(max(id), 0) + 1, false) FROM `+table, table); err != nil {
				return fmt.Errorf("migrate: %s ids: %w", table, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, dbError(err, "copy the SQLite database")
	}
	return copied, nil
}

// columnTypes returns the data type of each column of table.
func columnTypes(ctx context.Context, tx pgx.Tx, table string) (map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, err
	}
	types := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		types[name] = typ
	}
	return types, rows.Err()
}

// convert turns a value SQLite gave into one for a PostgreSQL column of
// the type: its 0/1 integers into booleans, its text into bytes and back.
func convert(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "boolean":
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("%v is not 0 or 1", v)
		}
		return n != 0, nil
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case "text":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	case "bigint", "integer":
		if n, ok := v.(int64); ok {
			return n, nil
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("a %T for a %s column", v, typ)
}
