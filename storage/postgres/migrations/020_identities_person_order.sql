-- Mirrors SQLite's 020: a person is read with their identities in the
-- order they came (personSelect). The index holds the order and what the
-- read takes, so the identities come from it in order, without a sort.
DROP INDEX identities_person;
CREATE INDEX identities_person ON identities (person_id, created_at, platform, id) INCLUDE (name, verified);
