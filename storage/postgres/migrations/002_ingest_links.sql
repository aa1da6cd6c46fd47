-- 002_ingest_links: background processing of stored deliveries, and the
-- one-time codes of the identity-proof flow (storage/migrations/002).

ALTER TABLE deliveries ADD COLUMN processed_at BIGINT;
ALTER TABLE deliveries ADD COLUMN problem TEXT NOT NULL DEFAULT '';

CREATE INDEX deliveries_pending ON deliveries (id) WHERE processed_at IS NULL;

CREATE TABLE link_codes (
	code               TEXT PRIMARY KEY,
	requester_platform TEXT NOT NULL,
	requester_id       TEXT NOT NULL,
	target_platform    TEXT NOT NULL,
	target_id          TEXT NOT NULL,
	created_at         BIGINT NOT NULL,
	expires_at         BIGINT NOT NULL
);

CREATE INDEX link_codes_expiry ON link_codes (expires_at);
