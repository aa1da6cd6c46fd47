package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/badgebot/badgebot/bot"
)

const badgeCols = `slug, name, description, criteria, image, image_type, owners,
	approvals, repeatable, nominations, created_at, updated_at, program`

// UpsertBadge creates the badge or updates the one with its slug. It sets
// b.CreatedAt (kept from the first time) and b.UpdatedAt.
func (db *DB) UpsertBadge(ctx context.Context, b *bot.Badge) error {
	if err := b.Validate(); err != nil {
		return err
	}
	owners, err := encodeRecipients(b.Owners)
	if err != nil {
		return fmt.Errorf("storage: badge %s: %w", b.Slug, err)
	}
	imageType := b.ImageType
	if len(b.Image) == 0 {
		imageType = ""
	}
	now := millis(db.now())
	const q = `INSERT INTO badges (` + badgeCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (slug) DO UPDATE SET
			name = excluded.name, description = excluded.description,
			criteria = excluded.criteria, image = excluded.image,
			image_type = excluded.image_type, owners = excluded.owners,
			approvals = excluded.approvals, repeatable = excluded.repeatable,
			nominations = excluded.nominations, updated_at = excluded.updated_at,
			program = excluded.program
		RETURNING created_at, updated_at`
	var created, updated int64
	defer db.changes.Add(1) // after the commit (IssuerSource.Changes)
	err = db.write(ctx, func(ctx context.Context, tx queryer) error {
		return tx.QueryRowContext(ctx, q, b.Slug, b.Name, b.Description, b.Criteria,
			nilIfEmpty(b.Image), imageType, owners, b.Approvals, b.Repeatable, b.Nominations,
			now, now, b.Program).Scan(&created, &updated)
	})
	if err != nil {
		return dbError(err, "save badge "+b.Slug)
	}
	b.CreatedAt, b.UpdatedAt = fromMillis(created), fromMillis(updated)
	return nil
}

// Badge returns the badge with the slug, or ENOTFOUND.
func (db *DB) Badge(ctx context.Context, slug string) (*bot.Badge, error) {
	b, err := scanBadge(db.r.QueryRowContext(ctx, `SELECT `+badgeCols+` FROM badges WHERE slug = ?`, slug))
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("badge %q", slug))
	}
	return b, nil
}

// Badges returns every badge, by slug.
func (db *DB) Badges(ctx context.Context) ([]*bot.Badge, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+badgeCols+` FROM badges ORDER BY slug`)
	if err != nil {
		return nil, dbError(err, "list badges")
	}
	defer rows.Close()
	var bs []*bot.Badge
	for rows.Next() {
		b, err := scanBadge(rows)
		if err != nil {
			return nil, dbError(err, "list badges")
		}
		bs = append(bs, b)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "list badges")
	}
	return bs, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanBadge(s scanner) (*bot.Badge, error) {
	var b bot.Badge
	var owners string
	var created, updated int64
	err := s.Scan(&b.Slug, &b.Name, &b.Description, &b.Criteria, &b.Image, &b.ImageType,
		&owners, &b.Approvals, &b.Repeatable, &b.Nominations, &created, &updated, &b.Program)
	if err != nil {
		return nil, err
	}
	if b.Owners, err = decodeRecipients(owners); err != nil {
		return nil, fmt.Errorf("badge %s: owners: %w", b.Slug, err)
	}
	if len(b.Image) == 0 {
		b.Image = nil
	}
	b.CreatedAt, b.UpdatedAt = fromMillis(created), fromMillis(updated)
	return &b, nil
}

// encodeRecipients stores recipients as a JSON array of "PLATFORM:ID".
func encodeRecipients(rs []bot.Recipient) (string, error) {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = r.String()
	}
	buf, err := json.Marshal(ss)
	return string(buf), err
}

func decodeRecipients(s string) ([]bot.Recipient, error) {
	var ss []string
	if err := json.Unmarshal([]byte(s), &ss); err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, nil
	}
	rs := make([]bot.Recipient, len(ss))
	for i, s := range ss {
		platform, id, ok := strings.Cut(s, ":")
		if !ok {
			return nil, fmt.Errorf("recipient %q: want PLATFORM:ID", s)
		}
		rs[i] = bot.Recipient{Platform: platform, ID: id}
	}
	return rs, nil
}

// nilIfEmpty stores an empty byte slice as NULL.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
