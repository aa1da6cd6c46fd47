-- 007_chat_requests: the signed chat requests accepted, so that each is
-- accepted once across replicas (storage/migrations/007).
CREATE TABLE chat_requests (
	platform   TEXT NOT NULL,
	key        BYTEA NOT NULL,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (platform, key)
);

CREATE INDEX chat_requests_expires ON chat_requests (expires_at);
