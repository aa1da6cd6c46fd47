package storage

import (
	"context"
	"fmt"
)

// SigningKeys returns the keys that signed stored awards (publicKeyMultibase
// -> the first award each signed) and whether any award is stored, so that
// a start whose key directory lacks one of them can be refused.
func (db *DB) SigningKeys(ctx context.Context) (keys map[string]string, anyAward bool, err error) {
	if err := db.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM awards)`).Scan(&anyAward); err != nil {
		return nil, false, fmt.Errorf("storage: signing keys: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, first_award FROM signing_keys ORDER BY id`)
	if err != nil {
		return nil, false, fmt.Errorf("storage: signing keys: %w", err)
	}
	defer rows.Close()
	keys = map[string]string{}
	for rows.Next() {
		var id, award string
		if err := rows.Scan(&id, &award); err != nil {
			return nil, false, fmt.Errorf("storage: signing keys: %w", err)
		}
		keys[id] = award
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("storage: signing keys: %w", err)
	}
	return keys, anyAward, nil
}
