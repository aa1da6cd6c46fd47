-- /metrics (Stats) counts awards by source and deliveries by source and
-- outcome at every scrape. Counted from the tables, each scrape read every
-- row, and a delivery's outcome columns sit after its body, at the end of
-- its overflow pages: on a database of 30,000 deliveries a scrape cost
-- about 70 ms of CPU. These indexes answer the counts alone, without a
-- write more per award or per delivery:
-- awards_program gains the source (the start's program check reads its
-- prefix as before);
DROP INDEX awards_program;
CREATE INDEX awards_program ON awards (program, source);
-- the pending deliveries' index gains the source (and processed_at, always
-- null there, which SQLite needs to see to read the index alone);
DROP INDEX deliveries_pending;
CREATE INDEX deliveries_pending ON deliveries (id, source, processed_at) WHERE processed_at IS NULL;
-- and deliveries processed with a problem get a partial index of their
-- own (a pending delivery's problem is a placeholder, so it is not in it:
-- storing or completing a delivery without a problem writes nothing here).
CREATE INDEX deliveries_problem ON deliveries (source, processed_at, problem) WHERE processed_at IS NOT NULL AND problem != '';

-- events_kind_person (kind, person_id, occurred_at) served only a
-- person's events, which events_person_kind (person_id, kind, ...) serves
-- as well: each event stored wrote one index more than it needed.
DROP INDEX events_kind_person;
