package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
)

// ruleEvents names what each event kind counts, singular and plural.
var ruleEvents = map[string][2]string{
	bot.EventPRMerged:           {"merged pull request", "merged pull requests"},
	bot.EventReviewApproved:     {"approving pull request review", "approving pull request reviews"},
	bot.EventIssueClosed:        {"closed issue", "closed issues"},
	bot.EventBugFixed:           {"fixed bug", "fixed bugs"},
	bot.EventBugCreated:         {"filed bug", "filed bugs"},
	bot.EventAttachmentReviewed: {"reviewed patch", "reviewed patches"},
	bot.EventNominationApproved: {"approved nomination", "approved nominations"},
}

// ruleWords returns, for the badge pages, how each badge is awarded by the
// rules in plain words: "Awarded automatically after 3 merged pull
// requests in octo-org/* within 30 days." Rules naming one badge must all
// hold, so they make one sentence joined by "and".
func ruleWords(rules []bot.Rule) func(slug string) []string {
	by := map[string][]string{}
	for _, r := range rules {
		by[r.Badge] = append(by[r.Badge], ruleClause(r))
	}
	return func(slug string) []string {
		cs := by[slug]
		if len(cs) == 0 {
			return nil
		}
		return []string{"Awarded automatically after " + strings.Join(cs, " and ") + "."}
	}
}

// ruleClause says one rule: "3 merged pull requests in octo-org/* within
// 30 days".
func ruleClause(r bot.Rule) string {
	words, ok := ruleEvents[r.Event]
	if !ok {
		words = [2]string{r.Event + " event", r.Event + " events"}
	}
	var b strings.Builder
	if r.Threshold == 1 {
		b.WriteString("a " + words[0])
	} else {
		b.WriteString(strconv.Itoa(r.Threshold) + " " + words[1])
	}
	if len(r.Repositories) > 0 {
		b.WriteString(" in " + orList(r.Repositories))
	}
	if len(r.Products) > 0 {
		b.WriteString(" in product " + orList(r.Products))
	}
	if len(r.Components) > 0 {
		b.WriteString(", component " + orList(r.Components))
	}
	if r.Window > 0 {
		b.WriteString(" within " + windowWords(r.Window))
	}
	return b.String()
}

func orList(xs []string) string {
	if len(xs) == 1 {
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

// windowWords says a rule window: "30 days", "1 week", "12 hours".
func windowWords(d time.Duration) string {
	const day = 24 * time.Hour
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d%day == 0:
		return plural(int64(d/day), "day")
	case d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute")
	}
	return d.String()
}

// pageError answers an error of a page route: the site's HTML error page
// to browsers, JSON to API clients.
func (a *App) pageError(is *issuer.Handler, w http.ResponseWriter, r *http.Request, err error) {
	if issuer.WantsJSON(r) || bot.ErrorCode(err) == bot.EINTERNAL {
		a.writeError(w, r, err)
		return
	}
	status, ok := httpStatus[bot.ErrorCode(err)]
	if !ok {
		status = http.StatusInternalServerError
	}
	is.Error(w, r, status, bot.ErrorMessage(err))
}
