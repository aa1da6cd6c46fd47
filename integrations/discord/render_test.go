package discord

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/bwmarrin/discordgo"
)

// Messages as the core writes them.
var (
	awardAnnouncement = bot.Message{
		Title: "New badge: First Pull Request",
		Text:  "{{discord:80351110224678913}} earned the First Pull Request badge! Had a first pull request merged.",
		Fields: []bot.Field{
			{Label: "Evidence", Value: "octo/repo#42 [docs]", URL: "https://github.com/octo/repo/pull/42"},
			{Label: "Why", Value: "Fixed the install guide."},
		},
		Link:     "https://badges.example.org/awards/01JD7Z8W",
		Image:    "https://badges.example.org/badges/first-pr/image.png",
		Mentions: map[string]string{"discord:80351110224678913": "bob"},
	}
	nominationReview = bot.Message{
		Title: "Nomination: First Pull Request",
		Text:  "{{discord:80351110224678912}} nominated {{github:octocat}} for First Pull Request.",
		Fields: []bot.Field{
			{Label: "Reason", Value: "Landed the parser rewrite"},
			{Label: "Approvals", Value: "0 of 1"},
		},
		Buttons: []bot.Button{
			{Label: "Approve", Action: "approve", Value: "n-42", Style: "primary"},
			{Label: "Reject", Action: "reject", Value: "n-42", Style: "danger"},
		},
		Link:     "https://badges.example.org/badges/first-pr",
		Mentions: map[string]string{"discord:80351110224678912": "Ali", "github:octocat": "The_Octocat*"},
	}
	decidedNomination = bot.Message{
		Title: "Nomination approved: First Pull Request",
		Text:  "{{email:mona@example.org}} was awarded First Pull Request; approved by {{discord:80351110224678912}}.",
		Fields: []bot.Field{
			{Label: "Reason", Value: "Landed the parser rewrite"},
			{Label: "Award", Value: "01JD7Z8W", URL: "https://badges.example.org/awards/01JD7Z8W"},
		},
	}
	plainReply = bot.Message{Text: "Badges: first-pr, bug-hunter, docs-hero. Type /badge show SLUG for one."}
	errorReply = bot.Message{Text: "No badge \"frist-pr\". Type /badge list to see them all."}
)

func TestRenderMessageGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    bot.Message
	}{
		{"award-announcement", awardAnnouncement},
		{"nomination-review", nominationReview},
		{"nomination-decided", decidedNomination},
		{"plain-reply", plainReply},
		{"error-reply", errorReply},
		{"digest", bottest.DigestMessage(t, bot.PlatformDiscord)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			embed, components := renderMessage(tc.m)
			goldenFile(t, "render/"+tc.name+".json", mustJSON(t, struct {
				Embed      *discordgo.MessageEmbed      `json:"embed"`
				Components []discordgo.MessageComponent `json:"components"`
			}{embed, components}))
		})
	}
}

func TestRenderMessageLimits(t *testing.T) {
	var m bot.Message
	m.Title = strings.Repeat("t", 300)
	m.Text = strings.Repeat("ü", 5000)
	for range 30 {
		m.Fields = append(m.Fields, bot.Field{Label: strings.Repeat("l", 300), Value: strings.Repeat("v", 2000)})
	}
	for range 30 {
		m.Buttons = append(m.Buttons, bot.Button{Label: strings.Repeat("b", 100), Action: "approve", Value: strings.Repeat("9", 200)})
	}
	m.Link = "javascript:alert(1)"
	m.Image = "not a url"
	e, rows := renderMessage(m)

	total := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		total += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
		if utf8.RuneCountInString(f.Name) > maxFieldName || utf8.RuneCountInString(f.Value) > maxFieldValue {
			t.Errorf("field over its limits: %d/%d", utf8.RuneCountInString(f.Name), utf8.RuneCountInString(f.Value))
		}
	}
	if utf8.RuneCountInString(e.Title) > maxTitle || utf8.RuneCountInString(e.Description) > maxDescription || len(e.Fields) > maxFields || total > maxEmbedTotal {
		t.Errorf("embed over Discord's limits: title %d, description %d, %d fields, %d in all",
			utf8.RuneCountInString(e.Title), utf8.RuneCountInString(e.Description), len(e.Fields), total)
	}
	if e.URL != "" || e.Thumbnail != nil || strings.Contains(e.Description, "javascript") {
		t.Errorf("a bad URL was kept: url %q thumbnail %v", e.URL, e.Thumbnail)
	}
	if len(rows) != maxRows {
		t.Fatalf("%d rows, want %d", len(rows), maxRows)
	}
	for _, r := range rows {
		row := r.(discordgo.ActionsRow)
		if len(row.Components) != buttonsPerRow {
			t.Errorf("row of %d buttons, want %d", len(row.Components), buttonsPerRow)
		}
		for _, c := range row.Components {
			b := c.(discordgo.Button)
			if utf8.RuneCountInString(b.Label) > maxButtonLabel || utf8.RuneCountInString(b.CustomID) > maxCustomID {
				t.Errorf("button over its limits: label %d, custom_id %d", utf8.RuneCountInString(b.Label), utf8.RuneCountInString(b.CustomID))
			}
		}
	}
}

