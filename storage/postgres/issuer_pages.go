package postgres

import (
	"context"
	"fmt"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
	"github.com/jackc/pgx/v5"
)

var _ issuer.PageSource = (*IssuerSource)(nil)

// earnerSelect reads awards as the community pages list them.
const earnerSelect = `SELECT a.id, p.handle, a.issued_at, b.slug, b.name, b.image, b.image_type
	FROM awards a JOIN people p ON p.id = a.person_id JOIN badges b ON b.slug = a.badge
	WHERE NOT a.revoked`

// RecentAwards returns the latest unrevoked awards, newest first.
func (s *IssuerSource) RecentAwards(ctx context.Context, limit int) ([]issuer.Earner, error) {
	return s.earners(ctx, "recent awards", earnerSelect+` ORDER BY a.issued_at DESC, a.id LIMIT $1`, limit)
}

// Earners returns one page of a badge's unrevoked awards, newest first,
// and how many there are.
func (s *IssuerSource) Earners(ctx context.Context, slug string, offset, limit int) ([]issuer.Earner, int, error) {
	var total int
	if err := s.db.pool.QueryRow(ctx, `SELECT count(*) FROM awards WHERE badge = $1 AND NOT revoked`, slug).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("storage: earners of %q: %w", slug, err)
	}
	es, err := s.earners(ctx, "earners of "+slug,
		earnerSelect+` AND a.badge = $1 ORDER BY a.issued_at DESC, a.id LIMIT $2 OFFSET $3`, slug, limit, offset)
	return es, total, err
}

func (s *IssuerSource) earners(ctx context.Context, what, q string, args ...any) ([]issuer.Earner, error) {
	rows, err := s.db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (issuer.Earner, error) {
		var e issuer.Earner
		var issued int64
		err := r.Scan(&e.AwardID, &e.Handle, &issued, &e.Badge.Slug, &e.Badge.Name, &e.Badge.Image, &e.Badge.ImageType)
		e.IssuedAt = fromMillis(issued)
		normaliseImage(&e.Badge)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("storage: %s: %w", what, err)
	}
	return out, nil
}

// PopularBadges returns the badges with the most unrevoked awards, most
// first, ties by slug.
func (s *IssuerSource) PopularBadges(ctx context.Context, limit int) ([]issuer.BadgeCount, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT `+achievementCols+`, n FROM (
			SELECT b.*, (SELECT count(*) FROM awards a WHERE a.badge = b.slug AND NOT a.revoked) AS n FROM badges b
		) b WHERE n > 0 ORDER BY n DESC, slug LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: popular badges: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (issuer.BadgeCount, error) {
		var c issuer.BadgeCount
		a := &c.Badge
		err := r.Scan(&a.Slug, &a.Name, &a.Description, &a.Criteria, &a.Image, &a.ImageType, &a.Program, &c.Awards)
		normaliseImage(a)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("storage: popular badges: %w", err)
	}
	return out, nil
}

// Leaderboard returns one page of the people with the most unrevoked
// awards (most first, ties by handle), leaving out people whose announce
// setting is off, and how many people it has in all.
func (s *IssuerSource) Leaderboard(ctx context.Context, offset, limit int) ([]issuer.Leader, int, error) {
	const from = ` FROM awards a JOIN people p ON p.id = a.person_id
		WHERE NOT a.revoked AND p.announce <> $1`
	var total int
	if err := s.db.pool.QueryRow(ctx, `SELECT count(DISTINCT p.id)`+from, bot.AnnounceOff).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("storage: leaderboard: %w", err)
	}
	rows, err := s.db.pool.Query(ctx, `SELECT p.handle, count(*) AS n`+from+`
		GROUP BY p.id, p.handle ORDER BY n DESC, p.handle LIMIT $2 OFFSET $3`, bot.AnnounceOff, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("storage: leaderboard: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (issuer.Leader, error) {
		var l issuer.Leader
		err := r.Scan(&l.Handle, &l.Awards)
		return l, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: leaderboard: %w", err)
	}
	return out, total, nil
}
