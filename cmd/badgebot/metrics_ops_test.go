package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
)

func TestMetricsShowWhatAnOperatorWatches(t *testing.T) {
	app := startApp(t, nil)
	ctx := context.Background()
	for _, to := range []string{"github:alice", "github:bob"} {
		r, _ := bot.ParseRecipient(to)
		if _, err := app.Service.Award(ctx, bot.AwardRequest{Badge: "first-pr", To: r, Source: bot.SourceManual, Narrative: "Helped"}); err != nil {
			t.Fatal(err)
		}
	}
	body := githubPayload(t, "pull_request.closed.merged.json")
	if code, resp := postGitHub(t, app.URL, "pull_request", "d-1", body, testSecret); code != http.StatusAccepted {
		t.Fatalf("delivery: %d %s", code, resp)
	}
	settle(t, app)
	if err := app.Scheduler.RunNow(ctx, jobSweep); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(app.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := string(page)
	for _, want := range []string{
		`badgebot_awards{source="manual"} 2`,
		`badgebot_awards{source="rule"} 1`,
		`badgebot_webhook_deliveries{outcome="processed",source="github"} 1`,
		"badgebot_outbox_pending ",
		"badgebot_outbox_failing 0",
		"badgebot_outbox_oldest_age_seconds ",
		"badgebot_nominations_pending 0",
		"badgebot_database_stats_up 1",
		`badgebot_job_duration_seconds_count{job="sweep"} 1`,
		`badgebot_job_last_success_timestamp_seconds{job="sweep"} `,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// SQLite's one writer ran the writes above: its busy time is counted.
	// PostgreSQL has no single writer, and no such count.
	_, rest, found := strings.Cut(out, "\nbadgebot_storage_writer_busy_seconds_total ")
	line, _, _ := strings.Cut(rest, "\n")
	if app.Config.Storage.Driver == driverPostgres {
		if found {
			t.Errorf("/metrics on PostgreSQL counts a single writer's busy time: %s", line)
		}
	} else if busy, err := strconv.ParseFloat(line, 64); err != nil || busy <= 0 {
		t.Errorf("badgebot_storage_writer_busy_seconds_total = %q, want a positive count", line)
	}
}
