package jobs_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/google/go-cmp/cmp"
)

func TestRuleHealth(t *testing.T) {
	e := newEnv(t)
	if err := e.Svc.SaveBadge(e.Ctx, bottest.Badge("bug-fixer", "Bug Fixer")); err != nil {
		t.Fatal(err)
	}
	rules := []bot.Rule{
		{Name: "octo-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1, Repositories: []string{"octo/*"}},
		{Name: "firefox-fix", Badge: "bug-fixer", Event: bot.EventBugFixed, Threshold: 1, Products: []string{"Firefox"}},
	}
	s := e.sweeper(rules...)
	h := jobs.NewRuleHealthCheck(jobs.RuleHealthCheckConfig{
		Store: e.DB, Rules: rules, Silence: 30 * 24 * time.Hour,
		ReviewChannels: map[string]string{bot.PlatformSlack: "C0REVIEW"},
		Admins:         []bot.Recipient{bottest.Recipient(t, admin), bottest.Recipient(t, "discord:123456789012345678")},
		Platforms:      []string{bot.PlatformSlack, bot.PlatformDiscord},
		Now:            e.Clock.Now, Log: slog.New(slog.DiscardHandler),
	})
	n := 0
	prs := func(repo string) {
		var events []bot.Event
		for range 6 {
			n++
			ev := pr(fmt.Sprintf("dev%d", n), "octo/hello", n, 0)
			ev.Repository = repo // a payload without it names none
			ev.OccurredAt, ev.ReceivedAt = e.Clock.Now(), e.Clock.Now()
			events = append(events, ev)
		}
		e.store(events...)
	}
	check := func() *jobs.RuleHealthReport {
		t.Helper()
		rep, err := s.Sweep(e.Ctx, jobs.SweepOptions{})
		if err != nil {
			t.Fatal(err)
		}
		hr, err := h.Check(e.Ctx, rep.LastMatch)
		if err != nil {
			t.Fatal(err)
		}
		return hr
	}

	prs("octo/hello")
	if hr := check(); len(hr.Problems) != 0 {
		t.Fatalf("first check: %q", hr.Problems)
	}
	// A month on, pull requests arrive without their repository.
	e.Clock.Advance(31 * 24 * time.Hour)
	prs("")
	hr := check()
	want := []string{
		"Rule octo-pr has matched no merged pull request since 26 Nov 2026. Is the webhook still delivering, and do its filters still fit?",
		"Rule firefox-fix has matched no fixed bug since it was added on 26 Nov 2026. Is the webhook still delivering, and do its filters still fit?",
		"6 of the 6 github.pull_request.merged events received since the last check have no repository, which they used to have; rule octo-pr needs it. Did the webhook payload change?",
	}
	if diff := cmp.Diff(want, hr.New); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	// One report to the Slack review channel, a direct message to the
	// Discord admin (Discord has no review channel).
	e.Deliver()
	reviews := postsTo(e.Slack, "C0REVIEW")
	if hr.Announced != 2 || len(reviews) != 1 || reviews[0].Message.Title != "Rule health" ||
		reviews[0].Message.Text != strings.Join(want, "\n") {
		t.Errorf("announced %d; Slack review posts %+v", hr.Announced, reviews)
	}

	// Next run: the problems stand but are not reported again.
	e.Clock.Advance(time.Hour)
	prs("")
	if hr := check(); len(hr.New) != 0 || hr.Announced != 0 || len(hr.Problems) != 3 {
		t.Errorf("second check: new %q, problems %q", hr.New, hr.Problems)
	}
	// Fixed: the repository is back and the rule matches again.
	prs("octo/hello")
	if hr := check(); len(hr.Problems) != 1 || !strings.Contains(hr.Problems[0], "firefox-fix") {
		t.Errorf("after the fix: %q", hr.Problems)
	}
	// Broken again: reported again.
	prs("")
	if hr := check(); len(hr.New) != 1 || !strings.Contains(hr.New[0], "no repository") {
		t.Errorf("broken again: %q", hr.New)
	}
}
