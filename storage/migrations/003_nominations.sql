-- 003_nominations: nominations with supporters and approvals, and the
-- outbox rows that post and update their review messages.
--
-- People are reached through identities (nominee, nominator, supporter,
-- approver), never stored as person ids: LinkIdentities moves identities
-- between people, and "the same person" is asked at read time.

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

CREATE INDEX nominations_pending ON nominations (badge, created_at) WHERE status = 'pending';
CREATE INDEX nominations_nominee ON nominations (nominee_platform, nominee_id);
CREATE INDEX nominations_nominator ON nominations (nominator_platform, nominator_id, created_at);

-- Supporters nominated the same person for the same badge while it was
-- pending; each counts towards their weekly cap.
CREATE TABLE nomination_supporters (
	nomination_id INTEGER NOT NULL REFERENCES nominations (id),
	platform      TEXT NOT NULL,
	id            TEXT NOT NULL,
	reason        TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (nomination_id, platform, id),
	FOREIGN KEY (platform, id) REFERENCES identities (platform, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX nomination_supporters_who ON nomination_supporters (platform, id, created_at);

-- One row per approver; a badge needing N approvals needs N people.
CREATE TABLE nomination_approvals (
	nomination_id INTEGER NOT NULL REFERENCES nominations (id),
	platform      TEXT NOT NULL,
	id            TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (nomination_id, platform, id),
	FOREIGN KEY (platform, id) REFERENCES identities (platform, id)
) STRICT, WITHOUT ROWID;

-- Review messages (kind 'nomination') and their updates
-- ('nomination-update') belong to a nomination. Once a review row is
-- delivered, its platform, channel and message_id are where the review is
-- edited. Rows made pointless by a decision are settled without posting:
-- delivered_at set, message_id empty, last_error saying why.
ALTER TABLE outbox ADD COLUMN nomination_id INTEGER REFERENCES nominations (id);

CREATE INDEX outbox_nomination ON outbox (nomination_id) WHERE nomination_id IS NOT NULL;

INSERT INTO counters (name, value) VALUES ('nomination', 0);
