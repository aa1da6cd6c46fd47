package storage

import (
	"context"
	"fmt"

	"github.com/badgebot/badgebot/bot"
)

// recordSigningKey lists the key of an award being created, in its
// transaction: SigningKeys then names every key awards need.
func (db *DB) recordSigningKey(ctx context.Context, tx queryer, a *bot.Award) error {
	if a.SigningKey == "" {
		return nil
	}
	if _, ok := db.keysListed.Load(a.SigningKey); ok {
		return nil // listed by a committed write before: rows are never removed
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (id, first_award) VALUES (?, ?)
		ON CONFLICT (id) DO NOTHING`, a.SigningKey, a.ID)
	return err
}

// signingKeyListed notes, once the write that recorded it committed, that
// key is listed.
func (db *DB) signingKeyListed(key string) {
	if key != "" {
		db.keysListed.Store(key, struct{}{})
	}
}

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
