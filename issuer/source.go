package issuer

import "context"

// Source is what the hosted routes read. Storage implements it; errors for
// missing objects wrap ErrNotFound.
type Source interface {
	Achievement(ctx context.Context, slug string) (Achievement, error)
	Achievements(ctx context.Context) ([]Achievement, error)
	// Award returns the award with its signed Credential and JWT and the
	// public Holder fields.
	Award(ctx context.Context, id string) (Award, error)
	// Revocations lists every revoked award.
	Revocations(ctx context.Context) ([]Revocation, error)
	// LastStatusIndex returns the highest StatusIndex given to any award,
	// revoked or not, or -1 when nothing was issued yet. The status list
	// route serves list n only when n <= LastStatusIndex/StatusListSize + 1.
	LastStatusIndex(ctx context.Context) (int, error)
}
