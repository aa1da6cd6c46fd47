package bottest

import "github.com/badgebot/badgebot/bot"

// Hostile is text a member might type into a nomination reason, a
// narrative or an evidence title, or an admin into a badge's name, to
// disguise a link, ping everyone or format the message: Slack's and
// Discord's link, mention and formatting syntax together.
const Hostile = "[github.com/o/r/pull/1](https://evil.example) <https://evil.example|github.com/o/r/pull/1> " +
	"<!channel> @everyone @here <@&123456789012345678> <@U0VICTIM1> **bold** ||spoiler|| `code` &amp; " +
	"https://github.com/o/r/pull/1\n# heading\n-# small\n> quote"

// HostileMessage is a nomination review as the core writes it, with
// Hostile in the places text from users and config reaches: the badge
// name in the title, the reason in the text and a field, an evidence
// title as a link's label, and a display name. platform chooses whose
// mention placeholder the nominator gets.
func HostileMessage(platform string) bot.Message {
	nominator := "slack:U024BE7LH"
	if platform == bot.PlatformDiscord {
		nominator = "discord:80351110224678912"
	}
	return bot.Message{
		Title: "Nomination: *Evil* <!here> [x](https://evil.example) @everyone",
		Text:  "{{" + nominator + "}} nominated {{github:mallory}} for Evil: " + Hostile,
		Fields: []bot.Field{
			{Label: "Reason <!channel> [x](https://evil.example)", Value: Hostile},
			{Label: "Evidence", Value: "[github.com/o/r/pull/1](https://evil.example) <!here>", URL: "https://github.com/o/r/pull/1"},
		},
		Mentions: map[string]string{
			nominator:        "ada",
			"github:mallory": "@everyone <https://evil.example|Mallory> [Mallory](https://evil.example)",
		},
	}
}
