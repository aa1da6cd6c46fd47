package storetest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// nominationAward is the award approving nomination n makes, and the
// decision that goes with it: approved by who, needing need approvals.
func nominationAward(t testing.TB, db DB, n *bot.Nomination, who string, need int) (*bot.NominationDecision, *bot.Award) {
	t.Helper()
	a := newAward(t, db, n.Badge, n.Nominee)
	a.Source, a.SourceRef = bot.SourceNomination, strconv.FormatInt(n.ID, 10)
	d := &bot.NominationDecision{
		ID: n.ID, Status: bot.NominationApproved, By: recipient(t, who), At: t0,
		AwardID: a.ID, Approve: true, Need: need,
	}
	return d, a
}

// testApprovalInvariants: an approval that does not decide is recorded
// only against the count its caller saw and never makes the count the
// badge needs; the deciding one goes with its award, both or neither.
func testApprovalInvariants(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "helper", false)
	n := nominate(t, db, "helper", "github:octocat", "slack:U0ADA", t0)
	olive := bot.Endorsement{Who: recipient(t, "slack:U0OLIVE"), Name: "Olive", At: t0}

	wantCode(t, db.AddApproval(ctx, n.ID, olive, 1, 3, bot.ReviewRefresh{}), bot.ECONFLICT) // saw 1, there are 0
	wantCode(t, db.AddApproval(ctx, n.ID, olive, 0, 1, bot.ReviewRefresh{}), bot.ECONFLICT) // it would decide
	if got := count(t, db, "nomination_approvals", "nomination_id = ?", n.ID); got != 0 {
		t.Fatalf("%d approvals stored by refused calls", got)
	}
	if err := db.AddApproval(ctx, n.ID, olive, 0, 3, bot.ReviewRefresh{}); err != nil {
		t.Fatal(err)
	}

	// Too few approvals, or an approver twice: nothing is stored, the
	// award neither.
	d, a := nominationAward(t, db, n, "slack:U0OTTO", 3)
	wantCode(t, db.ApproveNomination(ctx, d, a, false, nil), bot.ECONFLICT)
	d, a = nominationAward(t, db, n, "slack:U0OLIVE", 2)
	wantCode(t, db.ApproveNomination(ctx, d, a, false, nil), bot.ECONFLICT)
	if got := count(t, db, "awards", "badge = 'helper'"); got != 0 {
		t.Fatalf("%d awards stored by refused approvals", got)
	}
	if got := count(t, db, "nomination_approvals", "nomination_id = ?", n.ID); got != 1 {
		t.Fatalf("%d approvals after refused approvals, want 1", got)
	}
	if got, err := db.Nomination(ctx, n.ID); err != nil || got.Status != bot.NominationPending {
		t.Fatalf("nomination after refused approvals: %+v, %v", got, err)
	}

	// A mismatched award is refused before anything is written.
	d, a = nominationAward(t, db, n, "slack:U0OTTO", 2)
	d.AwardID = "other"
	wantCode(t, db.ApproveNomination(ctx, d, a, false, nil), bot.EINVALID)

	d, a = nominationAward(t, db, n, "slack:U0OTTO", 2)
	out := []bot.Announcement{{Platform: bot.PlatformSlack, Channel: "C0ANNOUNCE", Kind: bot.KindAward, Message: bot.Message{Text: "awarded"}}}
	if err := db.ApproveNomination(ctx, d, a, false, out); err != nil {
		t.Fatal(err)
	}
	if out[0].ID == 0 || a.PersonID == 0 {
		t.Errorf("after ApproveNomination: announcement id %d, award person %d", out[0].ID, a.PersonID)
	}
	got, err := db.Nomination(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != bot.NominationApproved || got.AwardID != a.ID || len(got.Approvals) != 2 || got.DecidedBy != "slack:U0OTTO" {
		t.Fatalf("approved nomination: %+v", got)
	}
	if _, err := db.Award(ctx, a.ID); err != nil {
		t.Fatalf("the nomination's award: %v", err)
	}

	// Decided: nothing decides it again.
	d, a = nominationAward(t, db, n, "slack:U0ADELE", 1)
	wantCode(t, db.ApproveNomination(ctx, d, a, true, nil), bot.ECONFLICT)
	wantCode(t, db.DecideNomination(ctx, &bot.NominationDecision{ID: n.ID, Status: bot.NominationRejected, By: recipient(t, "slack:U0ADELE")}), bot.ECONFLICT)
	wantCode(t, db.AddApproval(ctx, n.ID, bot.Endorsement{Who: recipient(t, "slack:U0ADELE")}, 2, 9, bot.ReviewRefresh{}), bot.ECONFLICT)
	if got := count(t, db, "awards", "badge = 'helper'"); got != 1 {
		t.Fatalf("%d awards of helper, want 1", got)
	}

	// A holder of a badge that is not repeatable is not nominated for it.
	id, err := db.NextNominationID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CreateNomination(ctx, &bot.Nomination{
		ID: id, Badge: "helper", Nominee: recipient(t, "github:octocat"), Nominator: recipient(t, "slack:U0BOB"), Reason: "again",
	}, bot.NominationLimit{}, nil), bot.ECONFLICT)
}

