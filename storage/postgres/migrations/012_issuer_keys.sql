-- 012_issuer_keys (PostgreSQL only): the issuer's private signing keys, so
-- that replicas on machines of their own share them without a shared
-- file system (DESIGN §5: "every process publishes every key"). SQLite
-- keeps them in issuer.key_dir. Keys are only ever added; one of each
-- algorithm is current.
CREATE TABLE issuer_keys (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	algorithm  TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	pem        BYTEA NOT NULL,
	current    BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX issuer_keys_current ON issuer_keys (algorithm) WHERE current;
