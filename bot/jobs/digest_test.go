package jobs_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/bot/internal/testenv"
	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/badgebot/badgebot/integrations/console"
	"github.com/google/go-cmp/cmp"
)

// friday is the digest's scheduled time in the tests: "0 16 * * FRI" UTC,
// the day after bottest.T0.
var friday = time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)

func (e *env) digester(mods ...func(*jobs.DigesterConfig)) *jobs.Digester {
	e.T.Helper()
	cfg := jobs.DigesterConfig{
		Store: e.DB, Service: e.Svc,
		Sweeper: e.sweeper(
			bot.Rule{Name: "first-merged-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1},
			bot.Rule{Name: "three", Badge: "three-prs", Event: bot.EventPRMerged, Threshold: 3},
		),
		Schedule: "0 16 * * FRI", Location: time.UTC, Announce: true,
		Now: e.Clock.Now, Log: slog.New(slog.DiscardHandler),
	}
	for _, m := range mods {
		m(&cfg)
	}
	d, err := jobs.NewDigester(cfg)
	if err != nil {
		e.T.Fatal(err)
	}
	return d
}

// award awards a badge by hand at a time.
func (e *env) awardAt(badge, to string, at time.Time) *bot.Award {
	e.T.Helper()
	a, err := e.Svc.Award(e.Ctx, bot.AwardRequest{Badge: badge, To: bottest.Recipient(e.T, to), ToName: names[to],
		Source: bot.SourceManual, By: owner, At: at,
		Evidence: []bot.Evidence{{URL: "https://example.org/" + badge, Name: "work"}}})
	if err != nil {
		e.T.Fatalf("Award %s to %s: %v", badge, to, err)
	}
	return a
}

// digestEnv is a week with awards, a newcomer, a nomination waiting and
// someone one pull request from a badge, announced on Slack, Discord and
// the console.
func digestEnv(t *testing.T) *env {
	discord := bottest.NewPlatform(bot.PlatformDiscord)
	e := newEnv(t, func(c *envConfig) {
		c.Platforms = append(c.Platforms, discord, bottest.NewPlatform(bot.PlatformConsole))
		c.Targets = []bot.Target{
			{Platform: bot.PlatformSlack, Channel: "C0ANNOUNCE"},
			{Platform: bot.PlatformDiscord, Channel: "1100000000000000001"},
			{Platform: bot.PlatformConsole, Channel: "general"},
		}
	})
	if err := e.Svc.SaveBadge(e.Ctx, bottest.Badge("three-prs", "Three PRs")); err != nil {
		t.Fatal(err)
	}
	week := friday.AddDate(0, 0, -7)
	e.awardAt("appreciated", bob, week.AddDate(0, 0, -20)) // Bob is no newcomer
	e.awardAt("first-pr", ada, week.Add(time.Hour))
	e.awardAt("first-pr", bob, week.Add(48*time.Hour))
	e.awardAt("helper", ada, week.Add(72*time.Hour))
	revoked := e.awardAt("orphan", carol, week.Add(96*time.Hour))
	if _, err := e.Svc.Revoke(e.Ctx, revoked.ID, "by mistake", admin); err != nil {
		t.Fatal(err)
	}
	e.awardAt("first-pr", owner, week.Add(-time.Hour)) // the week before
	e.Clock.Set(friday.Add(-3 * 24 * time.Hour))
	wantText(t, e.Cmd(ada, "nominate @"+carol+" helper for the docs sprint"), "#1")
	e.store(pr("octocat", "octo/a", 1, 30), pr("octocat", "octo/a", 2, 20))
	e.Clock.Set(friday.Add(5 * time.Second)) // the scheduled run
	return e
}

func TestDigestRendering(t *testing.T) {
	e := digestEnv(t)
	d := e.digester()
	out, err := d.Run(e.Ctx, jobs.DigestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Period != "2026-W48" || out.Posted != 3 || out.Skipped != "" {
		t.Fatalf("outcome %+v", out)
	}
	sc := testenv.NewScrubber(e.DB)
	for _, a := range out.Out {
		buf, err := json.MarshalIndent(a.Message, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		goldenFile(t, "digest/"+a.Platform+".json", sc.Scrub(t, string(buf))+"\n")
		if a.Platform == bot.PlatformConsole {
			goldenFile(t, "digest/console.txt", sc.Scrub(t, console.Render(a.Message))+"\n")
		}
	}
	if n := e.Deliver(); n < 3 {
		t.Errorf("delivered %d, want the 3 digests among them", n)
	}
}

func TestDigestOncePerPeriod(t *testing.T) {
	e := digestEnv(t)
	out, err := e.digester().Run(e.Ctx, jobs.DigestOptions{DryRun: true})
	if err != nil || out.Period != "" || len(out.Out) != 3 || out.AlreadyPosted {
		t.Fatalf("dry run: %+v, %v", out, err)
	}
	e.Deliver() // the awards' announcements and the review
	// Concurrent runs, as a server's schedule and `badgebot digest` at
	// once: one posts.
	var wg sync.WaitGroup
	outs := make([]*jobs.DigestOutcome, 4)
	for i := range outs {
		wg.Go(func() {
			var err error
			if outs[i], err = e.digester().Run(e.Ctx, jobs.DigestOptions{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	posted := 0
	for _, o := range outs {
		if o != nil && o.Skipped == "" {
			posted++
		} else if o != nil && o.Skipped != jobs.DigestPostedAlready {
			t.Errorf("skipped for %q", o.Skipped)
		}
	}
	if posted != 1 {
		t.Errorf("%d of 4 concurrent runs posted, want 1", posted)
	}
	// Later in the week, after a restart: still once.
	e.Clock.Advance(48 * time.Hour)
	out, err = e.digester().Run(e.Ctx, jobs.DigestOptions{})
	if err != nil || out.Skipped != jobs.DigestPostedAlready || out.Week != "2026-W48" {
		t.Errorf("run two days later: %+v, %v", out, err)
	}
	if !strings.Contains(out.Sentence(), "--force") {
		t.Errorf("sentence %q does not say how to post again", out.Sentence())
	}
	// --force posts again under a key of its own.
	for _, want := range []string{"2026-W48+force1", "2026-W48+force2"} {
		out, err = e.digester().Run(e.Ctx, jobs.DigestOptions{Force: true})
		if err != nil || out.Period != want || out.Posted != 3 {
			t.Errorf("forced run: %+v, %v; want period %s", out, err, want)
		}
	}
	if n := e.Deliver(); n != 9 {
		t.Errorf("delivered %d, want 3 digests on 3 platforms", n)
	}
	// The next Friday is a new period.
	e.Clock.Set(friday.AddDate(0, 0, 7))
	out, err = e.digester().Run(e.Ctx, jobs.DigestOptions{})
	if err != nil || out.Period != "2026-W49" {
		t.Errorf("next week: %+v, %v", out, err)
	}
}

func TestDigestEmptyWeek(t *testing.T) {
	e := newEnv(t)
	if err := e.Svc.SaveBadge(e.Ctx, bottest.Badge("three-prs", "Three PRs")); err != nil {
		t.Fatal(err)
	}
	e.store(pr("octocat", "octo/a", 1, 30), pr("octocat", "octo/a", 2, 20)) // one short of three-prs
	e.Clock.Set(friday)
	out, err := e.digester().Run(e.Ctx, jobs.DigestOptions{})
	if err != nil || out.Skipped != jobs.DigestEmpty || out.Posted != 0 {
		t.Errorf("empty week: %+v, %v", out, err)
	}
	// Nothing is posted, so nobody's events were read for near misses;
	// a dry run shows them.
	if out.Digest == nil || len(out.Digest.Near) != 0 {
		t.Errorf("empty week: near misses looked up for a digest not posted: %+v", out.Digest)
	}
	if dry, err := e.digester().Run(e.Ctx, jobs.DigestOptions{DryRun: true}); err != nil || len(dry.Digest.Near) != 1 {
		t.Errorf("dry run of an empty week: %+v, %v; want octocat one pull request short", dry, err)
	}
	if posted, _ := e.DB.DigestPosted(e.Ctx, "2026-W48"); posted {
		t.Error("an empty week was recorded")
	}
	out, err = e.digester(func(c *jobs.DigesterConfig) { c.PostEmpty = true }).Run(e.Ctx, jobs.DigestOptions{})
	if err != nil || out.Posted != 1 || !strings.Contains(out.Out[0].Message.Text, "No badges were awarded this week.") {
		t.Errorf("empty week with PostEmpty: %+v, %v", out, err)
	}
	// announce = false: recorded, not posted.
	e.Clock.Set(friday.AddDate(0, 0, 7))
	e.awardAt("first-pr", ada, friday.AddDate(0, 0, 6))
	out, err = e.digester(func(c *jobs.DigesterConfig) { c.Announce = false }).Run(e.Ctx, jobs.DigestOptions{})
	if err != nil || out.Skipped != jobs.DigestAnnounceOff || out.Posted != 0 || out.Period != "2026-W49" {
		t.Errorf("announce off: %+v, %v", out, err)
	}
}

func TestDigestPeriod(t *testing.T) {
	e := newEnv(t)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		spec        string
		loc         *time.Location
		now         time.Time
		week        string
		since, till time.Time
	}{
		// At the scheduled time: the week that ends then.
		{"0 16 * * FRI", time.UTC, friday, "2026-W48", friday.AddDate(0, 0, -7), friday},
		// A run a few seconds early still counts for that time.
		{"0 16 * * FRI", time.UTC, friday.Add(-10 * time.Second), "2026-W48", friday.AddDate(0, 0, -7), friday},
		// By hand on a Thursday: the period of last Friday's run.
		{"0 16 * * FRI", time.UTC, bottest.T0(), "2026-W47", friday.AddDate(0, 0, -14), bottest.T0()},
		// Sunday 23:30 UTC is Monday in Berlin: ISO weeks turn there.
		{"30 23 * * SUN", time.UTC, time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC), "2026-W48",
			time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC), time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC)},
		{"30 0 * * MON", berlin, time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC), "2026-W49",
			time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC), time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC)},
		{"CRON_TZ=Europe/Berlin 30 0 * * MON", time.UTC, time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC), "2026-W49",
			time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC), time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		d := e.digester(func(c *jobs.DigesterConfig) { c.Schedule, c.Location = tt.spec, tt.loc })
		week, since, till := d.Period(tt.now)
		got := []any{week, since.UTC(), till.UTC()}
		if diff := cmp.Diff([]any{tt.week, tt.since, tt.till}, got); diff != "" {
			t.Errorf("Period(%q, %s) (-want +got):\n%s", tt.spec, tt.now, diff)
		}
	}
	if _, err := jobs.NewDigester(jobs.DigesterConfig{Schedule: "friday"}); bot.ErrorCode(err) != bot.EINVALID ||
		!strings.Contains(err.Error(), "digest.schedule") {
		t.Errorf("bad schedule: %v", err)
	}
}

