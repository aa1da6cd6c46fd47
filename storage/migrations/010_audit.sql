-- 010_audit: the audit trail. Who awarded, approved, rejected, revoked and
-- linked what, when, and from where (a chat platform, the CLI, the API, a
-- rule, a backfill). Each action writes its row in its own transaction.

-- Where an award was made and revoked: a platform name or cli, api, rule,
-- backfill; '' when not known.
ALTER TABLE awards ADD COLUMN awarded_via TEXT NOT NULL DEFAULT '';
ALTER TABLE awards ADD COLUMN revoked_via TEXT NOT NULL DEFAULT '';

CREATE TABLE audit (
	id            INTEGER PRIMARY KEY,
	at            INTEGER NOT NULL,
	action        TEXT NOT NULL
	              CHECK (action IN ('award', 'approve', 'reject', 'expire', 'revoke', 'link')),
	by            TEXT NOT NULL, -- PLATFORM:ID, cli, api or badgebot
	via           TEXT NOT NULL DEFAULT '',
	badge         TEXT NOT NULL DEFAULT '',
	subject       TEXT NOT NULL DEFAULT '', -- recipient, nominee, or the linked identities
	award_id      TEXT NOT NULL DEFAULT '',
	nomination_id INTEGER,
	detail        TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_at ON audit (at);

-- What happened before the trail was kept, from what the tables recorded.
-- Where it came from is a guess only where it cannot be wrong: a rule, the
-- API, the CLI; a chat identity's platform for what it did. Links made
-- before cannot be told apart.
UPDATE awards SET awarded_via = CASE
		WHEN source IN ('rule', 'api') THEN source
		WHEN awarded_by IN ('cli', 'api') THEN awarded_by
		WHEN instr(awarded_by, ':') > 0 THEN substr(awarded_by, 1, instr(awarded_by, ':') - 1)
		ELSE '' END;
UPDATE awards SET revoked_via = CASE
		WHEN revoked_by IN ('cli', 'api') THEN revoked_by
		WHEN instr(revoked_by, ':') > 0 THEN substr(revoked_by, 1, instr(revoked_by, ':') - 1)
		ELSE '' END
	WHERE revoked;

INSERT INTO audit (at, action, by, via, badge, subject, award_id, nomination_id, detail)
	SELECT issued_at, 'award', awarded_by, awarded_via, badge, recipient_platform || ':' || recipient_id, id,
		CASE WHEN source = 'nomination' THEN CAST(source_ref AS INTEGER) END,
		CASE WHEN source = 'rule' THEN source_ref ELSE '' END
	FROM awards;
INSERT INTO audit (at, action, by, via, badge, subject, nomination_id)
	SELECT a.created_at, 'approve', a.platform || ':' || a.id, a.platform, n.badge,
		n.nominee_platform || ':' || n.nominee_id, n.id
	FROM nomination_approvals a JOIN nominations n ON n.id = a.nomination_id;
INSERT INTO audit (at, action, by, via, badge, subject, nomination_id, detail)
	SELECT decided_at, CASE status WHEN 'rejected' THEN 'reject' ELSE 'expire' END, decided_by,
		CASE WHEN status = 'expired' THEN 'schedule'
			WHEN instr(decided_by, ':') > 0 THEN substr(decided_by, 1, instr(decided_by, ':') - 1)
			ELSE '' END,
		badge, nominee_platform || ':' || nominee_id, id, decision_reason
	FROM nominations WHERE status IN ('rejected', 'expired');
INSERT INTO audit (at, action, by, via, badge, subject, award_id, detail)
	SELECT revoked_at, 'revoke', revoked_by, revoked_via, badge, recipient_platform || ':' || recipient_id, id, revocation_reason
	FROM awards WHERE revoked;
