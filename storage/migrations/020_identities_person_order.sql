-- 020_identities_person_order: a person is read with their identities in
-- the order they came (personSelect), for every award and most chat
-- commands. identities_person held only the person: SQLite looked each
-- identity up in the table and sorted them in a temporary b-tree. It now
-- holds what the query reads, in the order it reads it, and is read alone.
DROP INDEX identities_person;
CREATE INDEX identities_person ON identities (person_id, created_at, platform, id, name, verified);
