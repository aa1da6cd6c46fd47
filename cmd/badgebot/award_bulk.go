package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/badgebot/badgebot/bot"
)

// awardResult is the outcome of one recipient's award in a bulk award.
type awardResult struct {
	To    bot.Recipient
	Award *bot.Award
	Err   error
}

// awardEach awards to each recipient in turn; one failing does not stop
// the others.
func awardEach(ctx context.Context, svc *bot.Service, recs []bot.Recipient, req func(bot.Recipient) bot.AwardRequest) []awardResult {
	out := make([]awardResult, 0, len(recs))
	for _, r := range recs {
		a, err := svc.Award(ctx, req(r))
		out = append(out, awardResult{To: r, Award: a, Err: err})
	}
	return out
}

// awardResultJSON is one recipient's outcome in `award --json` with
// several --to, and in POST /api/v1/awards with a list.
type awardResultJSON struct {
	Recipient string     `json:"recipient"`
	Award     *awardJSON `json:"award,omitempty"`
	Error     string     `json:"error,omitempty"`
	Code      string     `json:"code,omitempty"`
}

func toAwardResultJSON(svc *bot.Service, r awardResult) awardResultJSON {
	j := awardResultJSON{Recipient: r.To.String()}
	if r.Err != nil {
		j.Error, j.Code = oneLine(r.Err), bot.ErrorCode(r.Err)
		return j
	}
	aj := toAwardJSON(svc, r.Award, false)
	j.Award = &aj
	return j
}

// printAwardResults prints what `award` did: for one recipient as before
// (the award, or the error), for several one line (or JSON entry) each.
func (c *cli) printAwardResults(svc *bot.Service, results []awardResult) error {
	if len(results) == 1 {
		r := results[0]
		if r.Err != nil {
			return r.Err
		}
		if c.json {
			return c.printJSON(toAwardJSON(svc, r.Award, false))
		}
		c.printf("awarded %s to %s: award %s\n  page:       %s\n  credential: %s\n", r.Award.Badge, r.Award.Recipient, r.Award.ID,
			svc.AwardURL(r.Award.ID), svc.CredentialURL(r.Award.ID))
		return nil
	}
	failed := 0
	var js []awardResultJSON
	for _, r := range results {
		if r.Err != nil {
			failed++
		}
		if c.json {
			js = append(js, toAwardResultJSON(svc, r))
			continue
		}
		if r.Err != nil {
			c.printf("%s: not awarded: %s\n", r.To, oneLine(r.Err))
			continue
		}
		c.printf("%s: awarded %s: award %s %s\n", r.To, r.Award.Badge, r.Award.ID, svc.AwardURL(r.Award.ID))
	}
	if c.json {
		if err := c.printJSON(js); err != nil {
			return err
		}
	}
	if failed > 0 {
		return silentError{fmt.Errorf("award: %d of %d recipients not awarded", failed, len(results))}
	}
	return nil
}

// maxBulkRecipients bounds one POST /api/v1/awards with a list.
const maxBulkRecipients = 1000

// apiCreateAwards is POST /api/v1/awards with "recipients": the badge for
// each, reported one by one ({"results": [...]}, 200 whatever each
// outcome, in the order given).
func (a *App) apiCreateAwards(w http.ResponseWriter, r *http.Request, body awardRequestJSON) {
	if body.Recipient != "" {
		writeJSONError(w, http.StatusBadRequest, `give "recipient" or "recipients", not both`)
		return
	}
	if len(body.Recipients) > maxBulkRecipients {
		writeJSONError(w, http.StatusBadRequest, fmt.Sprintf("at most %d recipients at once", maxBulkRecipients))
		return
	}
	results := make([]awardResultJSON, 0, len(body.Recipients))
	for _, s := range body.Recipients {
		to, err := bot.ParseRecipient(s)
		if err != nil {
			results = append(results, awardResultJSON{Recipient: s, Error: oneLine(err), Code: bot.ErrorCode(err)})
			continue
		}
		req := bot.AwardRequest{Badge: body.Badge, To: to, Narrative: body.Narrative, Source: bot.SourceAPI, By: bot.ViaAPI, Via: bot.ViaAPI}
		for _, u := range body.Evidence {
			req.Evidence = append(req.Evidence, bot.Evidence{URL: u, Name: u})
		}
		res := awardEach(apiOrigin(r), a.Service, []bot.Recipient{to}, func(bot.Recipient) bot.AwardRequest { return req })[0]
		if errors.Is(res.Err, bot.ErrNoEvidence) {
			res.Err = bot.Errorf(bot.EINVALID, `add "narrative" (why the badge is given) or "evidence" (URLs of the work)`)
		}
		if bot.ErrorCode(res.Err) == bot.EINTERNAL {
			a.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "recipient", to.String(), "err", res.Err)
			res.Err = bot.Errorf(bot.EINTERNAL, "internal error")
		}
		results = append(results, toAwardResultJSON(a.Service, res))
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}
