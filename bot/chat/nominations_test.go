package chat_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/bot/internal/testenv"
	"github.com/badgebot/badgebot/integrations/console"
	"github.com/google/go-cmp/cmp"
)

const day = 24 * time.Hour

func TestNominationApprovedByClick(t *testing.T) {
	e := newEnv(t)
	wantText(t, e.Cmd(ada, "nominate @slack:U0BOB first-pr fixed the flaky tests"),
		"Thanks! Nomination #1 of @Bob for First Pull Request went to its reviewers")
	if n := e.Deliver(); n != 1 {
		t.Fatalf("delivered %d, want the review", n)
	}
	reviews := postsTo(e.Slack, "C0REVIEW")
	if len(reviews) != 1 {
		t.Fatalf("review channel got %d posts, want 1", len(reviews))
	}
	wantButtons := []bot.Button{
		{Label: "Approve", Action: "approve", Value: "1", Style: "primary"},
		{Label: "Reject", Action: "reject", Value: "1", Style: "danger"},
	}
	if diff := cmp.Diff(wantButtons, reviews[0].Message.Buttons); diff != "" {
		t.Errorf("review buttons (-want +got):\n%s", diff)
	}

	rep := e.Click(owner, "approve", "1", reviews[0].ID)
	wantText(t, rep, "Approved: @Bob now holds First Pull Request")
	if rep.Update == nil || len(rep.Update.Buttons) != 0 || rep.Update.Title != "Nomination approved: First Pull Request" {
		t.Fatalf("click update = %+v, want the decided message without buttons", rep.Update)
	}

	n := e.Nomination(1)
	if n.Status != bot.NominationApproved || n.AwardID == "" || len(n.Approvals) != 1 || n.DecidedBy != owner {
		t.Errorf("nomination after approval: %+v", n)
	}
	a, err := e.DB.Award(e.Ctx, n.AwardID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Badge != "first-pr" || a.Source != bot.SourceNomination || a.SourceRef != "1" || a.AwardedBy != owner {
		t.Errorf("award %+v: want first-pr from nomination 1 by the owner", a)
	}
	// The evidence links the nomination's page and names nominator and
	// approver by handle.
	wantEvidence := []bot.Evidence{{
		URL: baseURL + "/nominations/1", Name: "Nomination #1", Genre: "Nomination",
		Narrative: "Nominated by @ada: fixed the flaky tests. Approved by @olive.",
	}}
	if diff := cmp.Diff(wantEvidence, a.Evidence); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	// The approval is a nomination.approved event, which the rules count:
	// "appreciated" needs one.
	var got []string
	for _, x := range e.Awards(bob) {
		got = append(got, x.Badge)
	}
	if diff := cmp.Diff([]string{"appreciated", "first-pr"}, sortedCopy(got)); diff != "" {
		t.Errorf("Bob's badges (-want +got):\n%s", diff)
	}

	e.Deliver()
	announced := postsTo(e.Slack, "C0ANNOUNCE")
	if len(announced) != 2 {
		t.Errorf("announce channel got %d posts, want first-pr and appreciated", len(announced))
	}
	notice := postsTo(e.Slack, "U0ADA")
	if len(notice) != 1 || !strings.Contains(notice[0].Message.Text, "was approved") {
		t.Errorf("nominator's direct messages: %+v", notice)
	}
	if u := e.Slack.Updates(); len(u) != 0 {
		t.Errorf("the clicked review was updated again through the outbox: %+v", u)
	}

	// A stale button: answered, and the message refreshed.
	stale := e.Click(admin, "approve", "1", reviews[0].ID)
	wantText(t, stale, "Nomination #1 was approved already by @Olive on 2026-11-26")
	if stale.Update == nil || stale.Update.Title != "Nomination approved: First Pull Request" {
		t.Errorf("stale click update = %+v", stale.Update)
	}
	if n := len(e.Awards(bob)); n != 2 {
		t.Errorf("Bob holds %d awards after a stale click, want 2", n)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestNominationRules(t *testing.T) {
	type step struct {
		who, text string
		want      string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"self-nomination", []step{
			{ada, "nominate @slack:U0ADA first-pr I am great", "You can't nominate yourself"}}},
		{"closed badge", []step{
			{ada, "nominate @slack:U0BOB closed great", "Closed Badge is not open to nominations"}}},
		{"unknown badge", []step{
			{ada, "nominate @slack:U0BOB nope great", `There is no badge "nope"`}}},
		{"already held", []step{
			{owner, "award @slack:U0BOB first-pr merged the parser", "Awarded"},
			{ada, "nominate @slack:U0BOB first-pr great", "Bob already holds First Pull Request."}}},
		{"non-owner approval", []step{
			{ada, "nominate @slack:U0BOB first-pr great", "Nomination #1"},
			{carol, "approve 1", "Only the owners of First Pull Request and admins can approve its nominations."},
			{owner2, "reject 1", "Only the owners of First Pull Request and admins can reject its nominations."}}},
		{"nominee cannot approve", []step{
			{ada, "nominate @slack:U0OWNER helper reviews everything", "Nomination #1"},
			{owner, "approve 1", "You can't approve your own nomination"}}},
		{"nominator cannot approve", []step{
			{owner, "nominate @slack:U0BOB first-pr great", "Nomination #1"},
			{owner, "approve 1", "You nominated or supported Bob"},
			{admin, "approve 1", "Approved: @Bob now holds First Pull Request"}}},
		{"duplicate becomes support", []step{
			{ada, "nominate @slack:U0BOB first-pr great", "Nomination #1"},
			{carol, "nominate @slack:U0BOB first-pr also great", "already nominated for First Pull Request (nomination #1), so I added your support: 2 people back it now."},
			{ada, "nominate @slack:U0BOB first-pr again", "You nominated or supported Bob for First Pull Request already (nomination #1)"},
			{owner, "nominate @slack:U0BOB first-pr me too", "3 people back it now"},
			{owner, "approve 1", "You nominated or supported Bob"}}},
		{"distinct approvers", []step{
			{ada, "nominate @slack:U0BOB helper answers every question", "Nomination #1"},
			{owner, "approve 1", "Approved. Nomination #1 has 1 of 2 approvals; it needs 1 more"},
			{owner, "approve 1", "You approved nomination #1 already; it needs 1 more"},
			{owner2, "approve #1", "Approved: @Bob now holds Helper"}}},
		{"weekly cap counts supports", []step{
			{ada, "nominate @slack:U0BOB first-pr one", "Nomination #1"},
			{carol, "nominate @slack:U0OWNER first-pr two", "Nomination #2"},
			{ada, "nominate @slack:U0OWNER first-pr support", "I added your support"},
			{ada, "nominate @slack:U0CAROL helper three", "Nomination #3"},
			{ada, "nominate @slack:U0OWNER2 first-pr four", "You made 3 nominations and supports in the last 7 days, the most allowed. You can nominate again from Thu 3 Dec 12:00 UTC."},
			{ada, "nominate @slack:U0CAROL first-pr support", "You made 3 nominations"}}},
		{"reject with reason", []step{
			{ada, "nominate @slack:U0BOB first-pr great", "Nomination #1"},
			{owner, "reject 1 needs a merged pull request first", "Rejected nomination #1. I'll tell @Ada, with your reason."},
			{owner, "approve 1", "Nomination #1 was rejected already by @Olive"}}},
		{"reject without reason", []step{
			{ada, "nominate @slack:U0BOB first-pr great", "Nomination #1"},
			{admin, "reject 1", "Next time, `/badge reject 1 REASON` tells them why."}}},
		{"renominate after rejection", []step{
			{ada, "nominate @slack:U0BOB first-pr great", "Nomination #1"},
			{owner, "reject 1", "Rejected"},
			{carol, "nominate @slack:U0BOB first-pr really great", "Nomination #2"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			for _, s := range tc.steps {
				wantText(t, e.Cmd(s.who, s.text), s.want)
			}
		})
	}
}

func TestNominationCapResetsAfterAWeek(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.Router.WeeklyCap = 1 })
	wantText(t, e.Cmd(ada, "nominate @slack:U0BOB first-pr one"), "Nomination #1")
	wantText(t, e.Cmd(ada, "nominate @slack:U0CAROL first-pr two"), "You made 1 nomination in the last 7 days")
	e.Clock.Advance(7*day - time.Millisecond)
	wantText(t, e.Cmd(ada, "nominate @slack:U0CAROL first-pr two"), "You made 1 nomination in the last 7 days")
	e.Clock.Advance(time.Millisecond)
	wantText(t, e.Cmd(ada, "nominate @slack:U0CAROL first-pr two"), "Nomination #2")
}

func TestSupportRewritesReview(t *testing.T) {
	e := newEnv(t)
	e.Cmd(ada, "nominate @slack:U0BOB first-pr great")
	e.Deliver()
	e.Cmd(carol, "nominate @slack:U0BOB first-pr kind reviews")
	e.Deliver()
	u := e.Slack.Updates()
	if len(u) != 1 || u[0].ID != "slack-1" {
		t.Fatalf("updates %+v, want one of the review", u)
	}
	got := console.Render(u[0].Message)
	if !strings.Contains(got, "Supporters: Carol: kind reviews") || !strings.Contains(got, "[approve 1]") {
		t.Errorf("updated review:\n%s", got)
	}
}

func TestDecisionByCommandUpdatesReviewsAndDropsUnposted(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.Router.ReviewChannels = nil }) // owners get DMs
	wantText(t, e.Cmd(ada, "nominate @slack:U0BOB helper great"), "Nomination #1")
	wantText(t, e.Cmd(ada, "nominate @slack:U0CAROL first-pr great"), "Nomination #2")
	e.Deliver()
	if got := len(postsTo(e.Slack, "U0OWNER")); got != 2 {
		t.Errorf("owner got %d reviews, want 2", got)
	}
	if got := len(postsTo(e.Slack, "U0OWNER2")); got != 1 {
		t.Errorf("owner2 got %d reviews, want 1 (helper only)", got)
	}
	wantText(t, e.Cmd(owner, "reject 1 not this time"), "Rejected nomination #1")
	e.Deliver()
	var titles []string
	for _, u := range e.Slack.Updates() {
		titles = append(titles, u.Channel+": "+u.Message.Title)
		if len(u.Message.Buttons) != 0 {
			t.Errorf("decided review still has buttons: %+v", u.Message)
		}
	}
	want := []string{"U0OWNER: Nomination rejected: Helper", "U0OWNER2: Nomination rejected: Helper"}
	if diff := cmp.Diff(want, titles); diff != "" {
		t.Errorf("review updates (-want +got):\n%s", diff)
	}
	notices := postsTo(e.Slack, "U0ADA")
	if len(notices) != 1 || console.Render(notices[0].Message) !=
		"Your nomination of @Bob for Helper was not approved.\nWhy: not this time\nhttps://badges.example.org/badges/helper" {
		t.Errorf("notice to the nominator: %+v", notices)
	}

	// Decided before its review went out: the review is never posted.
	wantText(t, e.Cmd(ada, "nominate @slack:U0BOB first-pr great"), "Nomination #3")
	wantText(t, e.Cmd(owner, "approve 3"), "Approved: @Bob now holds First Pull Request")
	before := len(postsTo(e.Slack, "U0OWNER"))
	e.Deliver()
	for _, p := range postsTo(e.Slack, "U0OWNER")[before:] {
		if strings.HasPrefix(p.Message.Title, "Nomination") {
			t.Errorf("a review of a decided nomination was posted: %+v", p.Message)
		}
	}
}

