package main

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
	"github.com/badgebot/badgebot/integrations/github"
	"github.com/badgebot/badgebot/internal/cputime"
)

// BenchmarkProcess is DESIGN §7 "Processing" end to end: b.N distinct
// merged-PR deliveries (the real ~30 KB payload, each by its own author,
// as cmd/loadgen sends them) are stored as the webhook handler stores
// them (with their extracts), then the ingestor turns them into awards
// (read the extract, normalise, store events, rules, sign, store award),
// with the collector paced as the binary paces it. It reports awards/s; the
// per-stage benchmarks are in storage (BenchmarkProcessDelivery),
// integrations/github (BenchmarkNormalize) and issuer (signing).
func BenchmarkProcess(b *testing.B) {
	withGCDefaults(b)
	app := startApp(b, func(c *config.Config) {
		c.Badges = []config.BadgeConfig{{Slug: "first-pr", Name: "First Pull Request",
			Description: "Had a first pull request merged.", Criteria: "Get one pull request merged.", Approvals: 1}}
		c.Rules = []config.RuleConfig{{Name: "first-merged-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1}}
	})
	tmpl := githubPayload(b, "pull_request.closed.merged.json")
	ctx := context.Background()
	b.StopTimer()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 64 {
		wg.Go(func() {
			for n := range next {
				num := strconv.Itoa(n)
				body := bytes.ReplaceAll(tmpl, []byte(`"login": "Codertocat"`), []byte(`"login": "user-`+num+`"`))
				body = bytes.ReplaceAll(body, []byte(`"number": 2,`), []byte(`"number": `+num+`,`))
				body = bytes.ReplaceAll(body, []byte(`/pull/2`), []byte(`/pull/`+num))
				d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "bench-" + num, Type: "pull_request",
					Body: body, ReceivedAt: time.Now().UTC()}
				// What the webhook handler stores with the body.
				d.Extract, _ = github.Extract(nil, github.TypePullRequest, body)
				if _, err := app.DB.SaveDelivery(ctx, d); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for n := range b.N {
		next <- n + 1
	}
	close(next)
	wg.Wait()
	cpu := cputime.Self(b)
	busy := writerBusyOf(app)
	b.StartTimer()
	if _, err := app.Ingestor.ProcessPending(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu = cputime.Self(b) - cpu
	busy = writerBusyOf(app) - busy
	as, err := app.DB.Awards(ctx, bot.AwardFilter{Badge: "first-pr"})
	if err != nil {
		b.Fatal(err)
	}
	if len(as) != b.N {
		b.Fatalf("%d awards for %d deliveries", len(as), b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "awards/s")
	// CPU per award is what holds on a shared machine, where awards/s
	// depends on what else runs.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/award")
	// The one SQLite writer's time per award bounds the rate by itself
	// (1 s / writer time), whatever the cores.
	if busy > 0 {
		b.ReportMetric(float64(busy.Microseconds())/float64(b.N), "writer-µs/award")
	}
}

// writerBusyOf is the time SQLite's writer has been busy (0 on PostgreSQL).
func writerBusyOf(app *testApp) time.Duration {
	if w, ok := app.DB.(writerBusy); ok {
		return w.WriterBusy()
	}
	return 0
}
