package slack

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
)

// replay copies a signed request as an attacker who captured it would
// send it again, within the timestamp window.
func replay(r *http.Request, body string) *http.Request {
	again := slackRequest(r.URL.Path, r.Header.Get("Content-Type"), body)
	again.Header = r.Header.Clone()
	return again
}

// A captured slash command or click, sent again within the window, is
// refused and reaches the router once: a replayed `award` of a repeatable
// badge awards once.
func TestReplayedRequestsRefused(t *testing.T) {
	fs := newFakeSlack(t, nil)
	router := &fakeRouter{reply: bot.Reply{Message: bot.Message{Text: "Awarded."}}}
	a := newTestAdapter(t, fs, router)

	body := slashBody("award <@U0GRACE01|grace> helper", "")
	first := slackRequest("/slack/commands", formType, body)
	if w := serve(a.Commands, first); w.Code != http.StatusOK {
		t.Fatalf("first: status %d %s", w.Code, w.Body)
	}
	if w := serve(a.Commands, replay(first, body)); w.Code != http.StatusUnauthorized {
		t.Errorf("replayed command: status %d %s, want 401", w.Code, w.Body)
	}
	// The signature's hex digits in upper case verify too: still a replay.
	upper := replay(first, body)
	upper.Header.Set("X-Slack-Signature", "v0="+strings.ToUpper(strings.TrimPrefix(first.Header.Get("X-Slack-Signature"), "v0=")))
	if w := serve(a.Commands, upper); w.Code != http.StatusUnauthorized {
		t.Errorf("replayed command, signature in upper case: status %d %s, want 401", w.Code, w.Body)
	}

	click := interactionBody(false, fs.responseURL())
	firstClick := slackRequest("/slack/interactions", formType, click)
	if w := serve(a.Interactions, firstClick); w.Code != http.StatusOK {
		t.Fatalf("first click: status %d %s", w.Code, w.Body)
	}
	if w := serve(a.Interactions, replay(firstClick, click)); w.Code != http.StatusUnauthorized {
		t.Errorf("replayed click: status %d %s, want 401", w.Code, w.Body)
	}
	a.Wait()
	cmds, clicks := router.calls()
	if len(cmds) != 1 || len(clicks) != 1 {
		t.Errorf("router saw %d commands and %d clicks, want 1 and 1", len(cmds), len(clicks))
	}

	// The same command typed again is a new request (Slack signs each with
	// its own trigger_id and timestamp) and is accepted.
	if w := serve(a.Commands, slackRequest("/slack/commands", formType, slashBody("award <@U0GRACE01|grace> helper", ""))); w.Code != http.StatusOK {
		t.Errorf("a second, new command: status %d %s", w.Code, w.Body)
	}
}

// When the record of accepted requests cannot be written, requests are
// refused with 503 rather than accepted unrecorded.
func TestReplayStoreDown(t *testing.T) {
	fs := newFakeSlack(t, nil)
	router := &fakeRouter{reply: bot.Reply{Message: bot.Message{Text: "ok"}}}
	a := newTestAdapter(t, fs, router, func(c *Config) { c.Seen = &bottest.Seen{Err: errors.New("disk I/O error")} })
	if w := serve(a.Commands, slackRequest("/slack/commands", formType, slashBody("mine", ""))); w.Code != http.StatusServiceUnavailable {
		t.Errorf("command: status %d, want 503", w.Code)
	}
	req := slackRequest("/slack/events", "application/json", mentionEvent("<@UBOT0001> help"))
	if w := serve(a.Events, req); w.Code != http.StatusServiceUnavailable {
		t.Errorf("event: status %d, want 503 (Slack retries it)", w.Code)
	}
	if cmds, _ := router.calls(); len(cmds) != 0 {
		t.Errorf("router saw %d commands, want none", len(cmds))
	}
}

// Events are handled once per event_id: a replay and Slack's retries of a
// handled event are answered 200 and not handled again, while a retry of
// an event whose first delivery never arrived is handled.
func TestEventsOncePerEventID(t *testing.T) {
	fs := newFakeSlack(t, nil)
	router := &fakeRouter{reply: bot.Reply{Message: bot.Message{Text: "Nominated."}}}
	a := newTestAdapter(t, fs, router)

	body := mentionEvent("<@UBOT0001> mine")
	first := slackRequest("/slack/events", "application/json", body)
	if w := serve(a.Events, first); w.Code != http.StatusOK {
		t.Fatalf("status = %d", w.Code)
	}
	if w := serve(a.Events, replay(first, body)); w.Code != http.StatusOK {
		t.Errorf("replayed event: status %d, want 200", w.Code)
	}
	retry := slackRequest("/slack/events", "application/json", body)
	retry.Header.Set("X-Slack-Retry-Num", "2")
	if w := serve(a.Events, retry); w.Code != http.StatusOK {
		t.Errorf("retried event: status %d, want 200", w.Code)
	}
	if cmds, _ := router.calls(); len(cmds) != 1 {
		t.Fatalf("router saw %d commands, want 1", len(cmds))
	}

	// The first delivery of Ev0002 was lost; Slack's retry is the first
	// the bot sees, and it is handled.
	lost := strings.Replace(mentionEvent("<@UBOT0001> mine"), "Ev0001", "Ev0002", 1)
	retry = slackRequest("/slack/events", "application/json", lost)
	retry.Header.Set("X-Slack-Retry-Num", "1")
	retry.Header.Set("X-Slack-Retry-Reason", "http_error")
	if w := serve(a.Events, retry); w.Code != http.StatusOK {
		t.Fatalf("status = %d", w.Code)
	}
	if cmds, _ := router.calls(); len(cmds) != 2 {
		t.Errorf("router saw %d commands, want 2: a retry of an event never seen is handled", len(cmds))
	}
}

// A request signed at the edge of the window and replayed just inside it
// is still refused: the record outlives the window.
func TestReplayRecordOutlivesWindow(t *testing.T) {
	clock := bottest.NewClock(time.Now())
	seen := &bottest.Seen{Now: clock.Now}
	fs := newFakeSlack(t, nil)
	a := newTestAdapter(t, fs, &fakeRouter{}, func(c *Config) { c.Seen = seen })
	body := slashBody("mine", "")
	r := signedAt(body, time.Now().Add(-maxSkew+5*time.Second))
	if w := serve(a.Commands, r); w.Code != http.StatusOK {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	clock.Advance(4 * time.Second)
	if w := serve(a.Commands, replay(r, body)); w.Code != http.StatusUnauthorized {
		t.Errorf("replay at the window's edge: status %d, want 401", w.Code)
	}
}

func signedAt(body string, at time.Time) *http.Request {
	r := slackRequest("/slack/commands", formType, body)
	ts, sig := sign(testSecret, at, body)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", sig)
	return r
}
