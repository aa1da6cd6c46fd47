-- 003_nominations: nominations with supporters and approvals, and the
-- outbox rows that post and update their review messages
-- (storage/migrations/003). Caps, supporters and approvals are checked in
-- transactions that lock the nomination and the people involved
-- (nominations.go), so two replicas cannot both pass a check.

CREATE TABLE nominations (
	id                 BIGINT PRIMARY KEY, -- reserved from counters 'nomination'
	badge              TEXT NOT NULL REFERENCES badges (slug),
	nominee_platform   TEXT NOT NULL,
	nominee_id         TEXT NOT NULL,
	nominator_platform TEXT NOT NULL,
	nominator_id       TEXT NOT NULL,
	reason             TEXT NOT NULL,
	platform           TEXT NOT NULL DEFAULT '',
	channel            TEXT NOT NULL DEFAULT '',
	status             TEXT NOT NULL DEFAULT 'pending'
	                   CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
	created_at         BIGINT NOT NULL,
	decided_at         BIGINT,
	decided_by         TEXT NOT NULL DEFAULT '',
	decision_reason    TEXT NOT NULL DEFAULT '',
	award_id           TEXT REFERENCES awards (id),
	CHECK ((status = 'pending') = (decided_at IS NULL)),
	FOREIGN KEY (nominee_platform, nominee_id) REFERENCES identities (platform, id),
	FOREIGN KEY (nominator_platform, nominator_id) REFERENCES identities (platform, id)
);

CREATE INDEX nominations_pending ON nominations (badge, created_at) WHERE status = 'pending';
CREATE INDEX nominations_nominee ON nominations (nominee_platform, nominee_id);
CREATE INDEX nominations_nominator ON nominations (nominator_platform, nominator_id, created_at);

CREATE TABLE nomination_supporters (
	nomination_id BIGINT NOT NULL REFERENCES nominations (id),
	platform      TEXT NOT NULL,
	id            TEXT NOT NULL,
	reason        TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	PRIMARY KEY (nomination_id, platform, id),
	FOREIGN KEY (platform, id) REFERENCES identities (platform, id)
);

CREATE INDEX nomination_supporters_who ON nomination_supporters (platform, id, created_at);

CREATE TABLE nomination_approvals (
	nomination_id BIGINT NOT NULL REFERENCES nominations (id),
	platform      TEXT NOT NULL,
	id            TEXT NOT NULL,
	created_at    BIGINT NOT NULL,
	PRIMARY KEY (nomination_id, platform, id),
	FOREIGN KEY (platform, id) REFERENCES identities (platform, id)
);

ALTER TABLE outbox ADD COLUMN nomination_id BIGINT REFERENCES nominations (id);

CREATE INDEX outbox_nomination ON outbox (nomination_id) WHERE nomination_id IS NOT NULL;

INSERT INTO counters (name, value) VALUES ('nomination', 0);
