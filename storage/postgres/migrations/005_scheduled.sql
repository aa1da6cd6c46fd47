-- 005_scheduled: the state of the scheduled jobs and the index sweeps read
-- events by (storage/migrations/005).

DROP INDEX events_person;
CREATE INDEX events_person_kind ON events
	(person_id, kind, occurred_at, received_at, private, repository, product, component);

CREATE TABLE job_state (
	name       TEXT PRIMARY KEY,
	state      TEXT NOT NULL, -- JSON
	updated_at BIGINT NOT NULL
);

CREATE TABLE backfill_sources (
	source        TEXT PRIMARY KEY,
	cursor        BIGINT,
	blocked_until BIGINT,
	last_run      BIGINT,
	last_error    TEXT NOT NULL DEFAULT ''
);

-- period is unique: two replicas recording one week's digest cannot both
-- succeed.
CREATE TABLE digest_runs (
	period     TEXT PRIMARY KEY,
	week       TEXT NOT NULL,
	since      BIGINT NOT NULL,
	until      BIGINT NOT NULL,
	posted     INTEGER NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE INDEX digest_runs_week ON digest_runs (week);
