package postgres

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/badgebot/badgebot/issuer"
	"github.com/badgebot/badgebot/storage"
	"github.com/jackc/pgx/v5"
)

// IssuerSource reads what the hosted Open Badges routes serve.
type IssuerSource struct {
	db      *DB
	baseURL string
}

var _ issuer.Source = (*IssuerSource)(nil)
var _ issuer.ChangeCounter = (*IssuerSource)(nil)

// Changes counts the revocations, links and badge edits made through this
// database handle, each counted once committed, so that the hosted routes
// drop what they rendered before. Another replica's are not counted.
func (s *IssuerSource) Changes() uint64 { return s.db.Changes() }

// Changes counts the revocations, links and badge edits made through this
// database handle, each counted once committed (IssuerSource.Changes, and
// the rules' kept badges).
func (db *DB) Changes() uint64 { return db.changes.Load() }

// IssuerSource returns the issuer.Source of the database; holders' pages
// hang off baseURL as baseURL+"/people/"+handle.
func (db *DB) IssuerSource(baseURL string) *IssuerSource {
	return &IssuerSource{db: db, baseURL: strings.TrimRight(baseURL, "/")}
}

const achievementCols = `slug, name, description, criteria, image, image_type, program`

// Achievement returns the badge with the slug; a missing one wraps
// issuer.ErrNotFound.
func (s *IssuerSource) Achievement(ctx context.Context, slug string) (issuer.Achievement, error) {
	a, err := scanAchievement(s.db.pool.QueryRow(ctx, `SELECT `+achievementCols+` FROM badges WHERE slug = $1`, slug))
	if err == pgx.ErrNoRows {
		return a, fmt.Errorf("storage: badge %q: %w", slug, issuer.ErrNotFound)
	} else if err != nil {
		return a, fmt.Errorf("storage: badge %q: %w", slug, err)
	}
	return a, nil
}

// Achievements returns every badge, by slug.
func (s *IssuerSource) Achievements(ctx context.Context) ([]issuer.Achievement, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT `+achievementCols+` FROM badges ORDER BY slug`)
	if err != nil {
		return nil, fmt.Errorf("storage: list badges: %w", err)
	}
	as, err := collect(rows, func(r pgx.CollectableRow) (issuer.Achievement, error) { return scanAchievement(r) })
	if err != nil {
		return nil, fmt.Errorf("storage: list badges: %w", err)
	}
	return as, nil
}

// Award returns the award with its badge, its signed forms and its
// holder. A missing award wraps issuer.ErrNotFound.
func (s *IssuerSource) Award(ctx context.Context, id string) (issuer.Award, error) {
	const q = `SELECT a.id, a.issued_at, a.evidence, a.narrative, a.status_index,
			a.identity_type, a.identity, a.salt, a.credential, a.jwt,
			a.revoked, a.revoked_at, a.revocation_reason, a.program, a.badge,
			b.name, b.description, b.criteria, b.image, b.image_type, p.handle
		FROM awards a JOIN badges b ON b.slug = a.badge JOIN people p ON p.id = a.person_id
		WHERE a.id = $1`
	var a issuer.Award
	var issued int64
	var revokedAt *int64
	var evidence, handle string
	err := s.db.pool.QueryRow(ctx, q, id).Scan(&a.ID, &issued, &evidence, &a.Narrative, &a.StatusIndex,
		&a.Recipient.Type, &a.Recipient.Identity, &a.Recipient.Salt, &a.Credential, &a.JWT,
		&a.Revoked, &revokedAt, &a.RevocationReason, &a.Program,
		&a.Badge.Slug, &a.Badge.Name, &a.Badge.Description, &a.Badge.Criteria, &a.Badge.Image, &a.Badge.ImageType,
		&handle)
	if err == pgx.ErrNoRows {
		return issuer.Award{}, fmt.Errorf("storage: award %q: %w", id, issuer.ErrNotFound)
	} else if err != nil {
		return issuer.Award{}, fmt.Errorf("storage: award %q: %w", id, err)
	}
	if a.Evidence, err = storage.DecodeEvidence(evidence); err != nil {
		return issuer.Award{}, fmt.Errorf("storage: award %q: evidence: %w", id, err)
	}
	a.IssuedAt, a.RevokedAt = fromMillis(issued), fromNullMillis(revokedAt)
	a.Holder = handle
	a.HolderURL = s.baseURL + "/people/" + url.PathEscape(handle)
	if len(a.Credential) == 0 {
		a.Credential = nil
	}
	normaliseImage(&a.Badge)
	a.Badge.Program = a.Program // the badge as it was issued
	return a, nil
}

// Revocations lists every revoked award, by status index.
func (s *IssuerSource) Revocations(ctx context.Context) ([]issuer.Revocation, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT id, program, status_index, revoked_at, revocation_reason
		FROM awards WHERE revoked ORDER BY status_index`)
	if err != nil {
		return nil, fmt.Errorf("storage: list revocations: %w", err)
	}
	rs, err := collect(rows, func(r pgx.CollectableRow) (issuer.Revocation, error) {
		var rv issuer.Revocation
		var at *int64
		err := r.Scan(&rv.AwardID, &rv.Program, &rv.StatusIndex, &at, &rv.Reason)
		rv.RevokedAt = fromNullMillis(at)
		return rv, err
	})
	if err != nil {
		return nil, fmt.Errorf("storage: list revocations: %w", err)
	}
	return rs, nil
}

// LastStatusIndex returns the highest status index of any award, or -1.
func (s *IssuerSource) LastStatusIndex(ctx context.Context) (int, error) {
	var n int
	if err := s.db.pool.QueryRow(ctx, `SELECT coalesce(max(status_index), -1) FROM awards`).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: last status index: %w", err)
	}
	return n, nil
}

func scanAchievement(s pgx.Row) (issuer.Achievement, error) {
	var a issuer.Achievement
	err := s.Scan(&a.Slug, &a.Name, &a.Description, &a.Criteria, &a.Image, &a.ImageType, &a.Program)
	normaliseImage(&a)
	return a, err
}

func normaliseImage(a *issuer.Achievement) {
	if len(a.Image) == 0 {
		a.Image, a.ImageType = nil, ""
	}
}
