package slack

import (
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/badgebot/badgebot/bot"
	"github.com/slack-go/slack"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks):
// longer text makes Slack refuse the whole message with invalid_blocks.
const (
	maxHeaderChars   = 150
	maxSectionChars  = 3000
	maxFieldChars    = 2000
	maxFieldsPerSect = 10
	maxButtonChars   = 75
	maxValueChars    = 2000
	maxActionIDChars = 255
	maxButtonsPerRow = 25
	maxFallbackChars = 3000
)

// linkLabel names the page a message links to: an award, a badge, a
// person's page or the badge directory.
func linkLabel(link string) string {
	switch {
	case strings.Contains(link, "/awards/"):
		return "View award"
	case strings.Contains(link, "/badges/"):
		return "View badge"
	case strings.Contains(link, "/people/"):
		return "View profile"
	case strings.HasSuffix(link, "/badges"):
		return "View badges"
	case strings.Contains(link, "/nominations/"):
		return "View nomination"
	}
	return "Open"
}

// escaper applies Slack's three mandatory escapes to user text
// (https://docs.slack.dev/messaging/formatting-message-text#escaping).
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// specialMention matches "@here", "@channel" and "@everyone" typed as
// words, which Slack's automatic parsing of mrkdwn (verbatim false) may
// turn into notifications.
var specialMention = regexp.MustCompile(`(?i)@(here|channel|everyone)\b`)

// escapeMrkdwn escapes user text for a mrkdwn text object: the three
// escapes, so that no "<…>" token (a link, "<!channel>", a mention) can
// be formed, and a word joiner after the "@" of the special mentions.
func escapeMrkdwn(s string) string {
	return specialMention.ReplaceAllString(escaper.Replace(s), "@\u2060$1")
}

// render turns the core's neutral message into Block Kit blocks.
func render(m bot.Message) []slack.Block {
	var blocks []slack.Block
	if title := strings.TrimSpace(plainText(m.Title, m.Mentions)); title != "" {
		blocks = append(blocks, slack.NewHeaderBlock(
			slack.NewTextBlockObject(slack.PlainTextType, clip(title, maxHeaderChars), true, false)))
	}
	image := imageURL(m.Image)
	alt := strings.TrimSpace(plainText(m.Title, m.Mentions))
	if alt == "" {
		alt = "badge image"
	}
	if text := strings.TrimSpace(mrkdwn(m.Text, m.Mentions)); text != "" {
		var accessory *slack.Accessory
		if image != "" {
			accessory = slack.NewAccessory(slack.NewImageBlockElement(image, alt))
		}
		blocks = append(blocks, slack.NewSectionBlock(
			slack.NewTextBlockObject(slack.MarkdownType, clipMrkdwn(text, maxSectionChars), false, false),
			nil, accessory))
	} else if image != "" {
		blocks = append(blocks, slack.NewImageBlock(image, alt, "", nil))
	}
	blocks = append(blocks, fieldSections(m)...)
	if link := linkURL(m.Link); link != "" {
		blocks = append(blocks, slack.NewContextBlock("",
			slack.NewTextBlockObject(slack.MarkdownType, "<"+link+"|"+linkLabel(link)+">", false, false)))
	}
	blocks = append(blocks, actionBlocks(m.Buttons)...)
	return blocks
}

// fallback is the message's plain notification text: Slack shows it in
// notifications and screen readers, where blocks are not rendered.
func fallback(m bot.Message) string {
	title := escapeMrkdwn(strings.TrimSpace(plainText(m.Title, m.Mentions)))
	text := strings.TrimSpace(mrkdwn(m.Text, m.Mentions))
	switch {
	case title == "":
		return clipMrkdwn(text, maxFallbackChars)
	case text == "":
		return clipMrkdwn(title, maxFallbackChars)
	}
	return clipMrkdwn(title+": "+text, maxFallbackChars)
}

// isEmpty reports whether m has nothing to show.
func isEmpty(m bot.Message) bool {
	return strings.TrimSpace(m.Title) == "" && strings.TrimSpace(m.Text) == "" &&
		len(m.Fields) == 0 && len(m.Buttons) == 0 && m.Link == "" && m.Image == ""
}

