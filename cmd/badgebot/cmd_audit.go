package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// auditEntryJSON is one action of the audit trail as `audit --json` and
// GET /api/v1/audit print it.
type auditEntryJSON struct {
	At         time.Time `json:"at"`
	Action     string    `json:"action"` // award, approve, reject, expire, revoke, link
	By         string    `json:"by"`     // PLATFORM:ID, cli, api or badgebot
	Via        string    `json:"via"`    // slack, discord, console, cli, api, rule, backfill, schedule, github, bugzilla, github-bio; "" unknown
	Badge      string    `json:"badge,omitempty"`
	Subject    string    `json:"subject,omitempty"`
	Award      string    `json:"award,omitempty"`
	Nomination int64     `json:"nomination,omitempty"`
	Detail     string    `json:"detail,omitempty"`
}

func toAuditJSON(es []bot.AuditEntry) []auditEntryJSON {
	out := make([]auditEntryJSON, 0, len(es))
	for _, e := range es {
		out = append(out, auditEntryJSON{At: e.At.UTC(), Action: e.Action, By: e.By, Via: e.Via, Badge: e.Badge,
			Subject: e.Subject, Award: e.AwardID, Nomination: e.NominationID, Detail: e.Detail})
	}
	return out
}

// parseSince reads --since: a date (2026-11-01), an RFC 3339 time, or a
// duration back from now (36h, 7d).
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d >= 0 {
			return now.Add(-time.Duration(d) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, bot.Errorf(bot.EINVALID, "since %q: want a date (2026-11-01), an RFC 3339 time or a duration (36h, 7d)", s)
}

func runAudit(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("audit", true)
	var since string
	fs.StringVar(&since, "since", "", "only actions from then on: a date, an RFC 3339 time or a duration (7d)")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	from, err := parseSince(since, time.Now())
	if err != nil {
		return usagef("audit: --%s", bot.ErrorMessage(err))
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	es, err := app.reads.Audit(ctx, bot.AuditFilter{Since: from})
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(toAuditJSON(es))
	}
	if len(es) == 0 {
		c.printf("no actions\n")
	}
	for _, e := range es {
		via := e.Via
		if via == "" {
			via = "?"
		}
		what := strings.TrimSpace(e.Badge + " " + e.Subject)
		if e.AwardID != "" {
			what += " award " + e.AwardID
		}
		if e.NominationID != 0 {
			what += " nomination #" + strconv.FormatInt(e.NominationID, 10)
		}
		line := e.At.UTC().Format(time.RFC3339) + "  " + e.Action + "  " + strings.TrimSpace(what) + "  by " + e.By + " via " + via
		if e.Detail != "" {
			line += ": " + e.Detail
		}
		c.printf("%s\n", strings.Join(strings.Fields(line), " "))
	}
	return nil
}

// apiAudit serves GET /api/v1/audit (admin token): the audit trail,
// ?since= as `audit --since`.
func (a *App) apiAudit(w http.ResponseWriter, r *http.Request) {
	from, err := parseSince(r.URL.Query().Get("since"), time.Now())
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	es, err := a.reads.Audit(r.Context(), bot.AuditFilter{Since: from, Limit: 10000})
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAuditJSON(es))
}
