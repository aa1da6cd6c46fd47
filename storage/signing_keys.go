package storage

import (
	"context"
	"fmt"
	"sync"

	"github.com/badgebot/badgebot/bot"
)

// ListedKeys remembers the signing keys whose signing_keys row this
// process saw committed: an award signed with one needs no write for it,
// since rows are never removed. Both stores keep one.
type ListedKeys struct{ m sync.Map }

// Needs reports whether an award signed with key must list it.
func (l *ListedKeys) Needs(key string) bool {
	if key == "" {
		return false
	}
	_, listed := l.m.Load(key)
	return !listed
}

// Committed notes, once the write that listed key committed, that it is
// listed.
func (l *ListedKeys) Committed(key string) {
	if key != "" {
		l.m.Store(key, struct{}{})
	}
}

// recordSigningKey lists the key of an award being created, in its
// transaction: SigningKeys then names every key awards need.
func (db *DB) recordSigningKey(ctx context.Context, tx queryer, a *bot.Award) error {
	if !db.keysListed.Needs(a.SigningKey) {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (id, first_award) VALUES (?, ?)
		ON CONFLICT (id) DO NOTHING`, a.SigningKey, a.ID)
	return err
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
