package console

import (
	"strings"

	"github.com/badgebot/badgebot/bot"
)

// Render writes a message as plain text: the title, the text with
// mentions as @name, one "Label: value" line per field (a link after the
// value in angle brackets), the message's link, and the buttons as
// "[approve 42]  [reject 42]". It returns "" for an empty message.
func Render(m bot.Message) string {
	var lines []string
	add := func(s string) {
		if s = strings.TrimRight(s, " \t\r\n"); strings.TrimSpace(s) != "" {
			lines = append(lines, s)
		}
	}
	add(mentions(m.Title, m.Mentions))
	add(mentions(m.Text, m.Mentions))
	for _, f := range m.Fields {
		v := mentions(f.Value, m.Mentions)
		if f.URL != "" {
			if strings.TrimSpace(v) == "" {
				v = f.URL
			} else {
				v += " <" + f.URL + ">"
			}
		}
		add(strings.TrimSpace(f.Label) + ": " + v)
	}
	add(m.Link)
	var bs []string
	for _, b := range m.Buttons {
		bs = append(bs, "["+strings.TrimSpace(b.Action+" "+b.Value)+"]")
	}
	add(strings.Join(bs, "  "))
	return strings.Map(printable, strings.Join(lines, "\n"))
}

// printable drops control characters other than newline and tab: text
// from users and webhooks (a pull request's title) must not reach the
// terminal as escape sequences that move the cursor, rewrite earlier
// lines or set the window title. The console has no markup to escape.
func printable(r rune) rune {
	if r == '\n' || r == '\t' {
		return r
	}
	if r < 0x20 || (r >= 0x7f && r < 0xa0) {
		return -1
	}
	return r
}

// mentions renders placeholders as "@name": the name the core gave, else
// the identity's id; e-mail addresses are never shown.
func mentions(s string, names map[string]string) string {
	return bot.MentionPlaceholder.ReplaceAllStringFunc(s, func(ph string) string {
		key := ph[2 : len(ph)-2]
		if name := strings.TrimSpace(names[key]); name != "" {
			return "@" + name
		}
		platform, id, ok := strings.Cut(key, ":")
		switch {
		case !ok:
			return "@" + key
		case strings.Contains(id, "@") || platform == bot.PlatformEmail || platform == bot.PlatformBugzilla:
			return "@someone"
		}
		// As the person's handle will be: "@u0bob", never "@U0BOB" beside it.
		return "@" + bot.HandleBase(bot.Recipient{Platform: platform, ID: id}, "")
	})
}