// TestDigestMessageCaps: a big week names a few people per badge and
// counts the rest, and mentions only those named.
func TestDigestMessageCaps(t *testing.T) {
	e := newEnv(t)
	b := bottest.Badge("first-pr", "First Pull Request")
	dg := &jobs.Digest{Week: "2026-W48", Since: friday.AddDate(0, 0, -7), Until: friday}
	entries := make([]jobs.DigestEntry, 12)
	for i := range entries {
		login := fmt.Sprintf("dev%02d", i)
		p := &bot.Person{ID: int64(i + 1), Handle: login, Announce: bot.AnnouncePublic,
			Identities: []bot.Identity{{Recipient: bot.Recipient{Platform: bot.PlatformGitHub, ID: login}}}}
		entries[i] = jobs.DigestEntry{Award: bot.DigestAward{ID: fmt.Sprintf("award%02d", i), Badge: b.Slug, PersonID: p.ID}, Person: p}
		dg.Newcomers = append(dg.Newcomers, p)
	}
	dg.Badges = []jobs.DigestBadge{{Badge: b, Awards: entries}}
	m := e.digester().Message(dg, bot.PlatformSlack)
	lines := strings.Split(m.Text, "\n")
	want := []string{
		"12 badges were awarded this week. Congratulations!",
		"First Pull Request: {{github:dev00}}, {{github:dev01}}, {{github:dev02}}, {{github:dev03}}, {{github:dev04}}, " +
			"{{github:dev05}}, {{github:dev06}}, {{github:dev07}}, {{github:dev08}} and 3 more",
		"Welcome to {{github:dev00}}, {{github:dev01}}, {{github:dev02}}, {{github:dev03}}, {{github:dev04}}, " +
			"{{github:dev05}}, {{github:dev06}}, {{github:dev07}}, {{github:dev08}} and 3 more, who earned their first badge!",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
	if len(m.Mentions) != 9 || len(m.Fields) != 10 {
		t.Errorf("%d mentions and %d links, want 9 and 10", len(m.Mentions), len(m.Fields))
	}
}

// TestDigestRespectsAnnounce: people who chose `settings announce dm` or
// `off` are counted in the digest but never named, mentioned or linked.
func TestDigestRespectsAnnounce(t *testing.T) {
	e := newEnv(t)
	b := bottest.Badge("first-pr", "First Pull Request")
	person := func(id int64, login, announce string) *bot.Person {
		return &bot.Person{ID: id, Handle: login, Announce: announce,
			Identities: []bot.Identity{{Recipient: bot.Recipient{Platform: bot.PlatformGitHub, ID: login}}}}
	}
	ada, quiet, shy := person(1, "ada", bot.AnnouncePublic), person(2, "quiet", bot.AnnounceOff), person(3, "shy", bot.AnnounceDM)
	dg := &jobs.Digest{Week: "2026-W48", Since: friday.AddDate(0, 0, -7), Until: friday, Newcomers: []*bot.Person{quiet, shy}}
	var awards []jobs.DigestEntry
	for _, p := range []*bot.Person{ada, quiet, shy} {
		awards = append(awards, jobs.DigestEntry{Award: bot.DigestAward{ID: "award-" + p.Handle, Badge: b.Slug, PersonID: p.ID}, Person: p})
	}
	dg.Badges = []jobs.DigestBadge{{Badge: b, Awards: awards}}
	dg.Pending = []jobs.DigestNomination{{Nomination: &bot.Nomination{ID: 7, CreatedAt: friday.AddDate(0, 0, -2)}, Badge: b, Nominee: quiet}}
	m := e.digester().Message(dg, bot.PlatformSlack)
	want := []string{
		"3 badges were awarded this week. Congratulations!",
		"First Pull Request: {{github:ada}} and 2 more",
		"Welcome to 2 people, who earned their first badge!",
		"1 nomination is waiting for approvers:",
		"#7 First Pull Request, waiting 2 days (1 approval needed)",
	}
	if diff := cmp.Diff(want, strings.Split(m.Text, "\n")); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"github:ada": "ada"}, m.Mentions); diff != "" {
		t.Errorf("mentions (-want +got):\n%s", diff)
	}
	if len(m.Fields) != 1 || m.Fields[0].Value != "ada" {
		t.Errorf("links %+v, want ada's award only", m.Fields)
	}
}

