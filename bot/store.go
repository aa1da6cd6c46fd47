package bot

import (
	"context"
	"time"
)

// BadgeStore keeps badge definitions.
type BadgeStore interface {
	// UpsertBadge creates the badge or updates the one with its slug.
	UpsertBadge(ctx context.Context, b *Badge) error
	// Badge returns ENOTFOUND when no badge has the slug.
	Badge(ctx context.Context, slug string) (*Badge, error)
	Badges(ctx context.Context) ([]*Badge, error)
}

// PersonStore keeps people and their identities.
type PersonStore interface {
	// EnsurePerson returns the person owning the identity, creating the
	// person and the identity when nobody has it yet.
	EnsurePerson(ctx context.Context, r Recipient, name string) (*Person, error)
	// PersonByRecipient returns ENOTFOUND when nobody has the identity.
	PersonByRecipient(ctx context.Context, r Recipient) (*Person, error)
	// PersonByHandle returns ENOTFOUND when no person has the handle.
	PersonByHandle(ctx context.Context, handle string) (*Person, error)
	// LinkIdentities joins the people owning a and b into one person (the
	// one owning a survives); awards and events follow.
	LinkIdentities(ctx context.Context, a, b Recipient) (*Person, error)
}

// AwardStore keeps awards and writes their announcements to the outbox.
type AwardStore interface {
	// ReserveStatusIndexes reserves n consecutive fresh indexes in the
	// revocation status list and returns the first.
	ReserveStatusIndexes(ctx context.Context, n int) (int, error)
	// CreateAward stores the award and its announcements in one
	// transaction. It returns ECONFLICT when the badge is not repeatable and
	// the person already holds it unrevoked.
	CreateAward(ctx context.Context, a *Award, repeatable bool, out []Announcement) error
	// Award returns ENOTFOUND when no award has the id.
	Award(ctx context.Context, id string) (*Award, error)
	// Awards lists the awards f selects, newest first. A listed award
	// carries no signed documents (Credential and JWT are empty, 2–3 KB
	// an award no listing shows); Award reads them.
	Awards(ctx context.Context, f AwardFilter) ([]*Award, error)
	// RevokeAward marks the award revoked and writes the announcements in
	// one transaction. It returns ECONFLICT when it is already revoked.
	RevokeAward(ctx context.Context, id, reason, by string, at time.Time, out []Announcement) (*Award, error)
}

// OutboxStore hands announcements to the delivery worker.
type OutboxStore interface {
	// DueAnnouncements returns undelivered announcements due at or before now.
	DueAnnouncements(ctx context.Context, now time.Time, limit int) ([]Announcement, error)
	MarkDelivered(ctx context.Context, id int64, messageID string, at time.Time) error
	MarkFailed(ctx context.Context, id int64, errText string, next time.Time) error
}

// Store is everything the core keeps.
type Store interface {
	BadgeStore
	PersonStore
	AwardStore
	OutboxStore
}
