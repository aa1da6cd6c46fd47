package storetest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// nominate stores a pending nomination with one review to Slack channel
// C0REVIEW and returns it.
func nominate(t *testing.T, db DB, badge, nominee, nominator string, at time.Time) *bot.Nomination {
	t.Helper()
	ctx := context.Background()
	id, err := db.NextNominationID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := &bot.Nomination{
		ID: id, Badge: badge, Nominee: recipient(t, nominee), Nominator: recipient(t, nominator),
		NominatorName: "The Nominator", Reason: "great work", Platform: bot.PlatformSlack, Channel: "C0GENERAL", CreatedAt: at,
	}
	reviews := []bot.Announcement{{Platform: bot.PlatformSlack, Channel: "C0REVIEW", Kind: bot.KindNomination, Message: bot.Message{Title: "review"}}}
	if err := db.CreateNomination(ctx, n, bot.NominationLimit{}, reviews); err != nil {
		t.Fatalf("CreateNomination: %v", err)
	}
	return n
}

func testCreateNomination(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)

	if id, _ := db.NextNominationID(ctx); id != 1 {
		t.Errorf("first nomination id %d, want 1", id)
	}
	n := nominate(t, db, "first-pr", "github:octocat", "slack:U0ADA", t0)
	if n.ID != 2 || n.Status != bot.NominationPending || n.NomineePersonID == 0 || n.NominatorPersonID == 0 {
		t.Errorf("stored nomination %+v", n)
	}
	got, err := db.Nomination(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *n
	want.NomineeName = "octocat" // the new person's name is its handle
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("Nomination (-want +got):\n%s", diff)
	}
	if c := count(t, db, "outbox", "nomination_id = ? AND kind = ?", n.ID, bot.KindNomination); c != 1 {
		t.Errorf("%d review rows, want 1", c)
	}

	// The same person, by a linked identity: a conflict, not a duplicate.
	if _, err := db.LinkIdentities(ctx, recipient(t, "github:octocat"), recipient(t, "slack:U0OCTO")); err != nil {
		t.Fatal(err)
	}
	p, err := db.PendingNomination(ctx, "first-pr", recipient(t, "slack:U0OCTO"))
	if err != nil || p.ID != n.ID {
		t.Fatalf("PendingNomination by a linked identity = %+v, %v", p, err)
	}
	dup := &bot.Nomination{ID: 3, Badge: "first-pr", Nominee: recipient(t, "slack:U0OCTO"), Nominator: recipient(t, "slack:U0BOB"), Reason: "x"}
	wantCode(t, db.CreateNomination(ctx, dup, bot.NominationLimit{}, nil), bot.ECONFLICT)
	self := &bot.Nomination{ID: 3, Badge: "first-pr", Nominee: recipient(t, "github:octocat"), Nominator: recipient(t, "slack:U0OCTO"), Reason: "me"}
	wantCode(t, db.CreateNomination(ctx, self, bot.NominationLimit{}, nil), bot.EINVALID)
	nobadge := &bot.Nomination{ID: 3, Badge: "nope", Nominee: recipient(t, "github:mona"), Nominator: recipient(t, "slack:U0BOB"), Reason: "x"}
	wantCode(t, db.CreateNomination(ctx, nobadge, bot.NominationLimit{}, nil), bot.ENOTFOUND)
	noid := &bot.Nomination{Badge: "first-pr", Nominee: recipient(t, "github:mona"), Nominator: recipient(t, "slack:U0BOB"), Reason: "x"}
	wantCode(t, db.CreateNomination(ctx, noid, bot.NominationLimit{}, nil), bot.EINVALID)
	_, err = db.PendingNomination(ctx, "first-pr", recipient(t, "github:mona"))
	wantCode(t, err, bot.ENOTFOUND)
	_, err = db.Nomination(ctx, 99)
	wantCode(t, err, bot.ENOTFOUND)
}

