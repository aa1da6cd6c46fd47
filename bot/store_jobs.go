package bot

import (
	"context"
	"time"
)

// SweepState is what criteria sweeps remember between runs.
type SweepState struct {
	// LastEventID is the highest event id the last sweep saw: the next
	// incremental sweep looks at the people with later events.
	LastEventID int64
	// Fingerprint identifies the rules (and their badges' repeatable
	// flags) the last sweep ran; a change means a full sweep.
	Fingerprint string
	FullAt      time.Time // the last full sweep
	SweptAt     time.Time // the last sweep
}

// PersonSelection selects the people a sweep reads: the listed IDs, or,
// when IDs is nil, those with After < id <= Through.
type PersonSelection struct {
	IDs            []int64
	After, Through int64
}

// HeldAward is an award, held or revoked, as a sweep sees it.
type HeldAward struct {
	PersonID int64
	Badge    string
	Revoked  bool
	// EvidenceURLs are the URLs of the award's evidence, read only for
	// the badges the caller asked for (repeatable ones).
	EvidenceURLs []string
}

// SweepStore is what criteria sweeps read and keep.
type SweepStore interface {
	// SweepBounds returns the highest event id and person id stored.
	SweepBounds(ctx context.Context) (maxEventID, maxPersonID int64, err error)
	// PeopleWithEventsAfter returns, ascending, the people with an event
	// whose id is in (after, through].
	PeopleWithEventsAfter(ctx context.Context, after, through int64) ([]int64, error)
	// ScanPersonEvents calls fn once for each selected person with events
	// of the given kinds, people ascending. The events need carry only
	// what rules test: ID, Kind, PersonID, Repository, Product, Component,
	// Private, OccurredAt and ReceivedAt. fn must not keep the slice: it
	// is reused once fn returns.
	ScanPersonEvents(ctx context.Context, sel PersonSelection, kinds []string, fn func(personID int64, events []Event) error) error
	// FillEvents sets, by ID, the rest of events read by ScanPersonEvents:
	// Source, Key, Actor, ActorName, URL and Title.
	FillEvents(ctx context.Context, events []Event) error
	// HeldAwards returns the awards of the selected people, revoked ones
	// too (a revoked award is never made again from its evidence), with
	// the evidence URLs of the badges listed in withEvidence.
	HeldAwards(ctx context.Context, sel PersonSelection, withEvidence []string) ([]HeldAward, error)
	// SweepState returns the zero state before the first sweep.
	SweepState(ctx context.Context) (SweepState, error)
	SaveSweepState(ctx context.Context, st SweepState) error
	// Readers is how many reads the store serves at once. A sweep reads
	// at most half as many blocks of people at once: each may run a
	// second read (FillEvents) while its scan holds a first.
	Readers() int
}

// BackfillSource is the state of one backfill source, "github:owner/repo"
// or "bugzilla:Product".
type BackfillSource struct {
	Name         string
	Cursor       time.Time // since of the next run; zero: never completed
	BlockedUntil time.Time // rate limited or unavailable until then
	LastRun      time.Time
	LastError    string
}

// BackfillStore keeps what backfills find and their cursors.
type BackfillStore interface {
	// StoreEvents stores events without a delivery, skipping those whose
	// kind and key are stored, and returns the new ones with ID and
	// PersonID set.
	StoreEvents(ctx context.Context, events []Event) ([]Event, error)
	// BackfillSource returns the state of a source (the zero state with
	// its name before its first run).
	BackfillSource(ctx context.Context, name string) (BackfillSource, error)
	SaveBackfillSource(ctx context.Context, s BackfillSource) error
	// Enqueue queues announcements that belong to no award (the summary).
	Enqueue(ctx context.Context, out []Announcement) error
}

// DigestAward is an award as the digest lists it.
type DigestAward struct {
	ID        string
	Badge     string
	PersonID  int64
	Recipient Recipient
	IssuedAt  time.Time
	// First is set when it is the person's first unrevoked award ever.
	First bool
}

// DigestRun records a posted digest.
type DigestRun struct {
	Week   string // ISO week of the digest schedule's previous run, "2026-W48"
	Period string // the unique key: Week, or Week+"+forceN" for a forced one (set by the store)
	Since  time.Time
	Until  time.Time
	Posted int // announcements queued
	Forced bool
}

// DigestStore is what the digest reads and records.
type DigestStore interface {
	// DigestAwards returns the unrevoked awards issued in [since, until),
	// by badge and time.
	DigestAwards(ctx context.Context, since, until time.Time) ([]DigestAward, error)
	// DigestPosted reports whether a digest was recorded for the week.
	DigestPosted(ctx context.Context, week string) (bool, error)
	// RecordDigest records run and queues its announcements in one
	// transaction, setting run.Period. Unless run.Forced it returns
	// ECONFLICT, changing nothing, when the week has a digest already.
	RecordDigest(ctx context.Context, run *DigestRun, out []Announcement) error
	Nominations(ctx context.Context, f NominationFilter) ([]*Nomination, error)
	PersonByID(ctx context.Context, id int64) (*Person, error)
	PersonByRecipient(ctx context.Context, r Recipient) (*Person, error)
	Badge(ctx context.Context, slug string) (*Badge, error)
}

// KindHealth is the outbox kind of rule-health reports to admins.
const KindHealth = "health"

// HealthFields lists the watched fields.
var HealthFields = []string{FieldURL, FieldRepository, FieldProduct, FieldComponent}

// RuleHealth is what rule health remembers of one rule.
type RuleHealth struct {
	FirstSeen time.Time // when the check first saw the rule
	LastMatch time.Time // received time of the newest matching event
	Reported  bool      // its silence was reported and has not ended
}

// FieldHealth is how often one field of one event kind was present.
type FieldHealth struct {
	Present, Missing int64
	// Healthy is set when the last batch of events judged had the field
	// (nearly) always: a batch without it then is a sudden change.
	Healthy  bool
	Reported bool // its absence was reported and has not ended
}

// HealthState is what rule health remembers between checks.
type HealthState struct {
	// CheckedEventID is the highest event id whose fields were counted.
	CheckedEventID int64
	Rules          map[string]RuleHealth  // by rule name
	Fields         map[string]FieldHealth // by "KIND FIELD"
}

// FieldStat counts the events of one kind in a range of ids and, per
// watched field, those of them where it is empty.
type FieldStat struct {
	Kind    string
	Total   int64
	Missing map[string]int64 // by field
}

// HealthStore keeps the state of rule health.
type HealthStore interface {
	// HealthState returns the zero state before the first check.
	HealthState(ctx context.Context) (HealthState, error)
	// EventFieldStats counts, per kind, the events with an id above after
	// and the empty watched fields among them; through is the highest id
	// counted (after when there is none).
	EventFieldStats(ctx context.Context, after int64) (stats []FieldStat, through int64, err error)
	// SaveHealth stores the state and queues the reports in one
	// transaction, so that a problem is reported once.
	SaveHealth(ctx context.Context, st HealthState, out []Announcement) error
}

// ImportStore is what an import needs beyond the Service's store: the
// outbox for the one summary.
type ImportStore interface {
	Enqueue(ctx context.Context, out []Announcement) error
}

// Event fields rule health watches: the ones rules filter on, and the URL
// every award's evidence links to.
const (
	FieldURL        = "url"
	FieldRepository = "repository"
	FieldProduct    = "product"
	FieldComponent  = "component"
)
