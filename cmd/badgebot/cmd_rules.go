package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/jobs"
)

// sweepResultJSON is one line of `rules run --json`.
type sweepResultJSON struct {
	Badge     string         `json:"badge"`
	Recipient string         `json:"recipient"`
	Rules     []string       `json:"rules"`
	Evidence  []evidenceJSON `json:"evidence"`
	AwardID   string         `json:"award_id,omitempty"`
	URL       string         `json:"url,omitempty"`
	Error     string         `json:"error,omitempty"`
}

type evidenceJSON struct {
	URL  string `json:"url,omitempty"`
	Name string `json:"name,omitempty"`
}

// runRulesRun is `badgebot rules run [--dry-run] [--rule NAME] [--json]`:
// a full criteria sweep now. It prints each award made or, in a dry run,
// that would be made, with the rules and evidence that earn it, then
// delivers the announcements.
func runRulesRun(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("rules run", true)
	var dry bool
	var rule string
	fs.BoolVar(&dry, "dry-run", false, "list who would be awarded; change nothing")
	fs.StringVar(&rule, "rule", "", "only the badge of this rule")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	js, err := app.scheduled()
	if err != nil {
		return err
	}
	// JSON is streamed, one element per result: a first sweep may
	// award to many people.
	n := 0
	opts := jobs.SweepOptions{DryRun: dry, Rule: rule, Full: true, OnResult: func(r jobs.SweepResult) {
		if c.json {
			sep := ","
			if n == 0 {
				sep = "["
			}
			buf, _ := json.MarshalIndent(toSweepJSON(app.Service, r), "  ", "  ")
			c.printf("%s\n  %s", sep, buf)
		} else {
			c.printf("%s\n", describeSweepResult(app.Service, r, dry))
		}
		n++
	}}
	bar := c.newProgress(0, "sweeping")
	opts.OnProgress = bar.set
	rep, err := js.sweeper.Sweep(ctx, opts)
	bar.finish()
	if c.json && n > 0 {
		c.printf("\n]\n") // closed even after an error: what was awarded stays listed
	}
	if err != nil {
		return err
	}
	if c.json && n == 0 {
		c.printf("[]\n")
	}
	app.DeliverNow(ctx)
	switch {
	case c.json:
	case dry:
		c.printf("dry run: %d %s would be awarded (%d people, %d events read); nothing was changed\n",
			rep.Awarded, plural(rep.Awarded, "badge"), rep.People, rep.Events)
	default:
		c.printf("swept %d people, %d events: %d %s awarded", rep.People, rep.Events, rep.Awarded, plural(rep.Awarded, "badge"))
		if rep.Failed > 0 {
			c.printf(", %d failed", rep.Failed)
		}
		c.printf("\n")
	}
	// With --json too: a script must see the failure in the exit code.
	if rep.Failed > 0 {
		return fmt.Errorf("rules run: %d awards failed (see the log)", rep.Failed)
	}
	return nil
}

// describeSweepResult writes one result for a person: who gets what, by
// which rules, for what.
func describeSweepResult(svc *bot.Service, r jobs.SweepResult, dry bool) string {
	var ev []string
	for _, e := range r.Request.Evidence {
		ev = append(ev, strings.TrimSpace(e.Name+" "+e.URL))
	}
	why := fmt.Sprintf("rule %s: %s", strings.Join(r.Rules, " and "), strings.Join(ev, ", "))
	switch {
	case dry:
		return fmt.Sprintf("would award %s to %s (%s)", r.Request.Badge, r.Request.To, why)
	case r.Err != nil:
		return fmt.Sprintf("FAILED to award %s to %s: %s (%s)", r.Request.Badge, r.Request.To, oneLine(r.Err), why)
	}
	return fmt.Sprintf("awarded %s to %s: award %s %s (%s)", r.Request.Badge, r.Request.To, r.Award.ID, svc.AwardURL(r.Award.ID), why)
}

func toSweepJSON(svc *bot.Service, r jobs.SweepResult) sweepResultJSON {
	j := sweepResultJSON{Badge: r.Request.Badge, Recipient: r.Request.To.String(), Rules: r.Rules, Evidence: []evidenceJSON{}}
	for _, e := range r.Request.Evidence {
		j.Evidence = append(j.Evidence, evidenceJSON{URL: e.URL, Name: e.Name})
	}
	if r.Award != nil {
		j.AwardID, j.URL = r.Award.ID, svc.AwardURL(r.Award.ID)
	}
	if r.Err != nil {
		j.Error = oneLine(r.Err)
	}
	return j
}

// plural adds an s to a noun unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