func testNominationLimitCountsSupports(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	addBadge(t, db, "helper", false)
	n1 := nominate(t, db, "first-pr", "github:mona", "slack:U0ADA", t0.Add(-8*24*time.Hour)) // outside the week
	nominate(t, db, "first-pr", "github:octocat", "slack:U0ADA", t0.Add(-time.Hour))
	n3 := nominate(t, db, "helper", "github:octocat", "slack:U0BOB", t0)
	limit := bot.NominationLimit{Max: 2, Since: t0.Add(-7 * 24 * time.Hour)}
	if err := db.AddSupporter(ctx, n3.ID, bot.Endorsement{Who: recipient(t, "slack:U0ADA"), Reason: "yes", At: t0}, limit, bot.ReviewRefresh{}); err != nil {
		t.Fatalf("AddSupporter within the limit: %v", err)
	}
	n, oldest, err := db.NominationCount(ctx, recipient(t, "slack:U0ADA"), limit.Since)
	if err != nil || n != 2 || !oldest.Equal(t0.Add(-time.Hour)) {
		t.Errorf("NominationCount = %d, %v, %v; want 2 since an hour ago", n, oldest, err)
	}
	if n, _, _ := db.NominationCount(ctx, recipient(t, "slack:U0NOBODY"), limit.Since); n != 0 {
		t.Errorf("NominationCount of a stranger = %d", n)
	}
	id, _ := db.NextNominationID(ctx)
	over := &bot.Nomination{ID: id, Badge: "helper", Nominee: recipient(t, "github:hubot"), Nominator: recipient(t, "slack:U0ADA"), Reason: "x"}
	wantCode(t, db.CreateNomination(ctx, over, limit, nil), bot.ELIMIT)
	wantCode(t, db.AddSupporter(ctx, n1.ID, bot.Endorsement{Who: recipient(t, "slack:U0BOB")}, bot.NominationLimit{Max: 1, Since: limit.Since}, bot.ReviewRefresh{}), bot.ELIMIT)
}

