package postgres

import (
	"context"
	"fmt"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/storage"
	"github.com/jackc/pgx/v5"
)

const badgeCols = `slug, name, description, criteria, image, image_type, owners,
	approvals, repeatable, nominations, created_at, updated_at, program`

// UpsertBadge creates the badge or updates the one with its slug. It sets
// b.CreatedAt (kept from the first time) and b.UpdatedAt.
func (db *DB) UpsertBadge(ctx context.Context, b *bot.Badge) error {
	if err := b.Validate(); err != nil {
		return err
	}
	owners, err := storage.EncodeRecipients(b.Owners)
	if err != nil {
		return fmt.Errorf("storage: badge %s: %w", b.Slug, err)
	}
	imageType := b.ImageType
	if len(b.Image) == 0 {
		imageType = ""
	}
	now := millis(db.now())
	var created, updated int64
	defer db.changes.Add(1) // after the commit (IssuerSource.Changes)
	err = db.pool.QueryRow(ctx, `INSERT INTO badges (`+badgeCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)
		ON CONFLICT (slug) DO UPDATE SET
			name = excluded.name, description = excluded.description,
			criteria = excluded.criteria, image = excluded.image,
			image_type = excluded.image_type, owners = excluded.owners,
			approvals = excluded.approvals, repeatable = excluded.repeatable,
			nominations = excluded.nominations, updated_at = excluded.updated_at,
			program = excluded.program
		RETURNING created_at, updated_at`,
		b.Slug, b.Name, b.Description, b.Criteria, nilIfEmpty(b.Image), imageType, owners,
		b.Approvals, b.Repeatable, b.Nominations, now, b.Program).Scan(&created, &updated)
	if err != nil {
		return dbError(err, "save badge "+b.Slug)
	}
	b.CreatedAt, b.UpdatedAt = fromMillis(created), fromMillis(updated)
	return nil
}

// Badge returns the badge with the slug, or ENOTFOUND.
func (db *DB) Badge(ctx context.Context, slug string) (*bot.Badge, error) {
	b, err := scanBadge(db.pool.QueryRow(ctx, `SELECT `+badgeCols+` FROM badges WHERE slug = $1`, slug))
	if err != nil {
		return nil, dbError(err, fmt.Sprintf("badge %q", slug))
	}
	return b, nil
}

// Badges returns every badge, by slug.
func (db *DB) Badges(ctx context.Context) ([]*bot.Badge, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+badgeCols+` FROM badges ORDER BY slug`)
	if err != nil {
		return nil, dbError(err, "list badges")
	}
	bs, err := collect(rows, func(r pgx.CollectableRow) (*bot.Badge, error) { return scanBadge(r) })
	if err != nil {
		return nil, dbError(err, "list badges")
	}
	return bs, nil
}

func scanBadge(s pgx.Row) (*bot.Badge, error) {
	var b bot.Badge
	var owners string
	var created, updated int64
	err := s.Scan(&b.Slug, &b.Name, &b.Description, &b.Criteria, &b.Image, &b.ImageType,
		&owners, &b.Approvals, &b.Repeatable, &b.Nominations, &created, &updated, &b.Program)
	if err != nil {
		return nil, err
	}
	if b.Owners, err = storage.DecodeRecipients(owners); err != nil {
		return nil, fmt.Errorf("badge %s: owners: %w", b.Slug, err)
	}
	if len(b.Image) == 0 {
		b.Image = nil
	}
	b.CreatedAt, b.UpdatedAt = fromMillis(created), fromMillis(updated)
	return &b, nil
}
