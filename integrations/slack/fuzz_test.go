package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// forgetful accepts every request as new: the fuzzer runs an input more
// than once, and replays are tested on their own.
type forgetful struct{}

func (forgetful) FirstSeen(context.Context, string, []byte, time.Time) (bool, error) {
	return true, nil
}

// endpoints are the HTTP endpoints a fuzz input is sent to, by its first
// argument modulo their number.
func endpoints(a *Adapter) []struct {
	path, contentType string
	h                 http.HandlerFunc
} {
	return []struct {
		path, contentType string
		h                 http.HandlerFunc
	}{
		{"/slack/commands", formType, a.Commands},
		{"/slack/interactions", formType, a.Interactions},
		{"/slack/events", "application/json", a.Events},
	}
}

// FuzzRequests sends arbitrary bodies, correctly signed now, to the
// slash command, interaction and event endpoints of an adapter serving
// every workspace and of one serving a single workspace. Nothing may
// panic, and the answer is 200, 400 or 403 (a click from another
// workspace).
func FuzzRequests(f *testing.F) {
	f.Add(uint8(0), []byte(slashBody("nominate <@U0GRACE01|grace> docs-hero <https://e.org|x> &amp;", "")))
	f.Add(uint8(0), []byte("user_id=U1&team_id=T0ALLOWED&text=%3C%40U2%7C%3E"))
	f.Add(uint8(0), []byte("user_id=&text=%zz"))
	f.Add(uint8(1), []byte(interactionBody(false, "")))
	f.Add(uint8(1), []byte(`payload={"type":"block_actions","user":{"id":"U1"},"actions":[null,{"action_id":"approve"}]}`))
	f.Add(uint8(1), []byte(`payload={"type":"block_actions","user":{"id":"U1"},"team":{"id":"T0ALLOWED"},"actions":{"x":1}}`))
	f.Add(uint8(1), []byte(`payload=[]`))
	f.Add(uint8(2), []byte(mentionEvent("<@UBOT0001> nominate <@U0GRACE01|grace> docs-hero great")))
	f.Add(uint8(2), []byte(`{"type":"url_verification","challenge":"c"}`))
	f.Add(uint8(2), []byte(`{"type":"event_callback","team_id":"T0ALLOWED","event_id":"Ev1","event":{"type":"app_mention","user":"U1","text":"<@U2>"}}`))
	f.Add(uint8(2), []byte(`{"type":"event_callback","event":{"type":"app_mention","user":1}}`))
	f.Add(uint8(2), []byte(`{"type":"event_callback","event":null}`))
	f.Add(uint8(2), []byte(`null`))
	fs := newFakeSlack(f, nil)
	router := &fakeRouter{reply: bot.Reply{Message: bot.Message{Title: "Nominated", Text: "{{slack:U0GRACE01}} <b>", Fields: []bot.Field{{Label: "x", Value: "y", URL: "https://e.org"}}}}}
	var adapters []*Adapter
	for _, teams := range [][]string{nil, {"T0ALLOWED"}} {
		adapters = append(adapters, newTestAdapter(f, fs, router, func(c *Config) {
			c.Seen, c.TeamIDs = forgetful{}, teams
		}))
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		for _, a := range adapters {
			eps := endpoints(a)
			ep := eps[int(which)%len(eps)]
			w := serve(ep.h, slackRequest(ep.path, ep.contentType, string(body)))
			switch w.Code {
			case http.StatusOK, http.StatusBadRequest, http.StatusForbidden:
			default:
				t.Fatalf("%s: status %d for %q", ep.path, w.Code, body)
			}
		}
	})
}

// FuzzVerify sends arbitrary signature headers to every endpoint: a
// timestamp of any form (huge, negative, signed, spaced) and either a
// signature of any form or a real one over that timestamp and body.
// Nothing may panic; a request is accepted only when really signed with a
// timestamp within five minutes, and never twice.
func FuzzVerify(f *testing.F) {
	now := strconv.FormatInt(time.Now().Unix(), 10)
	body := []byte(slashBody("list", ""))
	f.Add(uint8(0), now, "", body, true)
	f.Add(uint8(0), now, "v0=00", body, false)
	f.Add(uint8(0), now, "v0="+hex.EncodeToString(make([]byte, 32)), body, false)
	f.Add(uint8(1), "+"+now, "", []byte(interactionBody(false, "")), true)
	f.Add(uint8(2), " "+now, "", []byte(`{"type":"url_verification","challenge":"c"}`), true)
	f.Add(uint8(0), "0"+now, "", body, true)
	f.Add(uint8(0), "9223372036854775807", "", body, true)
	f.Add(uint8(0), "-9223372036854775808", "", body, true)
	f.Add(uint8(0), "1", "", body, true)
	f.Add(uint8(2), "", "v1=zz", []byte(nil), false)
	fs := newFakeSlack(f, nil)
	a := newTestAdapter(f, fs, &fakeRouter{})
	f.Fuzz(func(t *testing.T, which uint8, ts, sig string, body []byte, sign bool) {
		if sign {
			mac := hmac.New(sha256.New, []byte(testSecret))
			fmt.Fprintf(mac, "v0:%s:%s", ts, body)
			sig = "v0=" + hex.EncodeToString(mac.Sum(nil))
		}
		eps := endpoints(a)
		ep := eps[int(which)%len(eps)]
		send := func() int {
			r := httptest.NewRequest(http.MethodPost, ep.path, bytes.NewReader(body))
			r.Header.Set("Content-Type", ep.contentType)
			r.Header.Set("X-Slack-Request-Timestamp", ts)
			r.Header.Set("X-Slack-Signature", sig)
			return serve(ep.h, r).Code
		}
		code := send()
		if code == http.StatusUnauthorized {
			return
		}
		secs, err := strconv.ParseInt(ts, 10, 64)
		if !sign || err != nil || time.Since(time.Unix(secs, 0)).Abs() > maxSkew+time.Minute {
			t.Fatalf("%s: status %d for a request signed %v with timestamp %q", ep.path, code, sign, ts)
		}
		// Commands and clicks are accepted once; events once per event_id
		// (a repeat is answered 200 and not handled).
		if again := send(); again != http.StatusUnauthorized && ep.path != "/slack/events" {
			t.Fatalf("%s: replay answered %d", ep.path, again)
		}
	})
}