func TestOrphanBadgeReviewedByAdmins(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.Router.ReviewChannels = nil })
	wantText(t, e.Cmd(ada, "nominate @slack:U0BOB orphan great"), "Nomination #1")
	e.Deliver()
	reviews := postsTo(e.Slack, "U0ADMIN")
	if len(reviews) != 1 {
		t.Fatalf("admin got %d reviews, want 1", len(reviews))
	}
	wantText(t, e.Click(owner, "approve", "1", reviews[0].ID), "Only the owners of Orphan and admins can approve")
	wantText(t, e.Click(admin, "approve", "1", reviews[0].ID), "Approved: @Bob now holds Orphan")
}

func TestConcurrentApprovalsAwardOnce(t *testing.T) {
	e := newEnv(t)
	e.Cmd(ada, "nominate @slack:U0BOB helper great")
	e.Cmd(owner, "approve 1")
	var wg sync.WaitGroup
	replies := make([]bot.Reply, 2)
	for i, who := range []string{owner2, admin} {
		wg.Go(func() { replies[i] = e.Cmd(who, "approve 1") })
	}
	wg.Wait()
	helper := 0
	for _, a := range e.Awards(bob) {
		if a.Badge == "helper" {
			helper++
		}
	}
	if helper != 1 {
		t.Errorf("Bob holds %d Helper awards, want 1; replies %q / %q", helper, text(replies[0]), text(replies[1]))
	}
}

