package discord

import (
	"net/url"
	"regexp"
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
		Title:       truncate(escapeText(plainMentions(m.Title, m.Mentions)), maxTitle),
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
			Name:  orBlank(truncate(escapeText(plainMentions(f.Label, m.Mentions)), maxFieldName)),
			Value: orBlank(fieldValue(f, m.Mentions)),
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

// fieldValue is the value, escaped, as a markdown link when the field has
// a URL.
func fieldValue(f bot.Field, names map[string]string) string {
	link := httpURL(f.URL)
	if link == "" {
		return truncate(expandMentions(f.Value, names), maxFieldValue)
	}
	label := plainMentions(f.Value, names)
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

// expandMentions escapes text, the core's plain text, for Discord's
// markdown and replaces each {{PLATFORM:ID}}: a Discord user becomes a
// mention, anyone else their display name from names, else a name that
// shows no e-mail address.
func expandMentions(text string, names map[string]string) string {
	return replacePlaceholders(text, escapeText, func(key string) string { return mentionOf(key, names) })
}

// plainMentions renders placeholders as names, never as mentions, for
// titles and labels, where Discord shows no mention; the result is still
// unescaped.
func plainMentions(text string, names map[string]string) string {
	return replacePlaceholders(text, func(s string) string { return s }, func(key string) string { return nameOf(key, names) })
}

func replacePlaceholders(s string, literal, mention func(string) string) string {
	var b strings.Builder
	last := 0
	for _, loc := range bot.MentionPlaceholder.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(literal(s[last:loc[0]]))
		b.WriteString(mention(s[loc[2]:loc[3]]))
		last = loc[1]
	}
	b.WriteString(literal(s[last:]))
	return b.String()
}

// mentionedUsers lists the Discord users m mentions: the only ones its
// post may ping.
func mentionedUsers(m bot.Message) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(s string) {
		for _, sub := range bot.MentionPlaceholder.FindAllStringSubmatch(s, -1) {
			platform, id, _ := strings.Cut(sub[1], ":")
			if platform == bot.PlatformDiscord && isSnowflake(id) && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	add(m.Text)
	for _, f := range m.Fields {
		if f.URL == "" {
			add(f.Value)
		}
	}
	return ids
}

// allowedMentions lets m's post ping the users it mentions and nobody
// else: no @everyone, @here or role, whatever the text says.
func allowedMentions(m bot.Message) *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, Users: mentionedUsers(m)}
}

func mentionOf(key string, names map[string]string) string {
	platform, id, _ := strings.Cut(key, ":")
	if platform == bot.PlatformDiscord && isSnowflake(id) {
		return "<@" + id + ">"
	}
	return escapeMarkdown(nameOf(key, names))
}

// nameOf is the display name for key, unescaped.
func nameOf(key string, names map[string]string) string {
	if name := strings.TrimSpace(names[key]); name != "" {
		return name
	}
	_, id, _ := strings.Cut(key, ":")
	if local, _, ok := strings.Cut(id, "@"); ok {
		id = local // email: and bugzilla: identities are addresses
	}
	if id == "" {
		return "someone"
	}
	return id
}

// markdownEscaper backslash-escapes every character Discord's markdown
// gives a meaning anywhere in a line (bold, italics, underline, strike,
// spoilers, quotes, masked links, mentions), and breaks "@everyone" and
// "@here" with a zero-width space. Backticks are left alone: the core
// writes commands as `code`, as Slack shows them, and a code span only
// ever makes text more literal.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, `~`, `\~`, `|`, `\|`,
	`>`, `\>`, `[`, `\[`, `]`, `\]`, `<`, `\<`,
	`@`, "@\u200b",
)

// escapeMarkdown escapes s, a name or a link's label, so that it shows as
// written and can neither format the message nor mention anyone.
func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// bareURL matches what Discord shows as a link by itself: a URL of
// characters that markdown gives no meaning to.
var bareURL = regexp.MustCompile(`https?://[A-Za-z0-9._~:/?=&%+,;!$'-]+`)

// escapeText escapes user text for an embed: everything as escapeMarkdown
// except bare URLs, which are left whole so that Discord still links them
// (a bare URL shows its own address, so it cannot disguise a link), and
// a "#" or "-" opening a line (a heading, a list, small text).
func escapeText(s string) string {
	var b strings.Builder
	last := 0
	for _, loc := range bareURL.FindAllStringIndex(s, -1) {
		b.WriteString(escapeMarkdown(s[last:loc[0]]))
		b.WriteString(s[loc[0]:loc[1]])
		last = loc[1]
	}
	b.WriteString(escapeMarkdown(s[last:]))
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		if t := strings.TrimLeft(l, " "); strings.HasPrefix(t, "-") || strings.HasPrefix(t, "#") {
			lines[i] = l[:len(l)-len(t)] + `\` + t
		}
	}
	return strings.Join(lines, "\n")
}

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
