package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/badgebot/badgebot/internal/reqbody"
)

const (
	maxBody = 1 << 20 // Slack's payloads are a few KB; anything near this is not Slack
	// maxSkew is how far a request's timestamp may be from our clock, in
	// either direction, before it counts as a replay.
	maxSkew = 5 * time.Minute

	headerTimestamp = "X-Slack-Request-Timestamp"
	headerRetryNum  = "X-Slack-Retry-Num"
)

var errTimestamp = errors.New("request timestamp missing, malformed or more than 5 minutes off")

// Commands serves POST /slack/commands: slash commands, answered in the
// response body (ephemeral for private replies, in_channel otherwise).
func (a *Adapter) Commands(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verifiedOnce(w, r)
	if !ok {
		return
	}
	form := r.Clone(r.Context())
	form.Body = io.NopCloser(bytes.NewReader(body))
	form.Form, form.PostForm = nil, nil
	sc, err := slack.SlashCommandParse(form)
	if err != nil || sc.UserID == "" {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	resp, err := a.answerCommand(r.Context(), sc)
	if err != nil {
		http.Error(w, "slash command names no valid user", http.StatusBadRequest)
		return
	}
	if resp == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, resp)
}

// Interactions serves POST /slack/interactions: button clicks.
func (a *Adapter) Interactions(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verifiedOnce(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	payload := form.Get("payload")
	if err != nil || payload == "" {
		http.Error(w, "missing payload", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &cb); err != nil {
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	if err := a.handleInteraction(r.Context(), cb); errors.Is(err, errTeam) {
		http.Error(w, notServed, http.StatusForbidden)
		return
	} else if err != nil {
		http.Error(w, "interaction names no valid user", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// Events serves POST /slack/events: the Events API. It answers the
// url_verification challenge, treats app mentions as commands, and
// acknowledges an event seen before (Slack's retries, or a replay) without
// doing the work twice.
func (a *Adapter) Events(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
		EventID   string `json:"event_id"`
		TeamID    string `json:"team_id"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if outer.Type == slackevents.URLVerification {
		writeJSON(w, map[string]string{"challenge": outer.Challenge})
		return
	}
	if !a.teamAllowed(outer.TeamID) {
		// 200: a refusal would only make Slack send it again.
		a.refuseTeam("event", outer.TeamID)
		w.WriteHeader(http.StatusOK)
		return
	}
	first, err := a.firstEvent(r.Context(), outer.EventID)
	if err != nil {
		a.log.Error("slack: recording an event failed", "event", outer.EventID, "err", err)
		http.Error(w, "cannot record the event now; retry", http.StatusServiceUnavailable)
		return
	}
	if !first {
		a.log.Debug("slack: event seen before", "event", outer.EventID, "retry", r.Header.Get(headerRetryNum))
		w.WriteHeader(http.StatusOK)
		return
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		// An event type we did not subscribe to: nothing to do.
		a.log.Debug("slack: ignoring event", "type", outer.Type, "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	a.handleEvent(r.Context(), ev)
	w.WriteHeader(http.StatusOK)
}

// verifiedOnce is verified for requests that act once: a request accepted
// before is refused with 401, and 503 answers when the record of accepted
// requests cannot be written.
func (a *Adapter) verifiedOnce(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, ok := a.verified(w, r)
	if !ok {
		return nil, false
	}
	ts := r.Header.Get(headerTimestamp)
	sec, _ := strconv.ParseInt(ts, 10, 64) // checked by verify
	err := a.firstRequest(r.Context(), ts, sec, body)
	if errors.Is(err, errReplay) {
		a.log.Warn("slack: rejected request", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", err)
		http.Error(w, "request already received", http.StatusUnauthorized)
		return nil, false
	}
	if err != nil {
		a.log.Error("slack: recording a request failed", "path", r.URL.Path, "err", err)
		http.Error(w, "cannot accept requests now", http.StatusServiceUnavailable)
		return nil, false
	}
	return body, true
}

// verified reads the bounded body and checks the request's signature and
// timestamp. On failure it has answered (401, 413, 400) and returns false.
func (a *Adapter) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	// Read through the process's budget for unsigned bodies (DESIGN §7):
	// many slow clients hold no more than it.
	body, status, reason := reqbody.ReadAll(w, r, maxBody)
	if status != 0 {
		http.Error(w, reason, status)
		return nil, false
	}
	if err := a.verify(r.Header, body, time.Now()); err != nil {
		a.log.Warn("slack: rejected request", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", err)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// verify checks Slack's v0 signature over the raw body with the signing
// secret, and that the timestamp is within 5 minutes of now either way.
func (a *Adapter) verify(h http.Header, body []byte, now time.Time) error {
	sec, err := strconv.ParseInt(h.Get(headerTimestamp), 10, 64)
	if err != nil {
		return errTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return errTimestamp
	}
	sv, err := slack.NewSecretsVerifier(h, a.signingSecret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