func TestExpiry(t *testing.T) {
	e := newEnv(t)
	e.Cmd(ada, "nominate @slack:U0BOB first-pr great")
	e.Clock.Advance(day)
	e.Cmd(ada, "nominate @slack:U0CAROL first-pr great")
	e.Deliver()

	e.Clock.Advance(13*day - time.Millisecond)
	if n, err := e.Router.Nominations().ExpireDue(e.Ctx, e.Clock.Now()); err != nil || n != 0 {
		t.Fatalf("ExpireDue just before 14 days = %d, %v; want 0", n, err)
	}
	e.Clock.Advance(time.Millisecond)
	if n, err := e.Router.Nominations().ExpireDue(e.Ctx, e.Clock.Now()); err != nil || n != 1 {
		t.Fatalf("ExpireDue at 14 days = %d, %v; want 1", n, err)
	}
	if n := e.Nomination(1); n.Status != bot.NominationExpired || n.DecidedBy != "badgebot" {
		t.Errorf("nomination 1: %+v", n)
	}
	e.Deliver()
	u := e.Slack.Updates()
	if len(u) != 1 || u[0].Message.Title != "Nomination expired: First Pull Request" {
		t.Errorf("review updates %+v", u)
	}
	notice := postsTo(e.Slack, "U0ADA")
	if len(notice) != 1 || !strings.Contains(notice[0].Message.Text, "expired: nobody decided within 14 days") {
		t.Errorf("notices %+v", notice)
	}

	// The other one expires on its own when clicked late.
	e.Clock.Advance(2 * day)
	rep := e.Click(owner, "approve", "2", "slack-2")
	wantText(t, rep, "Nomination #2 was expired already")
	if rep.Update == nil || rep.Update.Title != "Nomination expired: First Pull Request" {
		t.Errorf("late click update %+v", rep.Update)
	}
	if n, _ := e.Router.Nominations().ExpireDue(e.Ctx, e.Clock.Now()); n != 0 {
		t.Errorf("ExpireDue expired %d again", n)
	}
	if got := len(e.Awards(carol)); got != 0 {
		t.Errorf("Carol holds %d awards after a late approval", got)
	}
}

