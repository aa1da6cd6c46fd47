-- 005_scheduled: the state of the scheduled jobs (criteria sweeps, rule
-- health, backfill, digest) and the index the sweeps read events by.

-- Sweeps stream the events of the kinds rules count person by person. An
-- index that covers what rules test lets them read it in order instead of
-- fetching a million rows scattered over the table; the rest of an event
-- (URL, title, actor) is read only for the evidence of an award. It also
-- serves PersonEvents and LinkIdentities, which used events_person.
DROP INDEX events_person;
CREATE INDEX events_person_kind ON events
	(person_id, kind, occurred_at, received_at, private, repository, product, component);

-- job_state holds small JSON documents of the jobs: 'sweep' (the highest
-- event id swept, the fingerprint of the rules, the last full sweep) and
-- 'health' (per rule the newest match and what was reported, per event
-- kind and field how often it was present).
CREATE TABLE job_state (
	name       TEXT PRIMARY KEY,
	state      TEXT NOT NULL, -- JSON
	updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- One row per backfill source: "github:owner/repo", "bugzilla:Product".
-- cursor is the since of the next run; blocked_until holds a rate limit
-- or an outage: the source is not asked before then.
CREATE TABLE backfill_sources (
	source        TEXT PRIMARY KEY,
	cursor        INTEGER,          -- NULL: never completed a run
	blocked_until INTEGER,
	last_run      INTEGER,
	last_error    TEXT NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;

-- One row per posted digest. period is the ISO week of the digest
-- schedule's previous run ("2026-W48"), unique so that a digest is posted
-- once per period across restarts and concurrent runs; a forced digest
-- adds "2026-W48+force1", "+force2"… Its announcements are queued in the
-- same transaction.
CREATE TABLE digest_runs (
	period     TEXT PRIMARY KEY,
	week       TEXT NOT NULL,
	since      INTEGER NOT NULL,
	until      INTEGER NOT NULL,
	posted     INTEGER NOT NULL, -- announcements queued
	created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX digest_runs_week ON digest_runs (week);
