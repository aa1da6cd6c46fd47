package discord

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/badgebot/badgebot/bot"
	"github.com/bwmarrin/discordgo"
)

// Discord's limits on embeds and components. A message over any of them is
// refused whole, so the renderer shortens instead.
const (
	maxTitle        = 256
	maxDescription  = 4096
	maxFields       = 25
	maxFieldName    = 256
	maxFieldValue   = 1024
	maxEmbedTotal   = 6000
	maxButtonLabel  = 80
	maxCustomID     = 100
	buttonsPerRow   = 5
	maxRows         = 5
	emptyFieldValue = "\u200b" // a field needs a non-empty name and value
)

// renderMessage renders a neutral message as one embed and its buttons as
// action rows. components is never nil, so that an edit without buttons
// removes the old ones.
func renderMessage(m bot.Message) (*discordgo.MessageEmbed, []discordgo.MessageComponent) {
	e := &discordgo.MessageEmbed{
		Title:       truncate(m.Title, maxTitle),
		Description: expandMentions(m.Text, m.Mentions),
	}
	if link := httpURL(m.Link); link != "" {
		if e.Title != "" {
			e.URL = link // makes the title the link
		} else {
			e.Description = strings.TrimSpace(e.Description + "\n" + link)
		}
	}
	e.Description = truncate(e.Description, maxDescription)
	if img := httpURL(m.Image); img != "" {
		e.Thumbnail = &discordgo.MessageEmbedThumbnail{URL: img}
	}
	total := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range m.Fields {
		if len(e.Fields) == maxFields {
			break
		}
		ef := &discordgo.MessageEmbedField{
			Name:  orBlank(truncate(f.Label, maxFieldName)),
			Value: orBlank(fieldValue(f)),
		}
		total += utf8.RuneCountInString(ef.Name) + utf8.RuneCountInString(ef.Value)
		if total > maxEmbedTotal {
			break
		}
		e.Fields = append(e.Fields, ef)
	}
	if e.Title == "" && e.Description == "" && len(e.Fields) == 0 {
		e.Description = emptyFieldValue // Discord refuses an empty embed
	}
	return e, renderButtons(m.Buttons)
}

// fieldValue is the value, as a markdown link when the field has a URL.
func fieldValue(f bot.Field) string {
	link := httpURL(f.URL)
	if link == "" {
		return truncate(f.Value, maxFieldValue)
	}
	label := f.Value
	if label == "" {
		label = link
	}
	// "[" + label + "](" + link + ")" must fit; a too long link is shown bare.
	room := maxFieldValue - utf8.RuneCountInString(link) - 4
	if room < 1 {
		return truncate(link, maxFieldValue)
	}
	return "[" + truncate(escapeMarkdown(label), room) + "](" + strings.ReplaceAll(link, ")", "%29") + ")"
}

func renderButtons(bs []bot.Button) []discordgo.MessageComponent {
	rows := []discordgo.MessageComponent{}
	var row discordgo.ActionsRow
	for _, b := range bs {
		if len(rows) == maxRows {
			break
		}
		label := b.Label
		if label == "" {
			label = b.Action
		}
		row.Components = append(row.Components, discordgo.Button{
			Label:    truncate(label, maxButtonLabel),
			Style:    buttonStyle(b.Style),
			CustomID: cut(b.Action+":"+b.Value, maxCustomID),
		})
		if len(row.Components) == buttonsPerRow {
			rows = append(rows, row)
			row = discordgo.ActionsRow{}
		}
	}
	if len(row.Components) > 0 && len(rows) < maxRows {
		rows = append(rows, row)
	}
	return rows
}

func buttonStyle(s string) discordgo.ButtonStyle {
	switch s {
	case "primary":
		return discordgo.PrimaryButton
	case "danger":
		return discordgo.DangerButton
	case "success":
		return discordgo.SuccessButton
	}
	return discordgo.SecondaryButton
}

// expandMentions replaces each {{PLATFORM:ID}} in text: a Discord user
// becomes a mention, anyone else their display name from names, else a
// name that shows no e-mail address.
func expandMentions(text string, names map[string]string) string {
	var b strings.Builder
	for {
		start := strings.Index(text, "{{")
		if start < 0 {
			break
		}
		end := strings.Index(text[start+2:], "}}")
		if end < 0 {
			break
		}
		key := text[start+2 : start+2+end]
		b.WriteString(text[:start])
		b.WriteString(mentionOf(key, names))
		text = text[start+2+end+2:]
	}
	b.WriteString(text)
	return b.String()
}

func mentionOf(key string, names map[string]string) string {
	platform, id, _ := strings.Cut(key, ":")
	if platform == bot.PlatformDiscord && isSnowflake(id) {
		return "<@" + id + ">"
	}
	if name := strings.TrimSpace(names[key]); name != "" {
		return escapeMarkdown(name)
	}
	if local, _, ok := strings.Cut(id, "@"); ok {
		id = local // email: and bugzilla: identities are addresses
	}
	if id == "" {
		return "someone"
	}
	return escapeMarkdown(id)
}

var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, `~`, `\~`, "`", "\\`", `|`, `\|`,
	`>`, `\>`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `@`, "@\u200b",
)

// escapeMarkdown keeps a display name from formatting the message or
// forming a mention such as @everyone.
func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// httpURL returns s when it is an absolute http(s) URL, else "": Discord
// refuses a whole message over one bad URL.
func httpURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

func orBlank(s string) string {
	if strings.TrimSpace(s) == "" {
		return emptyFieldValue
	}
	return s
}

// cut shortens s to at most n runes, with no marker: for ids.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
