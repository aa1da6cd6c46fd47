package slack

import (
	"context"
	"crypto/sha256"
	"errors"
	"regexp"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// A request's signature covers its timestamp and body, so a captured
// request verifies again for as long as its timestamp is in the window.
// Each is therefore recorded when accepted, and refused when seen again.
// The record is the hash of what Slack signed, not of the signature
// header, which has more than one spelling (hex digits in either case).
//
// Events are recorded by event_id instead: Slack retries an event whose
// answer was late or lost as a new request (new timestamp, signature and
// X-Slack-Retry-Num), and a retry of an event already handled is answered
// 200 and not handled again, while a retry of one that never arrived is
// handled. Socket Mode needs no request record (envelopes come over the
// app token's own connection and are acknowledged), but its events go
// through the same event_id record, so that a retry reaching another
// replica is not handled twice.

// eventHold is how long an event id is remembered: Slack retries an
// event three times, the last about five minutes after the first.
const eventHold = time.Hour

// errReplay is the refusal of a request already accepted once.
var errReplay = errors.New("request already received (a replay)")

// requestKey is the record of a signed request.
func requestKey(timestamp string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte("request\x00v0:" + timestamp + ":"))
	h.Write(body)
	return h.Sum(nil)
}

// eventKey is the record of an Events API event.
func eventKey(eventID string) []byte {
	sum := sha256.Sum256([]byte("event\x00" + eventID))
	return sum[:]
}

// firstRequest records a verified request whose timestamp is sec and
// reports errReplay when it was recorded before.
func (a *Adapter) firstRequest(ctx context.Context, timestamp string, sec int64, body []byte) error {
	// Kept until the timestamp leaves the window, with a margin for
	// replicas whose clocks differ a little.
	expires := time.Unix(sec, 0).Add(maxSkew + time.Minute)
	first, err := a.seen.FirstSeen(ctx, bot.PlatformSlack, requestKey(timestamp, body), expires)
	if err != nil {
		return err
	}
	if !first {
		return errReplay
	}
	return nil
}

// firstEvent records an event id and reports whether it is new. An event
// without an id is always new.
func (a *Adapter) firstEvent(ctx context.Context, eventID string) (bool, error) {
	if eventID == "" {
		return true, nil
	}
	return a.seen.FirstSeen(ctx, bot.PlatformSlack, eventKey(eventID), time.Now().Add(eventHold))
}

// teamID is what a Slack workspace (T…) or Enterprise Grid organisation
// (E…) id looks like.
var teamID = regexp.MustCompile(`^[TE][A-Z0-9]{2,30}$`)

func isTeamID(s string) bool { return teamID.MatchString(s) }

// teamAllowed reports whether requests from the workspace are served:
// every workspace when no team_ids are configured, else those listed.
func (a *Adapter) teamAllowed(team string) bool {
	return len(a.teams) == 0 || a.teams[team]
}

// refuseTeam logs a request from a workspace outside team_ids.
func (a *Adapter) refuseTeam(what, team string) {
	a.log.Warn("slack: request from a workspace not in slack.team_ids refused", "kind", what, "team", team)
}

// notServed is the reply to a command from a workspace outside team_ids.
const notServed = "badgebot is not set up for this workspace."
