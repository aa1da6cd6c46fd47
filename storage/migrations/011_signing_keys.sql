-- 011_signing_keys: the keys that signed awards, so that a start with a
-- key directory that lacks one of them is refused instead of making new
-- keys under which every earlier award fails verification.
--
-- id is the signing key's publicKeyMultibase ("z6Mk…"); first_award the
-- first award it signed. CreateAward adds the row in the award's own
-- transaction.
CREATE TABLE signing_keys (
	id          TEXT PRIMARY KEY,
	first_award TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Awards made before this migration: the key is the end of their proof's
-- verificationMethod, "…/issuer#z6Mk…" or "…/issuer/keys/z6Mk…".
INSERT INTO signing_keys (id, first_award)
SELECT key, min(id)
FROM (
	SELECT id, CASE
		WHEN instr(vm, '#') > 0 THEN substr(vm, instr(vm, '#') + 1)
		WHEN instr(vm, '/issuer/keys/') > 0 THEN substr(vm, instr(vm, '/issuer/keys/') + length('/issuer/keys/'))
		END AS key
	FROM (
		SELECT id, coalesce(
			json_extract(CAST(credential AS TEXT), '$.proof[0].verificationMethod'),
			json_extract(CAST(credential AS TEXT), '$.proof.verificationMethod')) AS vm
		FROM awards
		WHERE credential IS NOT NULL AND json_valid(CAST(credential AS TEXT))
	)
)
WHERE key <> ''
GROUP BY key;