func TestRenderEmptyMessage(t *testing.T) {
	e, rows := renderMessage(bot.Message{})
	if e.Description == "" || rows == nil || len(rows) != 0 {
		t.Errorf("empty message: description %q, rows %v; want a non-empty embed and an empty row list", e.Description, rows)
	}
}

func TestExpandMentions(t *testing.T) {
	names := map[string]string{"slack:U024BE7LH": "ada_l", "github:octocat": "Octo"}
	for _, tc := range []struct{ in, want string }{
		{"{{discord:80351110224678912}} did it", "<@80351110224678912> did it"},
		{"{{slack:U024BE7LH}} and {{github:octocat}}", `ada\_l and Octo`},
		{"{{github:hubot}} has no name", "hubot has no name"},
		{"{{email:mona@example.org}} hides the address", "mona hides the address"},
		{"{{slack:UNKNOWN1}}", "UNKNOWN1"},
		{"unclosed {{discord:1", "unclosed {{discord:1"},
		{"{{discord:not-an-id}}", "not-an-id"},
		{"{{}}", "{{}}"}, // not a placeholder
		{"no mentions", "no mentions"},
	} {
		if got := expandMentions(tc.in, names); got != tc.want {
			t.Errorf("expandMentions(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := expandMentions("{{slack:U1}}", map[string]string{"slack:U1": "@everyone"}); strings.Contains(got, "@everyone") {
		t.Errorf("a display name of @everyone stays a mention: %q", got)
	}
}

// Text from users and config renders as plain text in Discord: a masked
// link "[github.com/o/r/pull/1](https://evil.example)" shows as written
// instead of a disguised link, "@everyone", "@here" and role or user
// mentions typed by someone are broken, and the message may ping only
// the users the core mentions.
func TestRenderHostileGolden(t *testing.T) {
	m := bottest.HostileMessage(bot.PlatformDiscord)
	embed, components := renderMessage(m)
	allowed := allowedMentions(m)
	goldenFile(t, "render/hostile.json", mustJSON(t, struct {
		Embed           *discordgo.MessageEmbed           `json:"embed"`
		Components      []discordgo.MessageComponent      `json:"components"`
		AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	}{embed, components, allowed}))

	texts := []string{embed.Title, embed.Description}
	for _, f := range embed.Fields {
		texts = append(texts, f.Name, f.Value)
	}
	for _, text := range texts {
		for _, bad := range []string{"](https://evil", "@everyone", "@here", "<@&", "<@U0VICTIM1>", "<https://evil", "**", "||", "\n#", "\n-#", "\n>"} {
			if i := strings.Index(text, bad); i >= 0 && (i == 0 || text[i-1] != '\\') {
				t.Errorf("%q left unescaped in %q", bad, text)
			}
		}
	}
	// The one masked link is the evidence, to its real URL.
	if got := strings.Count(strings.Join(texts, " "), "](https://github.com/o/r/pull/1)"); got != 1 {
		t.Errorf("%d evidence links, want 1", got)
	}
	if len(allowed.Parse) != 0 || len(allowed.Users) != 1 || allowed.Users[0] != "80351110224678912" {
		t.Errorf("allowed_mentions = %+v, want no parsing and only the nominator", allowed)
	}
}
