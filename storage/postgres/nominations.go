package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/jackc/pgx/v5"
)

var _ bot.NominationStore = (*DB)(nil)

// Nominations across replicas: every write to a nomination first locks its
// row (requirePending), so supporters, approvals and the decision of one
// nomination are checked and written one at a time; a check that counts a
// person's nominations and supports (the weekly cap, a pending nomination
// of the nominee) first locks that person's row (lockPeople).

// NextNominationID reserves a fresh nomination id: 1, 2, 3…
func (db *DB) NextNominationID(ctx context.Context) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `UPDATE counters SET value = value + 1 WHERE name = 'nomination' RETURNING value`).Scan(&id)
	if err != nil {
		return 0, dbError(err, "reserve a nomination id")
	}
	return id, nil
}

// CreateNomination stores a pending nomination with the reserved n.ID and
// queues its review messages, in one transaction (see the SQLite store).
func (db *DB) CreateNomination(ctx context.Context, n *bot.Nomination, limit bot.NominationLimit, reviews []bot.Announcement) error {
	what := fmt.Sprintf("nominate %s for %s", n.Nominee, n.Badge)
	if n.ID <= 0 {
		return bot.Errorf(bot.EINVALID, "%s: the nomination has no id", what)
	}
	if err := n.Validate(); err != nil {
		return err
	}
	created := fromMillis(millis(db.orNow(n.CreatedAt)))
	saved := slices.Clone(reviews)
	var nomineePID, nominatorPID int64
	err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		copy(saved, reviews)
		now := db.now()
		var err error
		if nomineePID, err = ensurePerson(ctx, tx, n.Nominee, n.NomineeName, now); err != nil {
			return err
		}
		if nominatorPID, err = ensurePerson(ctx, tx, n.Nominator, n.NominatorName, now); err != nil {
			return err
		}
		if err := lockPeople(ctx, tx, nomineePID, nominatorPID); err != nil {
			return err
		}
		if nomineePID, err = personOf(ctx, tx, n.Nominee); err != nil {
			return err
		}
		if nominatorPID, err = personOf(ctx, tx, n.Nominator); err != nil {
			return err
		}
		if nomineePID == nominatorPID {
			return bot.Errorf(bot.EINVALID, "nobody can nominate themselves")
		}
		var badges int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM badges WHERE slug = $1`, n.Badge).Scan(&badges); err != nil {
			return err
		}
		if badges == 0 {
			return bot.Errorf(bot.ENOTFOUND, "badge %q: no such badge", n.Badge)
		}
		var pending int64
		err = tx.QueryRow(ctx, `SELECT n.id FROM nominations n
			JOIN identities i ON i.platform = n.nominee_platform AND i.id = n.nominee_id
			WHERE n.badge = $1 AND n.status = 'pending' AND i.person_id = $2 LIMIT 1`, n.Badge, nomineePID).Scan(&pending)
		if err == nil {
			return bot.Errorf(bot.ECONFLICT, "%s has a pending nomination for %s already (#%d)", n.Nominee, n.Badge, pending)
		} else if err != pgx.ErrNoRows {
			return err
		}
		var repeatable bool
		if err := tx.QueryRow(ctx, `SELECT repeatable FROM badges WHERE slug = $1`, n.Badge).Scan(&repeatable); err != nil {
			return err
		}
		if !repeatable {
			// The nominee's person is locked: an award to them waits.
			var held string
			err := tx.QueryRow(ctx, `SELECT id FROM awards WHERE badge = $1 AND person_id = $2 AND NOT revoked LIMIT 1`, n.Badge, nomineePID).Scan(&held)
			if err == nil {
				return bot.Errorf(bot.ECONFLICT, "%s already holds the badge %s (award %s)", n.Nominee, n.Badge, held)
			} else if err != pgx.ErrNoRows {
				return err
			}
		}
		if err := checkLimit(ctx, tx, nominatorPID, limit); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO nominations (id, badge, nominee_platform, nominee_id,
				nominator_platform, nominator_id, reason, platform, channel, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10)`,
			n.ID, n.Badge, n.Nominee.Platform, n.Nominee.ID, n.Nominator.Platform, n.Nominator.ID,
			n.Reason, n.Platform, n.Channel, millis(created))
		if err != nil {
			return err
		}
		return insertNominationAnnouncements(ctx, tx, n.ID, saved, now)
	})
	if err != nil {
		return dbError(err, what)
	}
	copy(reviews, saved)
	n.NomineePersonID, n.NominatorPersonID = nomineePID, nominatorPID
	n.Status, n.CreatedAt = bot.NominationPending, created
	return nil
}

