package slack

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// The code paths below are shared by the HTTP endpoints and Socket Mode:
// each takes what Slack sent, already authenticated and decoded.

// errCaller is returned when a request names no valid Slack user.
var errCaller = errors.New("slack: request has no valid user id")

// errTeam is returned for a click from a workspace outside team_ids.
var errTeam = errors.New("slack: workspace not served")

// answerCommand runs a slash command through the router and returns the
// response to send back within Slack's 3 s, or nil when there is nothing
// to say yet: if the router takes longer than the answer budget, its reply
// goes to the command's response_url when it comes.
func (a *Adapter) answerCommand(ctx context.Context, sc slack.SlashCommand) (*slack.WebhookMessage, error) {
	start := time.Now()
	if !isSlackUser(sc.UserID) {
		return nil, errCaller
	}
	if !a.teamAllowed(sc.TeamID) {
		a.refuseTeam("command", sc.TeamID)
		return &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: notServed}, nil
	}
	// The work must survive Slack hanging up on a slow answer.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handlerTimeout)
	text, names := commandText(sc.Text)
	cmd := bot.Command{
		Platform:   bot.PlatformSlack,
		Caller:     bot.Recipient{Platform: bot.PlatformSlack, ID: sc.UserID},
		CallerName: sc.UserName,
		Channel:    sc.ChannelID,
		Text:       text,
		Names:      names,
		Email:      a.profile(ctx, sc.UserID).email,
	}
	done := make(chan bot.Reply, 1)
	go func() { done <- a.router.Handle(ctx, cmd) }()

	timer := time.NewTimer(max(a.answerBudget-time.Since(start), 0))
	defer timer.Stop()
	select {
	case reply := <-done:
		cancel()
		if isEmpty(reply.Message) {
			return nil, nil
		}
		return commandResponse(reply), nil
	case <-timer.C:
	}
	a.log.Warn("slack: command slower than Slack's 3 s; answering through response_url", "user", sc.UserID)
	a.bg.Go(func() {
		defer cancel()
		var reply bot.Reply
		select {
		case reply = <-done:
		case <-ctx.Done():
			a.log.Error("slack: command timed out", "user", sc.UserID, "err", ctx.Err())
			return
		}
		if isEmpty(reply.Message) || sc.ResponseURL == "" {
			return
		}
		if err := a.respond(ctx, sc.ResponseURL, commandResponse(reply)); err != nil {
			a.log.Error("slack: late command reply failed", "user", sc.UserID, "err", err)
		}
	})
	return nil, nil
}

// commandResponse is the slash command answer for reply.
func commandResponse(reply bot.Reply) *slack.WebhookMessage {
	kind := slack.ResponseTypeInChannel
	if reply.Private {
		kind = slack.ResponseTypeEphemeral
	}
	return &slack.WebhookMessage{
		ResponseType: kind,
		Text:         fallback(reply.Message),
		Blocks:       &slack.Blocks{BlockSet: render(reply.Message)},
	}
}

// handleInteraction turns each button press in a block_actions payload
// into a bot.Click and delivers the router's reply: the update replaces
// the message with the button, the message goes to the presser.
func (a *Adapter) handleInteraction(ctx context.Context, cb slack.InteractionCallback) error {
	if cb.Type != slack.InteractionTypeBlockActions {
		return nil // views, shortcuts: the bot offers none
	}
	if !isSlackUser(cb.User.ID) {
		return errCaller
	}
	if !a.teamAllowed(cb.Team.ID) {
		a.refuseTeam("click", cb.Team.ID)
		return errTeam
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handlerTimeout)
	defer cancel()
	channel := cb.Container.ChannelID
	if channel == "" {
		channel = cb.Channel.ID
	}
	messageTS := cb.Container.MessageTs
	if messageTS == "" {
		messageTS = cb.Message.Timestamp
	}
	for _, action := range cb.ActionCallback.BlockActions {
		click := bot.Click{
			Platform:   bot.PlatformSlack,
			Caller:     bot.Recipient{Platform: bot.PlatformSlack, ID: cb.User.ID},
			CallerName: cb.User.Name,
			Action:     action.ActionID,
			Value:      action.Value,
			Channel:    channel,
			MessageID:  messageTS,
		}
		reply := a.router.Click(ctx, click)
		if reply.Update != nil {
			if err := a.replaceClicked(ctx, cb, channel, messageTS, *reply.Update); err != nil {
				a.log.Error("slack: updating the clicked message failed", "channel", channel, "ts", messageTS, "err", err)
			}
		}
		if !isEmpty(reply.Message) {
			if err := a.replyToClick(ctx, cb, channel, messageTS, reply); err != nil {
				a.log.Error("slack: replying to a click failed", "channel", channel, "user", cb.User.ID, "err", err)
			}
		}
	}
	return nil
}

