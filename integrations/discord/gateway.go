package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Backoff between attempts to open the gateway; once open, discordgo
// reconnects by itself.
const (
	minGatewayBackoff = time.Second
	maxGatewayBackoff = 5 * time.Minute
)

// validInteractionToken reports whether s looks like an interaction
// token: 1 to 500 of A-Z, a-z, 0-9, '.', '_' and '-'. It goes into a URL
// path, so nothing else is let through. (As a regular expression, with
// its bounded repetition, it took half a millisecond and 270 KB of every
// start-up to compile.)
func validInteractionToken(s string) bool {
	if len(s) == 0 || len(s) > 500 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Run receives interactions over the gateway, when Config.Gateway is set,
// until ctx ends; they take the same path as those of the HTTP endpoint
// and are answered through the REST API. When Gateway is not set it
// returns nil at once. A failure to connect is logged and retried with
// backoff, so a Discord outage does not stop the server.
func (a *Adapter) Run(ctx context.Context) error {
	if !a.gateway {
		return nil
	}
	remove := a.session.AddHandler(func(_ *discordgo.Session, e *discordgo.Event) {
		if e.Type == "INTERACTION_CREATE" {
			a.gatewayInteraction(ctx, e.RawData)
		}
	})
	defer remove()
	backoff := minGatewayBackoff
	for {
		err := a.session.Open()
		if err == nil {
			break
		}
		a.log.Warn("discord gateway: connect failed", slog.Any("err", err), slog.Duration("retry_in", backoff))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxGatewayBackoff)
	}
	a.log.Info("discord gateway: connected")
	<-ctx.Done()
	if err := a.session.Close(); err != nil {
		return fmt.Errorf("discord: close gateway: %w", err)
	}
	return nil
}

// gatewayInteraction answers one interaction that came over the gateway.
// Discord signs nothing there: the connection itself is authenticated.
func (a *Adapter) gatewayInteraction(ctx context.Context, raw []byte) {
	in, err := decodeInteraction(raw)
	if err == nil && (!isSnowflake(in.ID) || !validInteractionToken(in.Token)) {
		err = errors.New("interaction without a valid id or token")
	}
	if err != nil {
		a.log.Warn("discord gateway: interaction dropped", slog.Any("err", err))
		return
	}
	resp, err := a.respond(ctx, in)
	if err != nil {
		a.log.Warn("discord gateway: interaction dropped", slog.String("id", in.ID), slog.Any("err", err))
		return
	}
	endpoint := discordgo.EndpointInteractionResponse(in.ID, in.Token)
	_, err = a.session.RequestWithBucketID("POST", endpoint, resp, discordgo.EndpointInteractionResponse(in.ID, ""), discordgo.WithContext(ctx))
	if err != nil {
		// The URL holds the interaction token: log the cause without it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		a.log.Error("discord gateway: answer interaction", slog.String("id", in.ID), slog.Any("err", err))
	}
}