// testApprovalRaces races approvers on two handles, each doing what the
// nominations service does: read the count, then record an approval that
// does not decide, or decide with the award; on ECONFLICT read again.
func testApprovalRaces(t *testing.T, dbs []DB) {
	ctx := context.Background()
	first := dbs[0]
	addBadge(t, first, "kudos", true) // repeatable: the award's own checks do not stop a second one

	t.Run("approvals counted once each, one award", func(t *testing.T) {
		const need, approvers = 3, 8
		n := nominate(t, first, "kudos", "github:raced", "slack:U0NOMINATOR", t0)
		outcome := make([]string, approvers)
		errs := make([]error, approvers)
		done := make(chan int)
		for i := range approvers {
			go func() {
				defer func() { done <- i }()
				db := dbs[i%2]
				who := bot.Endorsement{Who: recipient(t, fmt.Sprintf("slack:U0APPROVER%d", i)), At: t0}
				for range 50 {
					cur, err := db.Nomination(ctx, n.ID)
					if err != nil {
						errs[i] = err
						return
					}
					if cur.Status != bot.NominationPending {
						outcome[i] = "decided already"
						return
					}
					seen := len(cur.Approvals)
					if seen+1 < need {
						err = db.AddApproval(ctx, n.ID, who, seen, need, bot.ReviewRefresh{})
						if err == nil {
							outcome[i] = "approved"
							return
						}
					} else {
						d, a := nominationAward(t, db, n, who.Who.String(), need)
						if err = db.ApproveNomination(ctx, d, a, true, nil); err == nil {
							outcome[i] = "awarded"
							return
						}
					}
					if bot.ErrorCode(err) != bot.ECONFLICT {
						errs[i] = err
						return
					}
				}
				errs[i] = fmt.Errorf("approver %d: no outcome after 50 tries", i)
			}()
		}
		for range approvers {
			<-done
		}
		tally := map[string]int{}
		for i, err := range errs {
			if err != nil {
				t.Errorf("approver %d: %v", i, err)
			}
			tally[outcome[i]]++
		}
		if tally["awarded"] != 1 || tally["approved"] != need-1 || tally["decided already"] != approvers-need {
			t.Errorf("outcomes %v, want 1 awarded, %d approved, %d decided already", tally, need-1, approvers-need)
		}
		if got := count(t, first, "awards", "source = 'nomination' AND source_ref = ?", strconv.FormatInt(n.ID, 10)); got != 1 {
			t.Errorf("%d awards for the nomination, want 1", got)
		}
		if got := count(t, first, "nomination_approvals", "nomination_id = ?", n.ID); got != need {
			t.Errorf("%d approvals stored, want %d", got, need)
		}
	})

	t.Run("one deciding approval", func(t *testing.T) {
		n := nominate(t, first, "kudos", "github:raced2", "slack:U0NOMINATOR", t0.Add(time.Minute))
		errs := make([]error, 6)
		done := make(chan struct{})
		for i := range errs {
			go func() {
				defer func() { done <- struct{}{} }()
				db := dbs[i%2]
				d, a := nominationAward(t, db, n, fmt.Sprintf("slack:U0OWNER%d", i), 1)
				errs[i] = db.ApproveNomination(ctx, d, a, true, nil)
			}()
		}
		for range errs {
			<-done
		}
		wantOneWin(t, errs, "approval")
		if got := count(t, first, "awards", "source = 'nomination' AND source_ref = ?", strconv.FormatInt(n.ID, 10)); got != 1 {
			t.Errorf("%d awards for the nomination, want 1", got)
		}
	})
}
