package slack

import (
	"net/http"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
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
