-- 017_deliveries_body_last: the body becomes the last column of a
-- delivery's row. Completing a delivery sets processed_at and problem,
-- which came after the body: they sat at the end of the row, on the last
-- of its overflow pages, so every completion wrote that page to the WAL
-- and, at the next checkpoint, to the database file again (about 4 KB of
-- each per delivery, and a third of the one writer's time on the update).
-- Before the body they sit in the row's first part, on the table's own
-- page, which holds the rows of a dozen deliveries.
--
-- SQLite moves a column only by rebuilding the table; events refer to
-- deliveries, so this runs with foreign key enforcement off, and commits
-- only once every reference is whole (migrate.go).
-- badgebot: foreign_keys off
CREATE TABLE deliveries_new (
	id            INTEGER PRIMARY KEY,
	source        TEXT NOT NULL,
	delivery_id   TEXT NOT NULL,
	type          TEXT NOT NULL,
	received_at   INTEGER NOT NULL,
	processed_at  INTEGER,
	problem       TEXT NOT NULL DEFAULT '',
	body_encoding TEXT NOT NULL DEFAULT '',
	body          BLOB NOT NULL,
	UNIQUE (source, delivery_id)
) STRICT;
INSERT INTO deliveries_new (id, source, delivery_id, type, received_at, processed_at, problem, body_encoding, body)
	SELECT id, source, delivery_id, type, received_at, processed_at, problem, body_encoding, body FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_pending ON deliveries (id, source, processed_at) WHERE processed_at IS NULL;
CREATE INDEX deliveries_problem ON deliveries (source, processed_at, problem) WHERE processed_at IS NOT NULL AND problem != '';
