-- 011_signing_keys (storage/migrations/011): the signing keys awards were
-- signed with, each with its first award. Filled by `migrate --from`;
-- awards made on PostgreSQL do not record their key here yet.
CREATE TABLE signing_keys (
	id          TEXT PRIMARY KEY,
	first_award TEXT NOT NULL
);
