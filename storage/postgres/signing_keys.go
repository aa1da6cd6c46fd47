package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SigningKeys lists the signing keys awards were signed with (the
// signing_keys table, with each key's first award) and reports whether
// any award exists. Each award records its key in its own transaction,
// as on SQLite, and `migrate --from` copies the list.
func (db *DB) SigningKeys(ctx context.Context) (keys map[string]string, anyAward bool, err error) {
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM awards)`).Scan(&anyAward); err != nil {
		return nil, false, fmt.Errorf("storage: signing keys: %w", err)
	}
	rows, err := db.pool.Query(ctx, `SELECT id, first_award FROM signing_keys ORDER BY id`)
	if err != nil {
		return nil, false, fmt.Errorf("storage: signing keys: %w", err)
	}
	keys = map[string]string{}
	var id, award string
	if _, err := pgx.ForEachRow(rows, []any{&id, &award}, func() error { keys[id] = award; return nil }); err != nil {
		return nil, false, fmt.Errorf("storage: signing keys: %w", err)
	}
	return keys, anyAward, nil
}
