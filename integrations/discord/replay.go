package discord

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/bwmarrin/discordgo"
)

// An interaction's signature covers its timestamp and body, so a captured
// interaction verifies again for as long as its timestamp is in the
// window. Each is recorded when accepted, by a hash of what Discord
// signed, and refused when seen again. Interactions over the gateway are
// not recorded: the bot's own authenticated connection carries them.

// errReplay is the refusal of an interaction already accepted once.
var errReplay = errors.New("interaction already received (a replay)")

// firstRequest records a verified interaction and reports errReplay when
// it was recorded before.
func (a *Adapter) firstRequest(ctx context.Context, timestamp string, body []byte) error {
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("discord: timestamp %q: %w", timestamp, err) // verify checked it
	}
	h := sha256.New()
	h.Write([]byte("interaction\x00" + timestamp + "\x00"))
	h.Write(body)
	// Kept until the timestamp leaves the window, with a margin for
	// replicas whose clocks differ a little.
	expires := time.Unix(secs, 0).Add(SignatureWindow + time.Minute)
	first, err := a.seen.FirstSeen(ctx, bot.PlatformDiscord, h.Sum(nil), expires)
	if err != nil {
		return err
	}
	if !first {
		return errReplay
	}
	return nil
}

// notServed is the answer to an interaction from outside guild_ids.
const notServed = "badgebot is not set up for this server. Use /badge in a server it serves."

// guildAllowed reports whether interactions from a server (guild "" is a
// direct message) are served: all when no guild_ids are configured, else
// those of the listed servers only. A direct message cannot be tied to a
// listed server, so it is refused then.
func (a *Adapter) guildAllowed(guild string) bool {
	return len(a.guilds) == 0 || a.guilds[guild]
}

// refuseGuild answers an interaction from outside guild_ids: a short
// private reply to a command or click, no choices to autocomplete.
func (a *Adapter) refuseGuild(in *interaction) (*response, error) {
	a.log.Warn("discord: interaction from a server not in discord.guild_ids refused",
		slog.String("guild", in.GuildID), slog.Int("type", in.Type))
	if in.Type == typeAutocomplete {
		return &response{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: choicesData{Choices: []*discordgo.ApplicationCommandOptionChoice{}}}, nil
	}
	return usageReply(notServed), nil
}