// replaceClicked updates the message that carried the button: chat.update
// for a normal message, response_url for an ephemeral one (which
// chat.update cannot reach) or when chat.update fails.
func (a *Adapter) replaceClicked(ctx context.Context, cb slack.InteractionCallback, channel, ts string, m bot.Message) error {
	var err error
	if !cb.Container.IsEphemeral && channel != "" && ts != "" {
		if err = a.Update(ctx, channel, ts, m); err == nil || cb.ResponseURL == "" {
			return err
		}
	}
	if cb.ResponseURL == "" {
		return errors.New("slack: update message: no message to update")
	}
	return errors.Join(err, a.respond(ctx, cb.ResponseURL, &slack.WebhookMessage{
		Text:            fallback(m),
		Blocks:          &slack.Blocks{BlockSet: render(m)},
		ReplaceOriginal: true,
	}))
}

// replyToClick shows the router's answer: a private one to the presser
// only (chat.postEphemeral, else response_url), a public one in the
// clicked message's thread.
func (a *Adapter) replyToClick(ctx context.Context, cb slack.InteractionCallback, channel, ts string, reply bot.Reply) error {
	if !reply.Private {
		opts := messageOptions(reply.Message)
		if ts != "" {
			opts = append(opts, slack.MsgOptionTS(ts))
		}
		if _, _, err := a.api.PostMessageContext(ctx, channel, opts...); err != nil {
			return apiError("post message", err)
		}
		return nil
	}
	var err error
	if channel != "" {
		if _, err = a.api.PostEphemeralContext(ctx, channel, cb.User.ID, messageOptions(reply.Message)...); err == nil {
			return nil
		}
		err = apiError("post ephemeral", err)
	}
	if cb.ResponseURL == "" {
		return err
	}
	return errors.Join(err, a.respond(ctx, cb.ResponseURL, &slack.WebhookMessage{
		ResponseType: slack.ResponseTypeEphemeral,
		Text:         fallback(reply.Message),
		Blocks:       &slack.Blocks{BlockSet: render(reply.Message)},
	}))
}

// handleEvent handles an Events API callback: an app mention is a command,
// answered in the mention's thread.
func (a *Adapter) handleEvent(ctx context.Context, ev slackevents.EventsAPIEvent) {
	if ev.Type != slackevents.CallbackEvent {
		return
	}
	if !a.teamAllowed(ev.TeamID) {
		a.refuseTeam("event", ev.TeamID)
		return
	}
	var mention *slackevents.AppMentionEvent
	switch d := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		mention = d
	case slackevents.AppMentionEvent:
		mention = &d
	default:
		return
	}
	if mention.BotID != "" || !isSlackUser(mention.User) {
		return // bots, our own posts included, do not give commands
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handlerTimeout)
	defer cancel()
	text, names := commandText(mentionCommand(mention.Text))
	p := a.profile(ctx, mention.User)
	reply := a.router.Handle(ctx, bot.Command{
		Platform:   bot.PlatformSlack,
		Caller:     bot.Recipient{Platform: bot.PlatformSlack, ID: mention.User},
		CallerName: p.name,
		Channel:    mention.Channel,
		Text:       text,
		Names:      names,
		Email:      p.email,
	})
	if isEmpty(reply.Message) {
		return
	}
	thread := mention.ThreadTimeStamp
	if thread == "" {
		thread = mention.TimeStamp
	}
	opts := messageOptions(reply.Message, slack.MsgOptionTS(thread))
	var err error
	if reply.Private {
		_, err = a.api.PostEphemeralContext(ctx, mention.Channel, mention.User, opts...)
	} else {
		_, _, err = a.api.PostMessageContext(ctx, mention.Channel, opts...)
	}
	if err != nil {
		a.log.Error("slack: replying to a mention failed", "channel", mention.Channel, "err", apiError("post message", err))
	}
}

// respond posts msg to an interaction's or command's response_url.
func (a *Adapter) respond(ctx context.Context, responseURL string, msg *slack.WebhookMessage) error {
	err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, a.http, msg)
	if err == nil {
		return nil
	}
	// The response_url is a credential for the reply: keep it out of logs.
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return fmt.Errorf("slack: post to response_url: %w", err)
}
