-- 007_chat_requests: the signed chat requests accepted (Slack commands,
-- clicks and events; Discord interactions), so that each is accepted once
-- even when several replicas share the database. key is a SHA-256 of what
-- the platform signed (or of a Slack event_id); a row is kept until the
-- request's timestamp leaves the signature window, when the window check
-- refuses it anyway, and is pruned after.
CREATE TABLE chat_requests (
	platform   TEXT NOT NULL,
	key        BLOB NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (platform, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX chat_requests_expires ON chat_requests (expires_at);
