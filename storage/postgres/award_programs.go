package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// AwardPrograms returns the programs stored awards were issued under
// (slug -> one of its awards), as the SQLite store does: a loose index
// scan over awards_program, one seek per program.
func (db *DB) AwardPrograms(ctx context.Context) (map[string]string, error) {
	rows, err := db.pool.Query(ctx, `WITH RECURSIVE p(slug) AS (
	SELECT MIN(program) FROM awards WHERE program > ''
	UNION ALL
	SELECT (SELECT MIN(program) FROM awards WHERE program > p.slug) FROM p WHERE p.slug IS NOT NULL
)
SELECT slug, (SELECT id FROM awards WHERE program = p.slug LIMIT 1) FROM p WHERE slug IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("storage: programs of awards: %w", err)
	}
	out := map[string]string{}
	var slug, award string
	if _, err := pgx.ForEachRow(rows, []any{&slug, &award}, func() error { out[slug] = award; return nil }); err != nil {
		return nil, fmt.Errorf("storage: programs of awards: %w", err)
	}
	return out, nil
}
