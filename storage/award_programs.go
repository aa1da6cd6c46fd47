package storage

import (
	"context"
	"fmt"
)

// awardProgramsQuery lists each program awards were issued under with one
// of its awards, seeking the awards_program index once per program (a
// loose index scan), so the start costs the same with a million awards.
const awardProgramsQuery = `WITH RECURSIVE p(slug) AS (
	SELECT MIN(program) FROM awards WHERE program > ''
	UNION ALL
	SELECT (SELECT MIN(program) FROM awards WHERE program > p.slug) FROM p WHERE p.slug IS NOT NULL
)
SELECT slug, (SELECT id FROM awards WHERE program = p.slug LIMIT 1) FROM p WHERE slug IS NOT NULL`

// AwardPrograms returns the programs stored awards were issued under
// (slug -> one of its awards), so that a start whose config dropped one
// of them can be refused: its profile, keys and status lists would stop
// being published and those awards would stop verifying.
func (db *DB) AwardPrograms(ctx context.Context) (map[string]string, error) {
	rows, err := db.r.QueryContext(ctx, awardProgramsQuery)
	if err != nil {
		return nil, fmt.Errorf("storage: programs of awards: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var slug, award string
		if err := rows.Scan(&slug, &award); err != nil {
			return nil, fmt.Errorf("storage: programs of awards: %w", err)
		}
		out[slug] = award
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: programs of awards: %w", err)
	}
	return out, nil
}
