package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/badgebot/badgebot/bot"
)

// maxCommandLen caps the text of one command (Slack allows 4,000
// characters after "/badge"; Discord options are capped smaller).
const maxCommandLen = 4000

// restKind says whether a command ends in free text.
type restKind int

const (
	restNone     restKind = iota // nothing after the words
	restOptional                 // e.g. reject ID [REASON]
	restRequired                 // e.g. nominate @user SLUG REASON
)

// commandSpec is one chat command of DESIGN §4.
type commandSpec struct {
	name    string   // first word
	words   []string // usage names of the positional words, e.g. "@user", "SLUG"
	min     int      // how many of words are required
	rest    restKind
	restArg string // usage name of the free text, e.g. "REASON"
	example string // a complete example, without "/badge "
	summary string
	who     string // "" for everyone, else e.g. "owners and admins"
}

// usage returns e.g. "nominate @user SLUG REASON" with optional parts in
// brackets.
func (s *commandSpec) usage() string {
	parts := []string{s.name}
	for i, w := range s.words {
		if i >= s.min {
			w = "[" + w + "]"
		}
		parts = append(parts, w)
	}
	switch s.rest {
	case restRequired:
		parts = append(parts, s.restArg)
	case restOptional:
		parts = append(parts, "["+s.restArg+"]")
	}
	return strings.Join(parts, " ")
}

// commandSpecs lists the commands in the order help shows them. It is a
// function, not a variable, so nothing can change the table at run time.
func commandSpecs() []commandSpec {
	return []commandSpec{
		{name: "help", words: []string{"COMMAND"}, example: "help nominate", summary: "what badgebot can do"},
		{name: "list", words: []string{"PROGRAM"}, example: "list", summary: "the badges, by program, or one program's"},
		{name: "show", words: []string{"SLUG"}, min: 1, example: "show first-pr", summary: "a badge and how to earn it"},
		{name: "nominate", words: []string{"@user", "SLUG"}, min: 2, rest: restRequired, restArg: "REASON",
			example: "nominate @ada first-pr rewrote the install guide", summary: "nominate someone for a badge"},
		{name: "approve", words: []string{"ID"}, min: 1, example: "approve 42", summary: "approve a nomination", who: "badge owners and admins"},
		{name: "reject", words: []string{"ID"}, min: 1, rest: restOptional, restArg: "REASON",
			example: "reject 42 not yet, see the criteria", summary: "reject a nomination", who: "badge owners and admins"},
		{name: "award", words: []string{"@user", "SLUG"}, min: 2, rest: restOptional, restArg: "EVIDENCE",
			example: "award @ada first-pr https://github.com/o/r/pull/1 landed the parser", summary: "award a badge", who: "badge owners and admins"},
		{name: "revoke", words: []string{"AWARD_ID"}, min: 1, rest: restRequired, restArg: "REASON",
			example: "revoke k3v9xq2mfa7d awarded by mistake", summary: "revoke an award", who: "admins"},
		{name: "mine", example: "mine", summary: "your badges"},
		{name: "of", words: []string{"@user"}, min: 1, example: "of @ada", summary: "someone's badges"},
		{name: "progress", words: []string{"SLUG|PROGRAM"}, example: "progress first-pr", summary: "how close you are to badges"},
		{name: "why", words: []string{"@user", "SLUG"}, min: 2, example: "why @ada first-pr", summary: "which criteria someone meets, and which not"},
		{name: "link", words: []string{"github|bugzilla", "LOGIN|EMAIL"}, min: 2,
			example: "link github octocat", summary: "link your GitHub login or Bugzilla e-mail"},
		{name: "leaderboard", words: []string{"PROGRAM"}, example: "leaderboard", summary: "who holds the most badges, or a program's"},
		{name: "settings", words: []string{"announce", "public|dm|off"}, example: "settings announce dm",
			summary: "where your new badges are announced"},
		{name: "digest", words: []string{"now"}, min: 1, example: "digest now", summary: "post this period's digest now", who: "admins"},
	}
}

// findSpec returns the spec of a command name (lower case), or nil.
func findSpec(name string) *commandSpec {
	for _, s := range commandSpecs() {
		if s.name == name {
			return &s
		}
	}
	return nil
}

// parsedCommand is a command split into its words and free text.
type parsedCommand struct {
	spec *commandSpec
	args []string // the positional words, len between spec.min and len(spec.words)
	rest string   // the free text, trimmed; "" when absent
}

// arg returns the i-th positional word, or "".
func (p parsedCommand) arg(i int) string {
	if i < len(p.args) {
		return p.args[i]
	}
	return ""
}

// token is one word of the command and where it ends in the text.
type token struct {
	text string
	end  int // byte offset just after the word
}

// tokenize splits s at white space, keeping each word's end offset so that
// the free text after the words keeps its own spacing.
func tokenize(s string) []token {
	var out []token
	start := -1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			if start >= 0 {
				out = append(out, token{text: s[start:i], end: i})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += size
	}
	if start >= 0 {
		out = append(out, token{text: s[start:], end: len(s)})
	}
	return out
}

// parseCommand splits a command text. An empty text is "help". A leading
// "/badge" (as typed in the console) is dropped. Errors are EINVALID and
// say what to type.
func parseCommand(text string) (parsedCommand, error) {
	if len(text) > maxCommandLen {
		return parsedCommand{}, bot.Errorf(bot.EINVALID, "That command is too long: keep it under %d characters.", maxCommandLen)
	}
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	toks := tokenize(text)
	if len(toks) > 0 && strings.EqualFold(toks[0].text, "/badge") {
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return parsedCommand{spec: findSpec("help")}, nil
	}
	name := strings.ToLower(toks[0].text)
	spec := findSpec(name)
	if spec == nil {
		return parsedCommand{}, unknownCommand(toks[0].text)
	}
	nameEnd := toks[0].end
	toks = toks[1:]
	p := parsedCommand{spec: spec}
	n := min(len(toks), len(spec.words))
	for _, t := range toks[:n] {
		p.args = append(p.args, t.text)
	}
	if len(p.args) < spec.min {
		return parsedCommand{}, usageError(spec, "")
	}
	if len(toks) > n {
		if spec.rest == restNone {
			return parsedCommand{}, usageError(spec, "There is more than I expected. ")
		}
		from := nameEnd
		if n > 0 {
			from = toks[n-1].end
		}
		p.rest = strings.TrimSpace(text[from:])
	}
	if spec.rest == restRequired && p.rest == "" {
		return parsedCommand{}, usageError(spec, "")
	}
	return p, nil
}

// usageError tells how a command is typed, with an example.
func usageError(spec *commandSpec, lead string) *bot.Error {
	if spec.usage() == spec.example {
		return bot.Errorf(bot.EINVALID, "%sType `/badge %s`.", lead, spec.usage())
	}
	return bot.Errorf(bot.EINVALID, "%sType `/badge %s`, e.g. `/badge %s`.", lead, spec.usage(), spec.example)
}

// unknownCommand suggests the nearest command name, or help.
func unknownCommand(word string) *bot.Error {
	var names []string
	for _, s := range commandSpecs() {
		names = append(names, s.name)
	}
	best := bot.Nearest(strings.ToLower(word), names)
	shown := bot.TruncateRunes(word, 40)
	if best != "" {
		return bot.Errorf(bot.EINVALID, "I don't know %q. Did you mean `/badge %s`? Type `/badge help` to see every command.", shown, best)
	}
	return bot.Errorf(bot.EINVALID, "I don't know %q. Type `/badge help` to see what I can do.", shown)
}
