CREATE TABLE audit (
	id            INTEGER PRIMARY KEY,
	at            INTEGER NOT NULL,
	action        TEXT NOT NULL
	              CHECK (action IN ('award', 'approve', 'reject', 'expire', 'revoke', 'link')),
	by            TEXT NOT NULL, -- PLATFORM:ID, cli, api or badgebot
	via           TEXT NOT NULL DEFAULT '',
	badge         TEXT NOT NULL DEFAULT '',
	subject       TEXT NOT NULL DEFAULT '', -- recipient, nominee, or the linked identities
	award_id      TEXT NOT NULL DEFAULT '',
	nomination_id INTEGER,
	detail        TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE awards (
	id                 TEXT PRIMARY KEY,
	badge              TEXT NOT NULL REFERENCES badges (slug),
	person_id          INTEGER NOT NULL REFERENCES people (id),
	recipient_platform TEXT NOT NULL,
	recipient_id       TEXT NOT NULL,
	issued_at          INTEGER NOT NULL,
	evidence           TEXT NOT NULL DEFAULT '[]', -- JSON array of objects
	narrative          TEXT NOT NULL DEFAULT '',
	source             TEXT NOT NULL,
	source_ref         TEXT NOT NULL DEFAULT '',
	awarded_by         TEXT NOT NULL DEFAULT '',
	status_index       INTEGER NOT NULL UNIQUE CHECK (status_index >= 0),
	identity_type      TEXT NOT NULL,
	identity           TEXT NOT NULL,
	salt               TEXT NOT NULL,
	credential         BLOB,
	jwt                TEXT NOT NULL DEFAULT '',
	-- exclusive is 1 when the award holds its badge's once-per-person place:
	-- it was made while the badge was not repeatable. Two people merged by
	-- LinkIdentities may bring the same badge twice; the moved award is kept
	-- with exclusive = 0.
	exclusive          INTEGER NOT NULL CHECK (exclusive IN (0, 1)),
	revoked            INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
	revoked_at         INTEGER,
	revocation_reason  TEXT NOT NULL DEFAULT '',
	revoked_by         TEXT NOT NULL DEFAULT '', awarded_via TEXT NOT NULL DEFAULT '', revoked_via TEXT NOT NULL DEFAULT '', program TEXT NOT NULL DEFAULT '',
	FOREIGN KEY (recipient_platform, recipient_id) REFERENCES identities (platform, id)
) STRICT;

CREATE TABLE backfill_sources (
	source        TEXT PRIMARY KEY,
	cursor        INTEGER,          -- NULL: never completed a run
	blocked_until INTEGER,
	last_run      INTEGER,
	last_error    TEXT NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;

CREATE TABLE badges (
	slug        TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	description TEXT NOT NULL,
	criteria    TEXT NOT NULL,
	image       BLOB,
	image_type  TEXT NOT NULL DEFAULT '',
	owners      TEXT NOT NULL DEFAULT '[]', -- JSON array of "PLATFORM:ID"
	approvals   INTEGER NOT NULL DEFAULT 1 CHECK (approvals >= 1),
	repeatable  INTEGER NOT NULL DEFAULT 0 CHECK (repeatable IN (0, 1)),
	nominations INTEGER NOT NULL DEFAULT 1 CHECK (nominations IN (0, 1)),
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
, program TEXT NOT NULL DEFAULT '') STRICT;

CREATE TABLE chat_requests (
	platform   TEXT NOT NULL,
	key        BLOB NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (platform, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE "deliveries" (
	id            INTEGER PRIMARY KEY,
	source        TEXT NOT NULL,
	delivery_id   TEXT NOT NULL,
	type          TEXT NOT NULL,
	received_at   INTEGER NOT NULL,
	processed_at  INTEGER,
	problem       TEXT NOT NULL DEFAULT '',
	body_encoding TEXT NOT NULL DEFAULT '',
	body          BLOB NOT NULL, extract BLOB,
	UNIQUE (source, delivery_id)
) STRICT;

CREATE TABLE digest_runs (
	period     TEXT PRIMARY KEY,
	week       TEXT NOT NULL,
	since      INTEGER NOT NULL,
	until      INTEGER NOT NULL,
	posted     INTEGER NOT NULL, -- announcements queued
	created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE events (
	id             INTEGER PRIMARY KEY,
	source         TEXT NOT NULL,
	kind           TEXT NOT NULL,
	key            TEXT NOT NULL,
	actor_platform TEXT NOT NULL,
	actor_id       TEXT NOT NULL,
	actor_name     TEXT NOT NULL DEFAULT '',
	person_id      INTEGER NOT NULL REFERENCES people (id),
	repository     TEXT NOT NULL DEFAULT '',
	product        TEXT NOT NULL DEFAULT '',
	component      TEXT NOT NULL DEFAULT '',
	url            TEXT NOT NULL DEFAULT '',
	title          TEXT NOT NULL DEFAULT '',
	private        INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
	occurred_at    INTEGER NOT NULL,
	received_at    INTEGER NOT NULL,
	delivery       INTEGER REFERENCES deliveries (id), -- NULL: from a backfill
	UNIQUE (kind, key),
	FOREIGN KEY (actor_platform, actor_id) REFERENCES identities (platform, id)
) STRICT;

CREATE TABLE handle_redirects (
	old_handle TEXT PRIMARY KEY COLLATE NOCASE,
	person_id  INTEGER NOT NULL REFERENCES people (id)
) STRICT;

CREATE TABLE identities (
	platform   TEXT NOT NULL,
	id         TEXT NOT NULL,
	person_id  INTEGER NOT NULL REFERENCES people (id),
	name       TEXT NOT NULL DEFAULT '',
	verified   INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
	created_at INTEGER NOT NULL,
	PRIMARY KEY (platform, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE job_state (
	name       TEXT PRIMARY KEY,
	state      TEXT NOT NULL, -- JSON
	updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE link_codes (
	code               TEXT PRIMARY KEY,
	requester_platform TEXT NOT NULL,
	requester_id       TEXT NOT NULL,
	target_platform    TEXT NOT NULL,
	target_id          TEXT NOT NULL,
	created_at         INTEGER NOT NULL,
	expires_at         INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE nomination_approvals (
	nomination_id INTEGER NOT NULL REFERENCES nominations (id),
	platform      TEXT NOT NULL,
	id            TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (nomination_id, platform, id),
	FOREIGN KEY (platform, id) REFERENCES identities (platform, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE nomination_supporters (
	nomination_id INTEGER NOT NULL REFERENCES nominations (id),
	platform      TEXT NOT NULL,
	id            TEXT NOT NULL,
	reason        TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (nomination_id, platform, id),
	FOREIGN KEY (platform, id) REFERENCES identities (platform, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE nominations (
	id                 INTEGER PRIMARY KEY, -- reserved from counters 'nomination'
	badge              TEXT NOT NULL REFERENCES badges (slug),
	nominee_platform   TEXT NOT NULL,
	nominee_id         TEXT NOT NULL,
	nominator_platform TEXT NOT NULL,
	nominator_id       TEXT NOT NULL,
	reason             TEXT NOT NULL,
	platform           TEXT NOT NULL DEFAULT '', -- where it was made
	channel            TEXT NOT NULL DEFAULT '',
	status             TEXT NOT NULL DEFAULT 'pending'
	                   CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
	created_at         INTEGER NOT NULL,
	decided_at         INTEGER,
	decided_by         TEXT NOT NULL DEFAULT '', -- PLATFORM:ID, or badgebot
	decision_reason    TEXT NOT NULL DEFAULT '',
	award_id           TEXT REFERENCES awards (id),
	CHECK ((status = 'pending') = (decided_at IS NULL)),
	FOREIGN KEY (nominee_platform, nominee_id) REFERENCES identities (platform, id),
	FOREIGN KEY (nominator_platform, nominator_id) REFERENCES identities (platform, id)
) STRICT;

CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY,
	platform     TEXT NOT NULL,
	channel      TEXT NOT NULL,
	kind         TEXT NOT NULL,
	award_id     TEXT REFERENCES awards (id),
	message      TEXT NOT NULL, -- JSON of bot.Message
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	delivered_at INTEGER,
	message_id   TEXT NOT NULL DEFAULT '',
	last_error   TEXT NOT NULL DEFAULT ''
, nomination_id INTEGER REFERENCES nominations (id)) STRICT;

CREATE TABLE people (
	id         INTEGER PRIMARY KEY,
	handle     TEXT NOT NULL UNIQUE COLLATE NOCASE,
	name       TEXT NOT NULL DEFAULT '',
	announce   TEXT NOT NULL DEFAULT 'public' CHECK (announce IN ('public', 'dm', 'off')),
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE schema_migrations (
		name       TEXT PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT;

CREATE TABLE signing_keys (
	id          TEXT PRIMARY KEY,
	first_award TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX audit_at ON audit (at);

CREATE INDEX awards_badge ON awards (badge, issued_at);

CREATE INDEX awards_badge_person ON awards (badge, person_id, issued_at);

CREATE INDEX awards_identity ON awards (recipient_platform, recipient_id);

CREATE UNIQUE INDEX awards_once ON awards (badge, person_id) WHERE exclusive AND NOT revoked;

CREATE INDEX awards_person ON awards (person_id, issued_at);

CREATE INDEX awards_program ON awards (program, source);

CREATE INDEX awards_revoked ON awards (status_index) WHERE revoked;

CREATE INDEX chat_requests_expires ON chat_requests (expires_at);

CREATE INDEX deliveries_pending ON deliveries (id, source, processed_at) WHERE processed_at IS NULL;

CREATE INDEX deliveries_problem ON deliveries (source, processed_at, problem) WHERE processed_at IS NOT NULL AND problem != '';

CREATE INDEX digest_runs_week ON digest_runs (week);

CREATE INDEX events_delivery ON events (delivery) WHERE delivery IS NOT NULL;

CREATE INDEX events_person_kind ON events
	(person_id, kind, occurred_at, received_at, private, repository, product, component);

CREATE INDEX handle_redirects_person ON handle_redirects (person_id);

CREATE INDEX identities_person ON identities (person_id, created_at, platform, id, name, verified);

CREATE INDEX link_codes_expiry ON link_codes (expires_at);

CREATE INDEX nomination_supporters_who ON nomination_supporters (platform, id, created_at);

CREATE INDEX nominations_nominator ON nominations (nominator_platform, nominator_id, created_at);

CREATE INDEX nominations_nominee ON nominations (nominee_platform, nominee_id);

CREATE INDEX nominations_pending ON nominations (badge, created_at) WHERE status = 'pending';

CREATE INDEX outbox_award ON outbox (award_id) WHERE award_id IS NOT NULL;

CREATE INDEX outbox_due ON outbox (next_attempt) WHERE delivered_at IS NULL;

CREATE INDEX outbox_nomination ON outbox (nomination_id) WHERE nomination_id IS NOT NULL;