// TestNominationMessagesGolden pins the review, decision and notice
// messages as the console renders them.
func TestNominationMessagesGolden(t *testing.T) {
	e := newEnv(t)
	s := testenv.NewScrubber(e.DB)
	e.Cmd(ada, "nominate @slack:U0BOB helper answers every question on the forum")
	e.Cmd(carol, "nominate @slack:U0BOB helper patient with newcomers")
	e.Deliver()
	e.Click(owner, "approve", "1", "slack-1")
	e.Click(owner2, "approve", "1", "slack-1")
	e.Cmd(bob, "nominate @slack:U0CAROL first-pr great first patch")
	e.Deliver()
	e.Cmd(owner, "reject 2 the patch is not merged yet")
	e.Cmd(ada, "nominate @slack:U0CAROL helper kind")
	e.Deliver()
	e.Clock.Advance(15 * day)
	if _, err := e.Router.Nominations().ExpireDue(e.Ctx, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.Deliver()
	var out strings.Builder
	for _, p := range e.Slack.Posts() {
		out.WriteString("post #" + p.Channel + " " + p.ID + "\n" + console.Render(p.Message) + "\n\n")
	}
	for _, u := range e.Slack.Updates() {
		out.WriteString("update #" + u.Channel + " " + u.ID + "\n" + console.Render(u.Message) + "\n\n")
	}
	goldenFile(t, "nominations.golden", s.Scrub(t, out.String()))
}

func TestNominationStoreRefusesSelfNominationByLinkedIdentity(t *testing.T) {
	e := newEnv(t)
	if _, err := e.DB.LinkIdentities(e.Ctx, bottest.Recipient(t, ada), bottest.Recipient(t, "github:ada")); err != nil {
		t.Fatal(err)
	}
	wantText(t, e.Cmd(ada, "nominate @github:ada first-pr me"), "You can't nominate yourself")
}

// An owner cannot award by hand a badge that needs more approvals than
// theirs; an admin may, and the audit trail records the override. An award
// closes the pending nomination it answers.
func TestAwardsHonourApprovalsAndCloseNominations(t *testing.T) {
	e := newEnv(t)
	wantText(t, e.Cmd(owner, "award @slack:U0BOB helper answered every question"), "Helper needs 2 approvals", "nominate")
	if n := len(e.Awards(bob)); n != 0 {
		t.Fatalf("an owner alone awarded a badge that needs 2 approvals")
	}
	wantText(t, e.Cmd(ada, "nominate @slack:U0BOB helper answered every question"), "#1")
	wantText(t, e.Cmd(admin, "award @slack:U0BOB helper answered every question"), "Awarded Helper")
	as := e.Awards(bob)
	if len(as) != 1 {
		t.Fatalf("the admin's award: bob holds %d", len(as))
	}
	if n := e.Nomination(1); n.Status != bot.NominationApproved {
		t.Errorf("nomination #1 is %s after bob was awarded the badge, want approved", n.Status)
	}
	trail, err := e.DB.Audit(e.Ctx, bot.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var override, closed bool
	for _, a := range trail {
		override = override || (a.Action == bot.AuditAward && a.AwardID == as[0].ID && strings.Contains(a.Detail, "override"))
		closed = closed || (a.Action == bot.AuditApprove && a.NominationID == 1 && strings.Contains(a.Detail, as[0].ID))
	}
	if !override || !closed {
		t.Errorf("audit trail: override recorded %v, nomination closed %v: %+v", override, closed, trail)
	}
	// A nomination approved by its own award is decided once, as before.
	wantText(t, e.Cmd(ada, "nominate @slack:U0CAROL first-pr fixed the flaky tests"), "#2")
	e.Cmd(owner, "approve 2")
	if n := e.Nomination(2); n.Status != bot.NominationApproved || n.AwardID == "" {
		t.Errorf("nomination #2: %s, award %q", n.Status, n.AwardID)
	}
}
