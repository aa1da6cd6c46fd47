package slack

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/internal/golden"
)

// golden compares got with testdata/name, or rewrites it with -update.
func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

// renderedJSON is what Slack receives for m: the notification text and
// the blocks.
func renderedJSON(t *testing.T, m bot.Message) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "<@U…>" readable in the golden files
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Text   string `json:"text"`
		Blocks any    `json:"blocks"`
	}{fallback(m), render(m)}); err != nil {
		t.Fatal(err)
	}
	// Some slack-go types marshal themselves with HTML escaping; undo it
	// (the JSON means the same) so the golden files read like Slack's docs.
	r := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")
	return []byte(r.Replace(b.String()))
}

func TestRenderGolden(t *testing.T) {
	review := bot.Message{
		Title: "Nomination: Docs Hero",
		Text:  "{{slack:U024BE7LH}} nominated {{github:octocat}} for *Docs Hero*: rewrote the install guide & fixed <all> the links",
		Fields: []bot.Field{
			{Label: "Nomination", Value: "nom-42"},
			{Label: "Supporters", Value: "{{discord:80351110224678912}}"},
			{Label: "Expires", Value: "2026-12-10"},
		},
		Buttons: []bot.Button{
			{Label: "Approve", Action: "approve", Value: "nom-42", Style: "primary"},
			{Label: "Reject", Action: "reject", Value: "nom-42", Style: "danger"},
		},
		Mentions: map[string]string{
			"slack:U024BE7LH":              "ada",
			"github:octocat":               "The Octocat",
			"discord:80351110224678912":    "grace",
			"email:hidden@example.org":     "",
			"bugzilla:private@example.org": "",
		},
	}
	decided := review
	decided.Title = "Nomination approved: Docs Hero"
	decided.Fields = append(append([]bot.Field(nil), review.Fields...), bot.Field{Label: "Decision", Value: "Approved by {{slack:U0ADMIN1}}"})
	decided.Buttons = nil

	tests := []struct {
		name string
		msg  bot.Message
	}{
		{"award", bot.Message{
			Title: "New badge: First Pull Request",
			Text:  "{{slack:U024BE7LH}} earned the *First Pull Request* badge! Had a first pull request merged.",
			Fields: []bot.Field{
				{Label: "Evidence", Value: "octo/repo#7", URL: "https://github.com/octo/repo/pull/7"},
				{Label: "Why", Value: "Fixed the <script> & style bug"},
			},
			Link:     "https://badges.example.org/awards/01JD5Z8Q3W",
			Image:    "https://badges.example.org/badges/first-pr/image.png",
			Mentions: map[string]string{"slack:U024BE7LH": "ada"},
		}},
		{"award-unlinked", bot.Message{
			Title:    "New badge: First Pull Request",
			Text:     "{{github:octocat}} earned the *First Pull Request* badge!",
			Link:     "http://127.0.0.1:8080/awards/01JD5Z8Q3W", // a dev URL: no image Slack cannot fetch
			Image:    "http://127.0.0.1:8080/badges/first-pr/image.png",
			Mentions: map[string]string{"github:octocat": "octocat"},
		}},
		{"nomination-review", review},
		{"nomination-decided", decided},
		{"reply-plain", bot.Message{Text: "You have 3 badges: First Pull Request, Docs Hero, Bug Squasher."}},
		{"reply-error", bot.Message{Text: "No badge called `frist-pr`. Type `/badge list` to see the badges."}},
		{"digest", bottest.DigestMessage(t, bot.PlatformSlack)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			goldenFile(t, tt.name+".json", renderedJSON(t, tt.msg))
		})
	}
}

