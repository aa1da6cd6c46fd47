-- 008_private_handles (mirrors SQLite's): people known only by an e-mail
-- address are numbered ("person-<id>"), and a replaced handle redirects to
-- its person's current one and is never given to anyone else. A PostgreSQL
-- database never held address-derived handles (it started after this
-- change, or was copied from a SQLite one already migrated), so only the
-- table is made here.
CREATE TABLE handle_redirects (
	old_handle TEXT NOT NULL,
	person_id  BIGINT NOT NULL REFERENCES people (id)
);
CREATE UNIQUE INDEX handle_redirects_old ON handle_redirects ((lower(old_handle)));
CREATE INDEX handle_redirects_person ON handle_redirects (person_id);