func fieldSections(m bot.Message) []slack.Block {
	var blocks []slack.Block
	var fields []*slack.TextBlockObject
	for _, f := range m.Fields {
		value := mrkdwn(f.Value, m.Mentions)
		if u := linkURL(f.URL); u != "" {
			label := strings.TrimSpace(value)
			if label == "" {
				label = escaper.Replace(f.URL)
			}
			value = "<" + u + "|" + label + ">"
		}
		text := "*" + escapeMrkdwn(strings.TrimSpace(f.Label)) + "*\n" + value
		fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, clipMrkdwn(text, maxFieldChars), false, false))
		if len(fields) == maxFieldsPerSect {
			blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
			fields = nil
		}
	}
	if len(fields) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	}
	return blocks
}

// actionBlocks puts the buttons in actions blocks. Slack refuses a block
// whose action_ids repeat, so a repeated action starts a new row.
func actionBlocks(buttons []bot.Button) []slack.Block {
	var blocks []slack.Block
	var row []slack.BlockElement
	seen := map[string]bool{}
	flush := func() {
		if len(row) > 0 {
			blocks = append(blocks, slack.NewActionBlock("", row...))
		}
		row, seen = nil, map[string]bool{}
	}
	for _, b := range buttons {
		action := clip(b.Action, maxActionIDChars)
		if seen[action] || len(row) == maxButtonsPerRow {
			flush()
		}
		seen[action] = true
		label := strings.TrimSpace(b.Label)
		if label == "" {
			label = b.Action
		}
		btn := slack.NewButtonBlockElement(action, clip(b.Value, maxValueChars),
			slack.NewTextBlockObject(slack.PlainTextType, clip(label, maxButtonChars), true, false))
		switch b.Style {
		case string(slack.StylePrimary), string(slack.StyleDanger):
			btn = btn.WithStyle(slack.Style(b.Style))
		}
		row = append(row, btn)
	}
	flush()
	return blocks
}

// mrkdwn escapes s for a Slack mrkdwn text object and renders the core's
// mention placeholders: a Slack user becomes a real mention "<@U…>", anyone
// else their display name.
func mrkdwn(s string, mentions map[string]string) string {
	return replacePlaceholders(s, escapeMrkdwn, func(key string) string {
		if id, ok := strings.CutPrefix(key, bot.PlatformSlack+":"); ok && isSlackUser(id) {
			return "<@" + id + ">"
		}
		return escapeMrkdwn(displayName(key, mentions))
	})
}

// plainText renders placeholders as display names, for plain_text objects
// (headers, alt text), which Slack shows verbatim.
func plainText(s string, mentions map[string]string) string {
	return replacePlaceholders(s, func(t string) string { return t }, func(key string) string {
		return displayName(key, mentions)
	})
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

// displayName is the name the core gave for key, else the identity's id;
// e-mail addresses are never shown in public.
func displayName(key string, mentions map[string]string) string {
	if name := strings.TrimSpace(mentions[key]); name != "" {
		return name
	}
	platform, id, ok := strings.Cut(key, ":")
	if !ok {
		return key
	}
	if strings.Contains(id, "@") || platform == bot.PlatformEmail || platform == bot.PlatformBugzilla {
		return "someone"
	}
	return id
}

func isSlackUser(id string) bool {
	return bot.Recipient{Platform: bot.PlatformSlack, ID: id}.Validate() == nil
}

// linkURL returns u escaped for use inside "<url|label>", or "" when u is
// not an absolute http(s) URL.
func linkURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return strings.ReplaceAll(escaper.Replace(p.String()), "|", "%7C")
}

// imageURL returns u when Slack can fetch it. Slack downloads images
// itself and refuses the whole message when it cannot, so images on
// loopback or private addresses (a development public_url) are left out.
func imageURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	host := p.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return ""
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() {
			return ""
		}
	}
	return p.String()
}

// clip shortens s to at most n characters, ending in "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// clipMrkdwn is clip for escaped mrkdwn: it never leaves half an entity
// ("&am") or half a "<…>" token at the cut.
func clipMrkdwn(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := string([]rune(s)[:n-1])
	if i := strings.LastIndexByte(cut, '<'); i > strings.LastIndexByte(cut, '>') {
		cut = cut[:i]
	}
	if i := strings.LastIndexByte(cut, '&'); i >= 0 && !strings.Contains(cut[i:], ";") {
		cut = cut[:i]
	}
	return cut + "…"
}