// AddSupporter adds s as a supporter of the pending nomination id and
// rewrites its review messages, in one transaction.
func (db *DB) AddSupporter(ctx context.Context, id int64, s bot.Endorsement, limit bot.NominationLimit, review bot.ReviewRefresh) error {
	if err := s.Who.Validate(); err != nil {
		return err
	}
	err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		now := db.now()
		if err := requirePending(ctx, tx, id); err != nil {
			return err
		}
		pid, err := ensurePerson(ctx, tx, s.Who, s.Name, now)
		if err != nil {
			return err
		}
		if err := lockPeople(ctx, tx, pid); err != nil {
			return err
		}
		if pid, err = personOf(ctx, tx, s.Who); err != nil {
			return err
		}
		var role string
		err = tx.QueryRow(ctx, `SELECT role FROM (
				SELECT 'nominee' AS role, i.person_id AS person FROM nominations n
					JOIN identities i ON i.platform = n.nominee_platform AND i.id = n.nominee_id WHERE n.id = $1
				UNION ALL SELECT 'nominator', i.person_id FROM nominations n
					JOIN identities i ON i.platform = n.nominator_platform AND i.id = n.nominator_id WHERE n.id = $1
				UNION ALL SELECT 'supporter', i.person_id FROM nomination_supporters s
					JOIN identities i ON i.platform = s.platform AND i.id = s.id WHERE s.nomination_id = $1) r
			WHERE person = $2 ORDER BY role != 'nominee' LIMIT 1`, id, pid).Scan(&role)
		switch {
		case err == nil && role == "nominee":
			return bot.Errorf(bot.EINVALID, "nobody can support their own nomination")
		case err == nil:
			return bot.Errorf(bot.ECONFLICT, "%s backs nomination #%d already", s.Who, id)
		case err != pgx.ErrNoRows:
			return err
		}
		if err := checkLimit(ctx, tx, pid, limit); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO nomination_supporters (nomination_id, platform, id, reason, created_at)
			VALUES ($1, $2, $3, $4, $5)`, id, s.Who.Platform, s.Who.ID, s.Reason, millis(db.orNow(s.At)))
		if err != nil {
			return err
		}
		return refreshReviews(ctx, tx, id, review, now)
	})
	return dbError(err, fmt.Sprintf("support nomination #%d", id))
}

// AddApproval records an approval that does not decide the nomination yet
// and rewrites its review messages, in one transaction (see the SQLite
// store). The nomination's row lock orders approvals of it, so the count
// checked is the count written to.
func (db *DB) AddApproval(ctx context.Context, id int64, a bot.Endorsement, seen, need int, review bot.ReviewRefresh) error {
	if err := a.Who.Validate(); err != nil {
		return err
	}
	via := bot.OriginOf(ctx).Via
	err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		now := db.now()
		if err := requirePending(ctx, tx, id); err != nil {
			return err
		}
		if err := checkApprovals(ctx, tx, id, seen, need); err != nil {
			return err
		}
		if err := insertApproval(ctx, tx, id, a, now); err != nil {
			return err
		}
		if err := auditDecision(ctx, tx, id, bot.AuditApprove, a.Who.String(), via, db.orNow(a.At), ""); err != nil {
			return err
		}
		return refreshReviews(ctx, tx, id, review, now)
	})
	return dbError(err, fmt.Sprintf("approve nomination #%d", id))
}

// DecideNomination ends a pending nomination, in one transaction (see the
// SQLite store). Of two replicas deciding one nomination, the second waits
// for the first's lock and gets ECONFLICT.
func (db *DB) DecideNomination(ctx context.Context, d *bot.NominationDecision) error {
	return db.decide(ctx, d, nil, false, nil)
}

// ApproveNomination approves pending nomination d.ID with the award a it
// makes, in one transaction (see the SQLite store).
func (db *DB) ApproveNomination(ctx context.Context, d *bot.NominationDecision, a *bot.Award, repeatable bool, out []bot.Announcement) error {
	if d.Status != bot.NominationApproved || a == nil || d.AwardID != a.ID {
		return bot.Errorf(bot.EINVALID, "nomination #%d: an approval needs its award", d.ID)
	}
	return db.decide(ctx, d, a, repeatable, out)
}

func (db *DB) decide(ctx context.Context, d *bot.NominationDecision, a *bot.Award, repeatable bool, out []bot.Announcement) error {
	switch d.Status {
	case bot.NominationApproved, bot.NominationRejected, bot.NominationExpired:
	default:
		return bot.Errorf(bot.EINVALID, "nomination #%d: cannot decide it as %q", d.ID, d.Status)
	}
	by := "badgebot"
	if !d.By.IsZero() {
		if err := d.By.Validate(); err != nil {
			return err
		}
		by = d.By.String()
	}
	var ins *awardInsert
	if a != nil {
		var err error
		if ins, err = db.prepareAward(a, repeatable, out); err != nil {
			return err
		}
	}
	var event []bot.Event
	notices := slices.Clone(d.Notices)
	via := bot.OriginOf(ctx).Via
	err := db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		copy(notices, d.Notices)
		event = nil
		if d.Event != nil {
			event = []bot.Event{*d.Event}
		}
		now := db.now()
		at := db.orNow(d.At)
		if err := requirePending(ctx, tx, d.ID); err != nil {
			return err
		}
		if d.Approve && !d.By.IsZero() {
			if err := insertApproval(ctx, tx, d.ID, bot.Endorsement{Who: d.By, Name: d.ByName, At: at}, now); err != nil {
				return err
			}
		} else if !d.By.IsZero() {
			if _, err := ensurePerson(ctx, tx, d.By, d.ByName, now); err != nil {
				return err
			}
		}
		if d.Status == bot.NominationApproved && d.Need > 0 {
			var have int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM nomination_approvals WHERE nomination_id = $1`, d.ID).Scan(&have); err != nil {
				return err
			}
			if have < d.Need {
				return bot.Errorf(bot.ECONFLICT, "nomination #%d has %d of the %d approvals it needs", d.ID, have, d.Need)
			}
		}
		if ins != nil { // before the nomination names it
			if err := ins.insert(ctx, tx, now); err != nil {
				return err
			}
		}
		var award *string
		if d.AwardID != "" {
			award = &d.AwardID
		}
		_, err := tx.Exec(ctx, `UPDATE nominations SET status = $1, decided_at = $2, decided_by = $3,
				decision_reason = $4, award_id = $5 WHERE id = $6 AND status = 'pending'`,
			d.Status, millis(at), by, d.Reason, award, d.ID)
		if err != nil {
			return err
		}
		action := map[string]string{bot.NominationApproved: bot.AuditApprove, bot.NominationRejected: bot.AuditReject,
			bot.NominationExpired: bot.AuditExpire}[d.Status]
		if err := auditDecision(ctx, tx, d.ID, action, by, via, at, d.Reason); err != nil {
			return err
		}
		if len(event) > 0 {
			if err := insertEvents(ctx, tx, event[0].Source, 0, event, nil, at, now); err != nil {
				return err
			}
		}
		rr := d.Review
		rr.Final = true
		if err := refreshReviews(ctx, tx, d.ID, rr, now); err != nil {
			return err
		}
		return insertNominationAnnouncements(ctx, tx, d.ID, notices, now)
	})
	if err != nil {
		return dbError(err, fmt.Sprintf("decide nomination #%d", d.ID))
	}
	if ins != nil {
		ins.done(out)
	}
	if d.Event != nil {
		*d.Event = event[0]
	}
	copy(d.Notices, notices)
	return nil
}