// TestDigestCatchUpEndsAtItsTime: a catch-up covers the period that ended
// at the missed time; a quiet period stays unposted however late the
// catch-up runs, even when awards were made since.
func TestDigestCatchUpEndsAtItsTime(t *testing.T) {
	e := newEnv(t)
	e.awardAt("first-pr", ada, friday.Add(24*time.Hour)) // after the digest time
	e.Clock.Set(friday.Add(3 * 24 * time.Hour))          // Monday
	out, err := e.digester().Run(e.Ctx, jobs.DigestOptions{CatchUp: true})
	if err != nil || out.Skipped != jobs.DigestEmpty || out.Posted != 0 {
		t.Fatalf("catch-up of a quiet week: %+v, %v", out, err)
	}
	if !out.Digest.Until.Equal(friday) {
		t.Errorf("the catch-up's period ends %s, want %s", out.Digest.Until, friday)
	}
	// A regular run now (digest now) covers up to now.
	if out, err = e.digester().Run(e.Ctx, jobs.DigestOptions{DryRun: true}); err != nil || len(out.Digest.Badges) != 1 {
		t.Errorf("digest now: %+v, %v; want the award", out, err)
	}
}

// With no announce channel, a digest posts nothing and so records nothing:
// the week is posted once a channel is set up.
func TestDigestWithoutChannelIsNotRecorded(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.Targets = nil })
	e.Clock.Set(friday)
	e.awardAt("first-pr", ada, friday.AddDate(0, 0, -1))
	out, err := e.digester().Run(e.Ctx, jobs.DigestOptions{})
	if err != nil || out.Skipped != jobs.DigestNoChannel || out.Posted != 0 || !strings.Contains(out.Sentence(), "not posted") {
		t.Fatalf("no channel: %+v, %v", out, err)
	}
	if posted, _ := e.DB.DigestPosted(e.Ctx, "2026-W48"); posted {
		t.Error("the week was recorded as posted though nothing was posted")
	}
	e.Svc.Targets = []bot.Target{{Platform: bot.PlatformSlack, Channel: "C0ANNOUNCE"}}
	if out, err := e.digester().Run(e.Ctx, jobs.DigestOptions{}); err != nil || out.Posted != 1 {
		t.Errorf("with a channel set up: %+v, %v", out, err)
	}
}
