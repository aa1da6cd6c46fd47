-- Mirrors SQLite's 016: the indexes /metrics counts from (awards by
-- program and source, pending deliveries with their source, deliveries
-- processed with a problem), and events_kind_person dropped, since
-- events_person_kind serves a person's events.
DROP INDEX awards_program;
CREATE INDEX awards_program ON awards (program, source);
DROP INDEX deliveries_pending;
CREATE INDEX deliveries_pending ON deliveries (id, source) WHERE processed_at IS NULL;
CREATE INDEX deliveries_problem ON deliveries (source) WHERE processed_at IS NOT NULL AND problem != '';
DROP INDEX events_kind_person;
