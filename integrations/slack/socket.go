package slack

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// Run connects to Slack in Socket Mode when an app token is configured and
// handles slash commands, clicks and events from the WebSocket through the
// same code as the HTTP endpoints, until ctx is cancelled; then it waits
// for the work in hand and returns nil. Without an app token it returns
// nil at once. It returns an error when Slack refuses the connection
// (a bad or revoked token).
func (a *Adapter) Run(ctx context.Context) error {
	if !a.appToken {
		return nil
	}
	defer a.bg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sm := socketmode.New(a.api, socketmode.OptionLog(debugLog{a.log}))
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	for {
		select {
		case err := <-errc:
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("slack: socket mode: %w", err)
		case ev := <-sm.Events:
			a.socketEvent(ctx, sm, ev)
		}
	}
}

// acker acknowledges a Socket Mode envelope, with an optional response
// payload; *socketmode.Client implements it.
type acker interface {
	AckCtx(ctx context.Context, envelopeID string, payload any) error
}

// socketEvent handles one event from the Socket Mode client. Envelopes are
// acknowledged at once, except slash commands, whose acknowledgement
// carries the answer; the work runs beside the read loop.
func (a *Adapter) socketEvent(ctx context.Context, sm acker, ev socketmode.Event) {
	switch ev.Type {
	case socketmode.EventTypeConnecting:
		a.log.Debug("slack: socket mode connecting")
	case socketmode.EventTypeConnected:
		a.log.Info("slack: socket mode connected")
	case socketmode.EventTypeConnectionError:
		if e, ok := ev.Data.(*slack.ConnectionErrorEvent); ok {
			a.log.Warn("slack: socket mode connection failed; retrying", "attempt", e.Attempt, "backoff", e.Backoff, "err", e.ErrorObj)
		}
	case socketmode.EventTypeInvalidAuth:
		a.log.Error("slack: socket mode: app token refused")
	case socketmode.EventTypeErrorBadMessage, socketmode.EventTypeIncomingError:
		a.log.Warn("slack: socket mode: unreadable message", "type", ev.Type)
	case socketmode.EventTypeSlashCommand:
		sc, ok := ev.Data.(slack.SlashCommand)
		if !ok || ev.Request == nil {
			return
		}
		req := *ev.Request
		a.bg.Go(func() {
			resp, err := a.answerCommand(ctx, sc)
			if err != nil {
				a.log.Warn("slack: slash command dropped", "err", err)
			}
			a.ack(ctx, sm, req, resp)
		})
	case socketmode.EventTypeInteractive:
		cb, ok := ev.Data.(slack.InteractionCallback)
		if !ok || ev.Request == nil {
			return
		}
		a.ack(ctx, sm, *ev.Request, nil)
		a.bg.Go(func() {
			if err := a.handleInteraction(ctx, cb); err != nil {
				a.log.Warn("slack: interaction dropped", "err", err)
			}
		})
	case socketmode.EventTypeEventsAPI:
		e, ok := ev.Data.(slackevents.EventsAPIEvent)
		if !ok || ev.Request == nil {
			return
		}
		a.ack(ctx, sm, *ev.Request, nil)
		a.bg.Go(func() {
			// A retry of an event handled here or by another replica is
			// skipped; one whose first attempt never arrived is handled.
			// An event whose record fails is handled: it is acknowledged
			// already and would be lost.
			first, err := a.firstEvent(ctx, eventID(e))
			if err != nil {
				a.log.Error("slack: recording an event failed; handling it", "err", err)
			}
			if first || err != nil {
				a.handleEvent(ctx, e)
			}
		})
	}
}

// eventID is the event_id of a callback event ("" for other types).
func eventID(e slackevents.EventsAPIEvent) string {
	if cb, ok := e.Data.(*slackevents.EventsAPICallbackEvent); ok && cb != nil {
		return cb.EventID
	}
	return ""
}

// ack acknowledges req; it gives up when Run is stopping, as the
// connection that would carry the acknowledgement is going away.
func (a *Adapter) ack(ctx context.Context, sm acker, req socketmode.Request, resp *slack.WebhookMessage) {
	var payload any // a nil *WebhookMessage would be sent as "payload": null
	if resp != nil {
		payload = resp
	}
	if err := sm.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		a.log.Warn("slack: socket mode acknowledgement failed", "envelope", req.EnvelopeID, "err", err)
	}
}
