package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// With slack.team_ids set, commands, clicks and events from other
// workspaces are refused (a short reply to a command, 403 to a click, an
// event acknowledged and dropped) and never reach the router; the listed
// workspace is served.
func TestTeamAllowList(t *testing.T) {
	fs := newFakeSlack(t, nil)
	router := &fakeRouter{reply: bot.Reply{Message: bot.Message{Text: "Awarded."}}}
	a := newTestAdapter(t, fs, router, func(c *Config) { c.TeamIDs = []string{"T0ALLOWED"} })

	w := serve(a.Commands, slackRequest("/slack/commands", formType, slashBody("mine", ""))) // team T0001
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), notServed) || !strings.Contains(w.Body.String(), `"ephemeral"`) {
		t.Errorf("command from another workspace: status %d %s", w.Code, w.Body)
	}
	if w := serve(a.Interactions, slackRequest("/slack/interactions", formType, interactionBody(false, fs.responseURL()))); w.Code != http.StatusForbidden {
		t.Errorf("click from another workspace: status %d %s, want 403", w.Code, w.Body)
	}
	if w := serve(a.Events, slackRequest("/slack/events", "application/json", mentionEvent("<@UBOT0001> mine"))); w.Code != http.StatusOK {
		t.Errorf("event from another workspace: status %d, want 200", w.Code)
	}
	a.Wait()
	if cmds, clicks := router.calls(); len(cmds)+len(clicks) != 0 {
		t.Fatalf("router saw %d commands and %d clicks from another workspace", len(cmds), len(clicks))
	}
	if n := len(fs.seen("")); n != 0 {
		t.Errorf("%d Slack calls for refused requests", n)
	}

	body := strings.Replace(slashBody("mine", ""), "team_id=T0001", "team_id=T0ALLOWED", 1)
	if w := serve(a.Commands, slackRequest("/slack/commands", formType, body)); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Awarded.") {
		t.Errorf("command from the listed workspace: status %d %s", w.Code, w.Body)
	}
	ev := strings.Replace(mentionEvent("<@UBOT0001> mine"), `"team_id":"T1"`, `"team_id":"T0ALLOWED"`, 1)
	ev = strings.Replace(ev, "Ev0001", "Ev0009", 1)
	if w := serve(a.Events, slackRequest("/slack/events", "application/json", ev)); w.Code != http.StatusOK {
		t.Errorf("event from the listed workspace: status %d", w.Code)
	}
	if cmds, _ := router.calls(); len(cmds) != 2 {
		t.Errorf("router saw %d commands from the listed workspace, want 2", len(cmds))
	}
}

// recordingAcker records Socket Mode acknowledgements.
type recordingAcker struct {
	mu   sync.Mutex
	acks map[string]any
}

func (r *recordingAcker) AckCtx(_ context.Context, id string, payload any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.acks == nil {
		r.acks = map[string]any{}
	}
	r.acks[id] = payload
	return nil
}

// Over Socket Mode too, team_ids refuse commands and events of other
// workspaces (acknowledged, the command with the short reply), and an
// event's retry is handled when its first attempt never arrived.
func TestSocketModeTeamsAndRetries(t *testing.T) {
	fs := newFakeSlack(t, nil)
	router := &fakeRouter{reply: bot.Reply{Message: bot.Message{Text: "ok"}}}
	a := newTestAdapter(t, fs, router, func(c *Config) { c.TeamIDs = []string{"T0ALLOWED"} })
	ack := &recordingAcker{}
	ctx := context.Background()
	event := func(id, team, eventID string, retry int) socketmode.Event {
		var body map[string]any
		_ = json.Unmarshal([]byte(strings.Replace(mentionEvent("<@UBOT0001> mine"), "Ev0001", eventID, 1)), &body)
		body["team_id"] = team
		raw, _ := json.Marshal(body)
		e, err := slackevents.ParseEvent(raw, slackevents.OptionNoVerifyToken())
		if err != nil {
			t.Fatal(err)
		}
		return socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: e, Request: &socketmode.Request{EnvelopeID: id, RetryAttempt: retry}}
	}
	a.socketEvent(ctx, ack, socketmode.Event{Type: socketmode.EventTypeSlashCommand,
		Data:    slack.SlashCommand{TeamID: "T0OTHER", UserID: "U2147483697", Text: "mine"},
		Request: &socketmode.Request{EnvelopeID: "env-cmd"}})
	a.socketEvent(ctx, ack, event("env-other", "T0OTHER", "Ev0100", 0))
	a.socketEvent(ctx, ack, event("env-retry", "T0ALLOWED", "Ev0101", 2)) // first attempt lost
	a.Wait()
	a.socketEvent(ctx, ack, event("env-retry-again", "T0ALLOWED", "Ev0101", 3))
	a.Wait()

	if got, _ := json.Marshal(ack.acks["env-cmd"]); !strings.Contains(string(got), notServed) {
		t.Errorf("command from another workspace acknowledged with %s", got)
	}
	for _, id := range []string{"env-other", "env-retry", "env-retry-again"} {
		if _, ok := ack.acks[id]; !ok {
			t.Errorf("%s not acknowledged", id)
		}
	}
	if cmds, _ := router.calls(); len(cmds) != 1 {
		t.Errorf("router saw %d commands, want 1 (the first sight of Ev0101)", len(cmds))
	}
}
