-- 008_private_handles: a person known only by an e-mail address (email: or
-- bugzilla:) got the address's local part as public handle, which tells
-- part of the address to anyone. Such people are numbered now
-- ("person-<id>", as new ones are), and their old handle redirects to the
-- new one, so that links to /people/<old handle> keep working; a freed
-- handle is never given to anyone else.
--
-- A handle counts as derived from an address (an e-mail identity's, or a
-- chat name's that was one) when it is the address's local part as the old code made it (lower case, '+' turned into '-',
-- dots, dashes and underscores trimmed), possibly with the "-N" suffix of
-- a taken handle, and no other identity of the person (a GitHub login, a
-- chat id or name) gives the same handle.
CREATE TABLE handle_redirects (
	old_handle TEXT PRIMARY KEY COLLATE NOCASE,
	person_id  INTEGER NOT NULL REFERENCES people (id)
) STRICT;

CREATE INDEX handle_redirects_person ON handle_redirects (person_id);

INSERT INTO handle_redirects (old_handle, person_id)
SELECT p.handle, p.id FROM people p
WHERE EXISTS (
	SELECT 1 FROM (
		SELECT trim(replace(lower(substr(i.id, 1, instr(i.id, '@') - 1)), '+', '-'), '.-_') AS local
		FROM identities i
		WHERE i.person_id = p.id AND i.platform IN ('email', 'bugzilla') AND instr(i.id, '@') > 1
		UNION ALL -- a chat name that was an address
		SELECT trim(replace(lower(substr(i.name, 1, instr(i.name, '@') - 1)), '+', '-'), '.-_')
		FROM identities i
		WHERE i.person_id = p.id AND i.platform NOT IN ('email', 'bugzilla', 'github') AND instr(i.name, '@') > 1
	) AS l
	WHERE l.local <> '' AND (p.handle = l.local OR p.handle GLOB l.local || '-[0-9]*')
)
AND NOT EXISTS (
	SELECT 1 FROM identities i
	WHERE i.person_id = p.id AND i.platform NOT IN ('email', 'bugzilla')
	AND (lower(i.id) = lower(p.handle) OR lower(i.name) = lower(p.handle))
);

-- The display name was the handle when no name was known.
UPDATE people SET name = 'person-' || id
WHERE id IN (SELECT person_id FROM handle_redirects) AND name = handle;

-- person-<id> is free unless a chat name took it; then a random suffix.
UPDATE people SET handle = 'person-' || id
WHERE id IN (SELECT person_id FROM handle_redirects)
AND NOT EXISTS (SELECT 1 FROM people o WHERE o.handle = 'person-' || people.id);

UPDATE people SET handle = 'person-' || id || '-' || lower(hex(randomblob(3)))
WHERE id IN (SELECT person_id FROM handle_redirects) AND handle IN (SELECT old_handle FROM handle_redirects);

-- A display name that is an e-mail address (a chat name, say) is shown no
-- more either: the handle stands in for it.
UPDATE people SET name = handle
WHERE name GLOB '*[A-Za-z0-9_.+-]@[A-Za-z0-9-]*.[A-Za-z][A-Za-z]*';