func TestMrkdwnMentionsAndEscaping(t *testing.T) {
	mentions := map[string]string{"github:octocat": "Octo <Cat>", "slack:U0NAMED": "named"}
	tests := []struct{ in, want string }{
		{"{{slack:U024BE7LH}} did it", "<@U024BE7LH> did it"},
		{"{{slack:U0NAMED}}", "<@U0NAMED>"},
		{"{{github:octocat}}", "Octo &lt;Cat&gt;"},
		{"{{github:hubot}}", "hubot"},
		{"{{email:ada@example.org}} and {{bugzilla:b@example.org}}", "someone and someone"},
		{"{{slack:not-an-id}}", "not-an-id"},
		{"{{ada}}", "ada"},
		{"<!channel> & <@U1> > 3", "&lt;!channel&gt; &amp; &lt;@U1&gt; &gt; 3"},
		{"{{ not a placeholder }}", "{{ not a placeholder }}"},
		{"*bold* _it_ `code`", "*bold* _it_ `code`"},
	}
	for _, tt := range tests {
		if got := mrkdwn(tt.in, mentions); got != tt.want {
			t.Errorf("mrkdwn(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := plainText("Badge for {{slack:U0NAMED}} & {{github:octocat}}", mentions), "Badge for named & Octo <Cat>"; got != want {
		t.Errorf("plainText = %q, want %q", got, want)
	}
}

func TestImageURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://badges.example.org/b.png", "https://badges.example.org/b.png"},
		{"http://127.0.0.1:8080/b.png", ""},
		{"http://localhost/b.png", ""},
		{"http://10.1.2.3/b.png", ""},
		{"http://[::1]/b.png", ""},
		{"file:///etc/passwd", ""},
		{"/relative.png", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := imageURL(tt.in); got != tt.want {
			t.Errorf("imageURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestClipMrkdwn(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdefghij", 5, "abcd…"},
		{"ab &amp; cd", 6, "ab …"},
		{"see <@U024BE7LH> now", 10, "see …"},
		{"ééééé", 3, "éé…"},
	}
	for _, tt := range tests {
		if got := clipMrkdwn(tt.in, tt.n); got != tt.want {
			t.Errorf("clipMrkdwn(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestRenderLimits(t *testing.T) {
	var m bot.Message
	m.Text = strings.Repeat("x", 5000)
	for i := 0; i < 12; i++ {
		m.Fields = append(m.Fields, bot.Field{Label: "L", Value: "v"})
	}
	m.Buttons = []bot.Button{{Label: "A", Action: "approve", Value: "1"}, {Label: "A", Action: "approve", Value: "2"}}
	blocks := render(m)
	// text section, two field sections (10 + 2), two action rows (repeated action_id)
	if len(blocks) != 5 {
		t.Fatalf("got %d blocks, want 5", len(blocks))
	}
	b, _ := json.Marshal(blocks[0])
	if n := len(b); n > 3200 {
		t.Errorf("text section is %d bytes; text was not clipped to 3000", n)
	}
}

// Text from users and config cannot form a link, a mention or a special
// mention in Slack's mrkdwn: every "<" of it is escaped, and "@everyone",
// "@here" and "@channel" are broken by a word joiner. The only tokens are
// the ones the renderer makes: the nominator's mention and the evidence
// link to its real URL.
func TestRenderHostileGolden(t *testing.T) {
	m := bottest.HostileMessage(bot.PlatformSlack)
	got := renderedJSON(t, m)
	goldenFile(t, "hostile.json", got)

	var tokens []string
	var mrkdwnTexts []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" {
				mrkdwnTexts = append(mrkdwnTexts, v["text"].(string))
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc["blocks"])
	mrkdwnTexts = append(mrkdwnTexts, fallback(m))
	for _, text := range mrkdwnTexts {
		for rest := text; ; {
			i := strings.IndexByte(rest, '<')
			if i < 0 {
				break
			}
			j := strings.IndexByte(rest[i:], '>')
			if j < 0 {
				t.Errorf("unclosed < in %q", text)
				break
			}
			tokens = append(tokens, rest[i:i+j+1])
			rest = rest[i+j+1:]
		}
		for _, word := range []string{"@everyone", "@here", "@channel"} {
			if strings.Contains(strings.ToLower(text), word) {
				t.Errorf("%s left as a word in %q", word, text)
			}
		}
	}
	want := map[string]bool{"<@U024BE7LH>": true, "<https://github.com/o/r/pull/1|[github.com/o/r/pull/1](https://evil.example) &lt;!here&gt;>": true}
	for _, tok := range tokens {
		if !want[tok] {
			t.Errorf("Slack would read the token %s", tok)
		}
	}
}

// TestLinkLabel: a message's link is labelled for the page it opens, so a
// profile link is not called "View award".
func TestLinkLabel(t *testing.T) {
	for link, want := range map[string]string{
		"https://badges.example.org/awards/a1b2":     "View award",
		"https://badges.example.org/people/alice":    "View profile",
		"https://badges.example.org/badges/first-pr": "View badge",
		"https://badges.example.org/badges":          "View badges",
	} {
		if got := linkLabel(link); got != want {
			t.Errorf("linkLabel(%s) = %q, want %q", link, got, want)
		}
	}
}
