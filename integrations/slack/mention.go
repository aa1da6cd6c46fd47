package slack

import (
	"strings"

	"github.com/badgebot/badgebot/bot"
)

// unescaper undoes Slack's escaping of &, < and > in message text.
var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// commandText rewrites text as Slack sends it into the router's syntax.
// User mentions "<@U024BE7LH|ada>" and "<@U024BE7LH>" become
// "@slack:U024BE7LH", with the name, when Slack gave one, in names; channel,
// group and special mentions become their labels; links become their URL
// (evidence is a URL, not a label); entities are unescaped.
func commandText(s string) (text string, names map[string]string) {
	var b strings.Builder
	for {
		open := strings.IndexByte(s, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(s[open:], '>')
		if end < 0 {
			break
		}
		b.WriteString(unescaper.Replace(s[:open]))
		token, name, key := rewriteToken(s[open+1 : open+end])
		b.WriteString(token)
		if name != "" {
			if names == nil {
				names = map[string]string{}
			}
			names[key] = name
		}
		s = s[open+end+1:]
	}
	b.WriteString(unescaper.Replace(s))
	return strings.TrimSpace(b.String()), names
}

// rewriteToken rewrites the inside of one "<…>" token. For a user mention
// it also returns the display name and the "slack:ID" key it belongs to.
func rewriteToken(inner string) (token, name, key string) {
	target, label, _ := strings.Cut(inner, "|")
	label = strings.TrimSpace(unescaper.Replace(label))
	switch {
	case strings.HasPrefix(target, "@"):
		id := target[1:]
		if !isSlackUser(id) {
			break
		}
		key = bot.PlatformSlack + ":" + id
		return "@" + key, strings.TrimPrefix(label, "@"), key
	case strings.HasPrefix(target, "#"):
		if label != "" {
			return "#" + label, "", ""
		}
		return target, "", ""
	case strings.HasPrefix(target, "!"):
		// Special mentions: <!here>, <!subteam^ID|@team>, <!date^…|fallback>.
		if label != "" {
			return label, "", ""
		}
		if cmd, _, _ := strings.Cut(target[1:], "^"); cmd != "" {
			return "@" + cmd, "", ""
		}
	case strings.HasPrefix(target, "mailto:"):
		return unescaper.Replace(strings.TrimPrefix(target, "mailto:")), "", ""
	case strings.Contains(target, "://"):
		return unescaper.Replace(target), "", ""
	}
	return unescaper.Replace("<" + inner + ">"), "", ""
}

// mentionCommand returns the command in an app_mention text: what follows
// the first user mention (the bot's own, "<@UBOT> nominate …").
func mentionCommand(s string) string {
	if i := strings.Index(s, "<@"); i >= 0 {
		if end := strings.IndexByte(s[i:], '>'); end >= 0 {
			return s[i+end+1:]
		}
	}
	return s
}
