package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/internal/reqbody"
	"github.com/bwmarrin/discordgo"
)

// MaxBodyBytes is the largest interaction accepted; real ones are a few
// kilobytes.
const MaxBodyBytes = 1 << 20

// SignatureWindow is how far the signed timestamp of an interaction may be
// from the clock, either way, so that a captured request cannot be
// replayed later.
const SignatureWindow = 5 * time.Minute

// Interaction types Discord sends.
const (
	typePing         = 1
	typeCommand      = 2
	typeComponent    = 3
	typeAutocomplete = 4
)

// flagEphemeral makes a reply visible to the caller only.
const flagEphemeral = discordgo.MessageFlagsEphemeral

// maxChoices is the most choices an autocomplete answer may carry.
const maxChoices = 25

// interaction is the part of Discord's interaction object badgebot reads.
type interaction struct {
	ID        string          `json:"id"`
	Type      int             `json:"type"`
	Token     string          `json:"token"`
	ChannelID string          `json:"channel_id"`
	GuildID   string          `json:"guild_id"` // empty in a direct message
	Member    *member         `json:"member"`   // in a server
	User      *user           `json:"user"`     // in a direct message
	Data      json.RawMessage `json:"data"`
	Message   *struct {
		ID string `json:"id"`
	} `json:"message"` // the message whose button was pressed
}

type user struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	GlobalName string `json:"global_name"`
}

func (u user) name() string {
	if u.GlobalName != "" {
		return u.GlobalName
	}
	return u.Username
}

type member struct {
	User *user  `json:"user"`
	Nick string `json:"nick"`
}

// caller returns who triggered the interaction and their display name.
func (in *interaction) caller() (bot.Recipient, string, error) {
	var u *user
	nick := ""
	if in.Member != nil && in.Member.User != nil {
		u, nick = in.Member.User, in.Member.Nick
	} else if in.User != nil {
		u = in.User
	}
	if u == nil || !isSnowflake(u.ID) {
		return bot.Recipient{}, "", badRequest("interaction has no user")
	}
	if nick == "" {
		nick = u.name()
	}
	return bot.Recipient{Platform: bot.PlatformDiscord, ID: u.ID}, nick, nil
}

type componentData struct {
	CustomID      string `json:"custom_id"`
	ComponentType int    `json:"component_type"`
}

// response is an interaction response. badgebot writes its own rather
// than discordgo's InteractionResponse, whose data always carries content,
// tts and null arrays and omits an empty list of choices.
type response struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data any                               `json:"data,omitempty"`
}