// requirePending locks nomination id and returns ENOTFOUND or ECONFLICT
// unless it is pending.
func requirePending(ctx context.Context, tx pgx.Tx, id int64) error {
	var status string
	err := tx.QueryRow(ctx, `SELECT status FROM nominations WHERE id = $1 FOR UPDATE`, id).Scan(&status)
	if err == pgx.ErrNoRows {
		return bot.Errorf(bot.ENOTFOUND, "nomination #%d: no such nomination", id)
	} else if err != nil {
		return err
	}
	if status != bot.NominationPending {
		return bot.Errorf(bot.ECONFLICT, "nomination #%d was %s already", id, status)
	}
	return nil
}

// checkApprovals returns ECONFLICT unless nomination id (locked) has seen
// approvals and one more leaves it short of need: such an approval is
// recorded alone, the deciding one only with its award.
func checkApprovals(ctx context.Context, tx pgx.Tx, id int64, seen, need int) error {
	var have int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM nomination_approvals WHERE nomination_id = $1`, id).Scan(&have); err != nil {
		return err
	}
	switch {
	case have != seen:
		return bot.Errorf(bot.ECONFLICT, "nomination #%d has %d approvals now, not %d", id, have, seen)
	case have+1 >= need:
		return bot.Errorf(bot.ECONFLICT, "nomination #%d: this approval makes the %d it needs, so it decides", id, need)
	}
	return nil
}

// insertApproval records a's approval of nomination id unless a's person
// approved it already (ECONFLICT). The nomination is locked.
func insertApproval(ctx context.Context, tx pgx.Tx, id int64, a bot.Endorsement, now time.Time) error {
	pid, err := ensurePerson(ctx, tx, a.Who, a.Name, now)
	if err != nil {
		return err
	}
	var n int
	err = tx.QueryRow(ctx, `SELECT count(*) FROM nomination_approvals a
		JOIN identities i ON i.platform = a.platform AND i.id = a.id
		WHERE a.nomination_id = $1 AND i.person_id = $2`, id, pid).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return bot.Errorf(bot.ECONFLICT, "%s approved nomination #%d already", a.Who, id)
	}
	at := a.At
	if at.IsZero() {
		at = now
	}
	_, err = tx.Exec(ctx, `INSERT INTO nomination_approvals (nomination_id, platform, id, created_at)
		VALUES ($1, $2, $3, $4)`, id, a.Who.Platform, a.Who.ID, millis(at))
	return err
}

// checkLimit returns ELIMIT when the person made limit.Max or more
// nominations and supports after limit.Since. The person is locked.
func checkLimit(ctx context.Context, q querier, personID int64, limit bot.NominationLimit) error {
	if limit.Max <= 0 {
		return nil
	}
	n, _, err := countBacking(ctx, q, personID, limit.Since)
	if err != nil {
		return err
	}
	if n >= limit.Max {
		return bot.Errorf(bot.ELIMIT, "%d nominations and supports in the last week reach the cap of %d", n, limit.Max)
	}
	return nil
}

// countBacking counts a person's nominations and supports made after a
// time, and returns the oldest one's time.
func countBacking(ctx context.Context, q querier, personID int64, since time.Time) (int, time.Time, error) {
	var n int
	var oldest *int64
	err := q.QueryRow(ctx, `SELECT count(*), min(t) FROM (
			SELECT n.created_at AS t FROM nominations n
				JOIN identities i ON i.platform = n.nominator_platform AND i.id = n.nominator_id
				WHERE i.person_id = $1 AND n.created_at > $2
			UNION ALL SELECT s.created_at FROM nomination_supporters s
				JOIN identities i ON i.platform = s.platform AND i.id = s.id
				WHERE i.person_id = $1 AND s.created_at > $2) b`, personID, millis(since)).Scan(&n, &oldest)
	return n, fromNullMillis(oldest), err
}

// refreshReviews makes the review messages of nomination id read as
// rr.Message (see the SQLite store).
func refreshReviews(ctx context.Context, tx pgx.Tx, id int64, rr bot.ReviewRefresh, now time.Time) error {
	msg, err := json.Marshal(rr.Message)
	if err != nil {
		return fmt.Errorf("review message: %w", err)
	}
	if rr.Final {
		_, err = tx.Exec(ctx, `UPDATE outbox SET delivered_at = $1, last_error = 'not posted: the nomination was decided'
			WHERE nomination_id = $2 AND kind IN ($3, $4) AND delivered_at IS NULL`,
			millis(now), id, bot.KindNomination, bot.KindNominationUpdate)
	} else {
		if _, err = tx.Exec(ctx, `UPDATE outbox SET message = $1 WHERE nomination_id = $2 AND kind = $3 AND delivered_at IS NULL`,
			string(msg), id, bot.KindNomination); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE outbox SET delivered_at = $1, last_error = 'not posted: a later update replaced it'
			WHERE nomination_id = $2 AND kind = $3 AND delivered_at IS NULL`, millis(now), id, bot.KindNominationUpdate)
	}
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT platform, channel, message_id FROM outbox
		WHERE nomination_id = $1 AND kind = $2 AND delivered_at IS NOT NULL AND message_id != '' ORDER BY id`,
		id, bot.KindNomination)
	if err != nil {
		return err
	}
	var updates []bot.Announcement
	for rows.Next() {
		var platform, channel, messageID string
		if err := rows.Scan(&platform, &channel, &messageID); err != nil {
			rows.Close()
			return err
		}
		if platform == rr.SkipPlatform && messageID == rr.SkipMessageID {
			continue
		}
		updates = append(updates, bot.Announcement{Platform: platform, Channel: channel, Kind: bot.KindNominationUpdate, Message: rr.Message})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return insertNominationAnnouncements(ctx, tx, id, updates, now)
}

// insertNominationAnnouncements queues out as belonging to nomination id.
func insertNominationAnnouncements(ctx context.Context, tx pgx.Tx, id int64, out []bot.Announcement, now time.Time) error {
	if err := insertAnnouncements(ctx, tx, out, "", now); err != nil {
		return err
	}
	for _, a := range out {
		if _, err := tx.Exec(ctx, `UPDATE outbox SET nomination_id = $1 WHERE id = $2`, id, a.ID); err != nil {
			return err
		}
	}
	return nil
}