func testSupportersAndApprovals(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	n := nominate(t, db, "first-pr", "github:octocat", "slack:U0ADA", t0)
	none := bot.NominationLimit{}
	carol := bot.Endorsement{Who: recipient(t, "slack:U0CAROL"), Name: "Carol", Reason: "kind", At: t0.Add(time.Minute)}
	if err := db.AddSupporter(ctx, n.ID, carol, none, bot.ReviewRefresh{Message: bot.Message{Title: "review v2"}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.AddSupporter(ctx, n.ID, carol, none, bot.ReviewRefresh{}), bot.ECONFLICT)
	wantCode(t, db.AddSupporter(ctx, n.ID, bot.Endorsement{Who: recipient(t, "slack:U0ADA")}, none, bot.ReviewRefresh{}), bot.ECONFLICT)
	wantCode(t, db.AddSupporter(ctx, n.ID, bot.Endorsement{Who: recipient(t, "github:octocat")}, none, bot.ReviewRefresh{}), bot.EINVALID)
	wantCode(t, db.AddSupporter(ctx, 99, carol, none, bot.ReviewRefresh{}), bot.ENOTFOUND)

	// Approvals are per person.
	olive := bot.Endorsement{Who: recipient(t, "slack:U0OLIVE"), Name: "Olive", At: t0.Add(2 * time.Minute)}
	if err := db.AddApproval(ctx, n.ID, olive, 0, 3, bot.ReviewRefresh{Message: bot.Message{Title: "review v3"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LinkIdentities(ctx, recipient(t, "slack:U0OLIVE"), recipient(t, "github:olive")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.AddApproval(ctx, n.ID, bot.Endorsement{Who: recipient(t, "github:olive")}, 1, 3, bot.ReviewRefresh{}), bot.ECONFLICT)

	got, err := db.Nomination(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	ignore := cmpopts.IgnoreFields(bot.Endorsement{}, "PersonID")
	if diff := cmp.Diff([]bot.Endorsement{carol}, got.Supporters, ignore); diff != "" {
		t.Errorf("supporters (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]bot.Endorsement{olive}, got.Approvals, ignore); diff != "" {
		t.Errorf("approvals (-want +got):\n%s", diff)
	}
	// The review was not posted yet: it was rewritten in place, no update
	// rows were queued.
	due, err := db.DueAnnouncements(ctx, t0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Message.Title != "review v3" {
		t.Errorf("due %+v, want the one review, rewritten", due)
	}
}

func testReviewUpdatesAndDecision(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	n := nominate(t, db, "first-pr", "github:octocat", "slack:U0ADA", t0)
	// A second review target, delivered too.
	second := []bot.Announcement{{Platform: bot.PlatformDiscord, Channel: "123456789012345678", Kind: bot.KindNomination, Message: bot.Message{Title: "review"}}}
	if err := db.Enqueue(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "attach the review", `UPDATE outbox SET nomination_id = ? WHERE id = ?`, n.ID, second[0].ID); err != nil {
		t.Fatal(err)
	}
	due, _ := db.DueAnnouncements(ctx, t0, 0)
	for i, a := range due {
		if err := db.MarkDelivered(ctx, a.ID, []string{"1700000000.000100", "999999999999999999"}[i], t0); err != nil {
			t.Fatal(err)
		}
	}
	upd := func(a bot.Announcement) string {
		id, err := db.ReplacedMessage(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}

	// An approval that does not decide: each posted review gets an update
	// but the clicked one.
	err := db.AddApproval(ctx, n.ID, bot.Endorsement{Who: recipient(t, "slack:U0OLIVE")}, 0, 2, bot.ReviewRefresh{
		Message: bot.Message{Title: "1 of 2"}, SkipPlatform: bot.PlatformSlack, SkipMessageID: "1700000000.000100",
	})
	if err != nil {
		t.Fatal(err)
	}
	due, _ = db.DueAnnouncements(ctx, t0.Add(time.Second), 0)
	if len(due) != 1 || due[0].Kind != bot.KindNominationUpdate || due[0].Platform != bot.PlatformDiscord || upd(due[0]) != "999999999999999999" {
		t.Fatalf("due after the approval: %+v", due)
	}
	pendingUpdate := due[0]

	// The decision: the update still waiting is superseded, both reviews
	// get the outcome, the event and the notice are stored.
	a := newAward(t, db, "first-pr", recipient(t, "github:octocat"))
	a.Source, a.SourceRef = bot.SourceNomination, strconv.FormatInt(n.ID, 10)
	if err := db.CreateAward(ctx, a, false, nil); err != nil {
		t.Fatal(err)
	}
	ev := &bot.Event{Source: bot.SourceNominationEvent, Kind: bot.EventNominationApproved, Key: "nomination/1",
		Actor: recipient(t, "github:octocat"), URL: "https://badges.example.org/awards/" + a.ID, OccurredAt: t0}
	d := &bot.NominationDecision{
		ID: n.ID, Status: bot.NominationApproved, By: recipient(t, "slack:U0OTTO"), ByName: "Otto", At: t0.Add(time.Minute),
		AwardID: a.ID, Approve: true, Event: ev,
		Review:  bot.ReviewRefresh{Message: bot.Message{Title: "approved"}},
		Notices: []bot.Announcement{{Platform: bot.PlatformSlack, Channel: "U0ADA", Kind: bot.KindNotice, Message: bot.Message{Text: "yay"}}},
	}
	if err := db.DecideNomination(ctx, d); err != nil {
		t.Fatal(err)
	}
	if ev.ID == 0 || ev.PersonID != n.NomineePersonID {
		t.Errorf("event after the decision: %+v", ev)
	}
	wantCode(t, db.MarkDelivered(ctx, pendingUpdate.ID, "x", t0), bot.ECONFLICT) // superseded
	due, _ = db.DueAnnouncements(ctx, t0.Add(time.Hour), 0)
	var got []string
	for _, x := range due {
		got = append(got, x.Kind+" "+x.Platform+" "+upd(x)+" "+x.Message.Title+x.Message.Text)
	}
	want := []string{
		"nomination-update slack 1700000000.000100 approved",
		"nomination-update discord 999999999999999999 approved",
		"notice slack  yay",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("due after the decision (-want +got):\n%s", diff)
	}
	stored, err := db.Nomination(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != bot.NominationApproved || stored.AwardID != a.ID || stored.DecidedBy != "slack:U0OTTO" ||
		!stored.DecidedAt.Equal(t0.Add(time.Minute)) || len(stored.Approvals) != 2 {
		t.Errorf("decided nomination %+v", stored)
	}
	wantCode(t, db.DecideNomination(ctx, &bot.NominationDecision{ID: n.ID, Status: bot.NominationRejected}), bot.ECONFLICT)
	wantCode(t, db.DecideNomination(ctx, &bot.NominationDecision{ID: n.ID, Status: "maybe"}), bot.EINVALID)
	wantCode(t, db.DecideNomination(ctx, &bot.NominationDecision{ID: 99, Status: bot.NominationExpired}), bot.ENOTFOUND)
}

func testDecisionDropsUnpostedReviews(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	n := nominate(t, db, "first-pr", "github:octocat", "slack:U0ADA", t0)
	if err := db.DecideNomination(ctx, &bot.NominationDecision{ID: n.ID, Status: bot.NominationExpired, At: t0}); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueAnnouncements(ctx, t0.Add(time.Hour), 0); len(due) != 0 {
		t.Errorf("due after the decision: %+v, want the review dropped", due)
	}
	got, _ := db.Nomination(ctx, n.ID)
	if got.Status != bot.NominationExpired || got.DecidedBy != "badgebot" {
		t.Errorf("expired nomination %+v", got)
	}
}

func testNominationsFilter(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	addBadge(t, db, "helper", false)
	a := nominate(t, db, "first-pr", "github:a", "slack:U0ADA", t0.Add(-20*24*time.Hour))
	b := nominate(t, db, "helper", "github:b", "slack:U0ADA", t0.Add(-10*24*time.Hour))
	c := nominate(t, db, "first-pr", "github:c", "slack:U0ADA", t0)
	if err := db.DecideNomination(ctx, &bot.NominationDecision{ID: c.ID, Status: bot.NominationRejected, By: recipient(t, "slack:U0OLIVE")}); err != nil {
		t.Fatal(err)
	}
	ids := func(f bot.NominationFilter) []int64 {
		ns, err := db.Nominations(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, n := range ns {
			out = append(out, n.ID)
		}
		return out
	}
	for _, tc := range []struct {
		f    bot.NominationFilter
		want []int64
	}{
		{bot.NominationFilter{}, []int64{a.ID, b.ID, c.ID}},
		{bot.NominationFilter{Status: bot.NominationPending}, []int64{a.ID, b.ID}},
		{bot.NominationFilter{Badge: "first-pr"}, []int64{a.ID, c.ID}},
		{bot.NominationFilter{Status: bot.NominationPending, CreatedBefore: t0.Add(-14 * 24 * time.Hour)}, []int64{a.ID}},
		{bot.NominationFilter{Limit: 1}, []int64{a.ID}},
	} {
		if diff := cmp.Diff(tc.want, ids(tc.f)); diff != "" {
			t.Errorf("Nominations(%+v) (-want +got):\n%s", tc.f, diff)
		}
	}
}

func testReplacedMessageOfRevocation(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "first-pr", false)
	a := newAward(t, db, "first-pr", recipient(t, "github:octocat"))
	out := []bot.Announcement{
		{Platform: bot.PlatformSlack, Channel: "C1", Kind: bot.KindAward, Message: bot.Message{Title: "new"}},
		{Platform: bot.PlatformSlack, Channel: "C2", Kind: bot.KindAward, Message: bot.Message{Title: "new"}},
	}
	if err := db.CreateAward(ctx, a, false, out); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkDelivered(ctx, out[0].ID, "ts-1", t0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a    bot.Announcement
		want string
	}{
		{bot.Announcement{Kind: bot.KindRevoke, AwardID: a.ID, Platform: bot.PlatformSlack, Channel: "C1"}, "ts-1"},
		{bot.Announcement{Kind: bot.KindRevoke, AwardID: a.ID, Platform: bot.PlatformSlack, Channel: "C2"}, ""}, // not delivered
		{bot.Announcement{Kind: bot.KindRevoke, AwardID: a.ID, Platform: bot.PlatformDiscord, Channel: "C1"}, ""},
		{bot.Announcement{Kind: bot.KindRevoke, Platform: bot.PlatformSlack, Channel: "C1"}, ""},
		{bot.Announcement{Kind: bot.KindAward, AwardID: a.ID, Platform: bot.PlatformSlack, Channel: "C1"}, ""},
		{bot.Announcement{ID: 999, Kind: bot.KindNominationUpdate, Platform: bot.PlatformSlack, Channel: "C1"}, ""},
	} {
		got, err := db.ReplacedMessage(ctx, tc.a)
		if err != nil || got != tc.want {
			t.Errorf("ReplacedMessage(%+v) = %q, %v; want %q", tc.a, got, err, tc.want)
		}
	}
}

func testSetAnnounceAndLeaderboard(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	addBadge(t, db, "a", false)
	addBadge(t, db, "b", false)
	addBadge(t, db, "c", false)
	for _, x := range []struct {
		badge, who string
	}{{"a", "github:zed"}, {"b", "github:zed"}, {"a", "github:amy"}, {"b", "github:amy"}, {"a", "github:bo"}, {"c", "github:bo"}} {
		createAward(t, db, x.badge, recipient(t, x.who), t0)
	}
	// A revoked award does not count.
	revoked := createAward(t, db, "c", recipient(t, "github:zed"), t0)
	if _, err := db.RevokeAward(ctx, revoked.ID, "oops", "admin", t0, nil); err != nil {
		t.Fatal(err)
	}
	top, err := db.Leaderboard(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range top {
		got = append(got, e.Handle)
		if e.Awards != 2 || e.PersonID == 0 {
			t.Errorf("entry %+v, want 2 awards", e)
		}
	}
	if diff := cmp.Diff([]string{"amy", "bo"}, got); diff != "" {
		t.Errorf("leaderboard (-want +got):\n%s", diff)
	}

	p, err := db.PersonByRecipient(ctx, recipient(t, "github:amy"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAnnounce(ctx, p.ID, bot.AnnounceDM); err != nil {
		t.Fatal(err)
	}
	if p, _ = db.PersonByRecipient(ctx, recipient(t, "github:amy")); p.Announce != bot.AnnounceDM {
		t.Errorf("announce = %q, want dm", p.Announce)
	}
	wantCode(t, db.SetAnnounce(ctx, p.ID, "loud"), bot.EINVALID)
	wantCode(t, db.SetAnnounce(ctx, 9999, bot.AnnounceOff), bot.ENOTFOUND)

	// Who chose announce off is not listed (DESIGN §3); dm still is.
	if err := db.SetAnnounce(ctx, p.ID, bot.AnnounceOff); err != nil {
		t.Fatal(err)
	}
	top, err = db.Leaderboard(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, e := range top {
		got = append(got, e.Handle)
	}
	if diff := cmp.Diff([]string{"bo", "zed"}, got); diff != "" {
		t.Errorf("leaderboard with amy's announce off (-want +got):\n%s", diff)
	}
}