type messageData struct {
	Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
	Components      []discordgo.MessageComponent      `json:"components"`
	Flags           discordgo.MessageFlags            `json:"flags,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
}

type choicesData struct {
	Choices []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
}

// Interactions is the http.HandlerFunc for POST /discord/interactions.
//
// Answers: 200 with the interaction response; 400 a body that is not an
// interaction badgebot handles; 401 a missing or bad signature, a
// timestamp more than SignatureWindow away, or an interaction accepted
// before (a replay; nothing else is done); 405 not POST; 413 a body over
// MaxBodyBytes; 503 the record of accepted interactions cannot be written.
func (a *Adapter) Interactions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	// Read through the process's budget for unsigned bodies (DESIGN §7):
	// many slow clients hold no more than it.
	body, status, reason := reqbody.ReadAll(w, r, MaxBodyBytes)
	if status != 0 {
		http.Error(w, reason, status)
		return
	}
	if err := a.verify(r.Header, body); err != nil {
		a.log.WarnContext(r.Context(), "discord interaction refused", slog.String("reason", err.Error()))
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	if err := a.firstRequest(r.Context(), r.Header.Get("X-Signature-Timestamp"), body); errors.Is(err, errReplay) {
		a.log.WarnContext(r.Context(), "discord interaction refused", slog.String("reason", err.Error()))
		http.Error(w, "interaction already received", http.StatusUnauthorized)
		return
	} else if err != nil {
		a.log.ErrorContext(r.Context(), "discord: recording an interaction failed", slog.Any("err", err))
		http.Error(w, "cannot accept interactions now", http.StatusServiceUnavailable)
		return
	}
	in, err := decodeInteraction(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := a.respond(r.Context(), in)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out, err := encode(resp)
	if err != nil {
		a.log.Error("discord: encode interaction response", slog.Any("err", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

// encode writes JSON as Discord does, with "<@ID>" mentions unescaped.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// verify checks Discord's Ed25519 signature over timestamp+body and that
// the timestamp is within SignatureWindow of now.
func (a *Adapter) verify(h http.Header, body []byte) error {
	sig, err := hex.DecodeString(h.Get("X-Signature-Ed25519"))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("missing or malformed X-Signature-Ed25519")
	}
	ts := h.Get("X-Signature-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("missing or malformed X-Signature-Timestamp")
	}
	// Compare in seconds: converting a huge timestamp to time.Time would
	// overflow the duration arithmetic.
	now := a.now().Unix()
	window := int64(SignatureWindow / time.Second)
	if secs < now-window || secs > now+window {
		return errors.New("timestamp outside the accepted window")
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	if !ed25519.Verify(a.publicKey, msg, sig) {
		return errors.New("signature does not match")
	}
	return nil
}

func decodeInteraction(body []byte) (*interaction, error) {
	var in interaction
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, badRequest("body is not a Discord interaction")
	}
	return &in, nil
}

// respond answers one verified interaction; the HTTP endpoint and the
// gateway share it. A badRequest error means the interaction is malformed
// or of a type badgebot does not handle.
func (a *Adapter) respond(ctx context.Context, in *interaction) (*response, error) {
	if in.Type != typePing && !a.guildAllowed(in.GuildID) {
		return a.refuseGuild(in)
	}
	switch in.Type {
	case typePing:
		return &response{Type: discordgo.InteractionResponsePong}, nil
	case typeCommand:
		return a.command(ctx, in)
	case typeAutocomplete:
		return a.autocomplete(ctx, in)
	case typeComponent:
		return a.click(ctx, in)
	}
	return nil, badRequest(fmt.Sprintf("interaction type %d is not handled", in.Type))
}

func decodeData(in *interaction, v any) error {
	if len(in.Data) == 0 {
		return badRequest("interaction has no data")
	}
	if err := json.Unmarshal(in.Data, v); err != nil {
		return badRequest("interaction data is malformed")
	}
	return nil
}

func (a *Adapter) command(ctx context.Context, in *interaction) (*response, error) {
	var d commandData
	if err := decodeData(in, &d); err != nil {
		return nil, err
	}
	caller, callerName, err := in.caller()
	if err != nil {
		return nil, err
	}
	spec, opts, ok := d.subcommand()
	if d.Name != commandName || !ok {
		return usageReply("Unknown command: type /badge help to see what badgebot can do."), nil
	}
	text, names, err := spec.text(opts, d)
	var ue usageError
	if errors.As(err, &ue) {
		return usageReply(string(ue)), nil
	}
	if err != nil {
		return nil, err
	}
	reply := a.router.Handle(ctx, bot.Command{
		Platform:   bot.PlatformDiscord,
		Caller:     caller,
		CallerName: callerName,
		Channel:    in.ChannelID,
		Text:       text,
		Names:      names,
	})
	return messageResponse(discordgo.InteractionResponseChannelMessageWithSource, reply.Message, reply.Private), nil
}

func usageReply(text string) *response {
	return messageResponse(discordgo.InteractionResponseChannelMessageWithSource, bot.Message{Text: text}, true)
}

func messageResponse(t discordgo.InteractionResponseType, m bot.Message, private bool) *response {
	embed, components := renderMessage(m)
	d := messageData{Embeds: []*discordgo.MessageEmbed{embed}, Components: components, AllowedMentions: allowedMentions(m)}
	if private {
		d.Flags = flagEphemeral
	}
	return &response{Type: t, Data: d}
}

// click turns a button press into a bot.Click. The router's Update
// replaces the message that carried the button (Discord allows one
// answer, so the reply's own text is then not shown); otherwise the reply
// goes to the clicker only.
func (a *Adapter) click(ctx context.Context, in *interaction) (*response, error) {
	var d componentData
	if err := decodeData(in, &d); err != nil {
		return nil, err
	}
	if d.ComponentType != int(discordgo.ButtonComponent) || d.CustomID == "" {
		return nil, badRequest("only buttons are handled")
	}
	caller, callerName, err := in.caller()
	if err != nil {
		return nil, err
	}
	action, value, _ := strings.Cut(d.CustomID, ":")
	c := bot.Click{
		Platform:   bot.PlatformDiscord,
		Caller:     caller,
		CallerName: callerName,
		Action:     action,
		Value:      value,
		Channel:    in.ChannelID,
	}
	if in.Message != nil {
		c.MessageID = in.Message.ID
	}
	reply := a.router.Click(ctx, c)
	if reply.Update != nil {
		return messageResponse(discordgo.InteractionResponseUpdateMessage, *reply.Update, false), nil
	}
	return messageResponse(discordgo.InteractionResponseChannelMessageWithSource, reply.Message, true), nil
}

// autocomplete offers up to 25 badges whose slug or name starts with what
// the caller has typed in a badge option (for nominate, only badges open
// to nominations).
func (a *Adapter) autocomplete(ctx context.Context, in *interaction) (*response, error) {
	var d commandData
	if err := decodeData(in, &d); err != nil {
		return nil, err
	}
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	resp := &response{Type: discordgo.InteractionApplicationCommandAutocompleteResult, Data: choicesData{Choices: choices}}
	spec, opts, ok := d.subcommand()
	if d.Name != commandName || !ok {
		return resp, nil
	}
	var typed string
	isBadge := false
	for _, o := range opts {
		if !o.Focused {
			continue
		}
		for _, s := range spec.opts {
			if s.name == o.Name && s.kind == optBadge {
				isBadge = true
			}
		}
		typed, _ = stringValue(o) // a partial value; anything else means ""
	}
	if !isBadge {
		return resp, nil
	}
	badges, err := a.badges.Badges(ctx)
	if err != nil {
		a.log.Error("discord autocomplete: list badges", slog.Any("err", err))
		return resp, nil
	}
	prefix := strings.ToLower(strings.TrimSpace(typed))
	for _, b := range badges {
		if b == nil || (spec.words == "nominate" && !b.Nominations) {
			continue
		}
		if !strings.HasPrefix(b.Slug, prefix) && !strings.HasPrefix(strings.ToLower(b.Name), prefix) {
			continue
		}
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{
			Name:  truncate(b.Name+" ("+b.Slug+")", 100),
			Value: b.Slug,
		})
		if len(choices) == maxChoices {
			break
		}
	}
	resp.Data = choicesData{Choices: choices}
	return resp, nil
}
