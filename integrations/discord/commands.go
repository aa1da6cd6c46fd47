package discord

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/badgebot/badgebot/bot"
	"github.com/bwmarrin/discordgo"
)

// commandName is the one slash command badgebot registers.
const commandName = "badge"

// optKind says how a typed option becomes a word of the text command.
type optKind int

const (
	optUser   optKind = iota // USER: "@discord:ID"
	optBadge                 // STRING with autocomplete: a badge slug, one word
	optWord                  // STRING: one word (an id, a login, an address)
	optText                  // STRING: free text, always the last option
	optChoice                // STRING with fixed choices
)

type optSpec struct {
	name, desc string
	kind       optKind
	required   bool
	maxLen     int
	choices    []string
}

// subSpec is one /badge subcommand and the text command it stands for.
type subSpec struct {
	path      []string // Discord names: {"show"} or {"link", "github"} (group, subcommand)
	groupDesc string   // for a subcommand in a group
	words     string   // the text command's leading words, e.g. "link github"
	desc      string
	opts      []optSpec // in the order of the text command
}

func userOpt(desc string) optSpec {
	return optSpec{name: "user", desc: desc, kind: optUser, required: true}
}

func badgeOpt(required bool) optSpec {
	return optSpec{name: "badge", desc: "The badge (start typing its name)", kind: optBadge, required: required, maxLen: 64}
}

func textOpt(name, desc string, required bool) optSpec {
	return optSpec{name: name, desc: desc, kind: optText, required: required, maxLen: 1000}
}

// programOpt is the optional program of list and leaderboard.
func programOpt() optSpec {
	return optSpec{name: "program", desc: "Only this program's (its slug)", kind: optWord, maxLen: 63}
}

func wordOpt(name, desc string, maxLen int) optSpec {
	return optSpec{name: name, desc: desc, kind: optWord, required: true, maxLen: maxLen}
}

// subcommands mirrors DESIGN section 4. It is a function, not a variable,
// so that nothing can change the table at run time.
func subcommands() []subSpec {
	return []subSpec{
		{path: []string{"help"}, words: "help", desc: "Show what badgebot can do, or how to use one command",
			opts: []optSpec{{name: "command", desc: "The command to explain", kind: optChoice, choices: []string{
				"list", "show", "nominate", "approve", "reject", "award", "revoke", "mine", "of",
				"progress", "why", "link", "leaderboard", "settings", "digest"}}}},
		{path: []string{"list"}, words: "list", desc: "List the badges",
			opts: []optSpec{programOpt()}},
		{path: []string{"show"}, words: "show", desc: "Show a badge and how to earn it",
			opts: []optSpec{badgeOpt(true)}},
		{path: []string{"nominate"}, words: "nominate", desc: "Nominate someone for a badge",
			opts: []optSpec{userOpt("Who deserves it"), badgeOpt(true), textOpt("reason", "Why they deserve it", true)}},
		{path: []string{"approve"}, words: "approve", desc: "Approve a nomination (badge owners and admins)",
			opts: []optSpec{wordOpt("id", "The nomination id", 64)}},
		{path: []string{"reject"}, words: "reject", desc: "Reject a nomination (badge owners and admins)",
			opts: []optSpec{wordOpt("id", "The nomination id", 64), textOpt("reason", "Why, for the nominator", false)}},
		{path: []string{"award"}, words: "award", desc: "Award a badge (badge owners and admins)",
			opts: []optSpec{userOpt("Who earns it"), badgeOpt(true), textOpt("evidence", "A link to the work, or a few words", false)}},
		{path: []string{"revoke"}, words: "revoke", desc: "Revoke an award (admins)",
			opts: []optSpec{wordOpt("award_id", "The award id", 64), textOpt("reason", "Why it is revoked", true)}},
		{path: []string{"mine"}, words: "mine", desc: "Show your badges"},
		{path: []string{"of"}, words: "of", desc: "Show someone's badges",
			opts: []optSpec{userOpt("Whose badges")}},
		{path: []string{"progress"}, words: "progress", desc: "How close you are to a badge",
			opts: []optSpec{badgeOpt(false)}},
		{path: []string{"why"}, words: "why", desc: "Which criteria of a badge someone meets, and which not",
			opts: []optSpec{userOpt("Who"), badgeOpt(true)}},
		{path: []string{"link", "github"}, groupDesc: "Link an account you own to your badges", words: "link github",
			desc: "Link your GitHub login", opts: []optSpec{wordOpt("login", "Your GitHub login", 39)}},
		{path: []string{"link", "bugzilla"}, groupDesc: "Link an account you own to your badges", words: "link bugzilla",
			desc: "Link your Bugzilla e-mail address", opts: []optSpec{wordOpt("email", "Your Bugzilla e-mail address", 254)}},
		{path: []string{"leaderboard"}, words: "leaderboard", desc: "Who holds the most badges",
			opts: []optSpec{programOpt()}},
		{path: []string{"settings", "show"}, groupDesc: "Your badgebot settings", words: "settings",
			desc: "Show your settings"},
		{path: []string{"settings", "announce"}, groupDesc: "Your badgebot settings", words: "settings announce",
			desc: "Where your new badges are announced", opts: []optSpec{{name: "where", desc: "public: the channel; dm: to you; off: nowhere",
				kind: optChoice, required: true, choices: []string{"public", "dm", "off"}}}},
		{path: []string{"digest"}, words: "digest now", desc: "Post this period's digest now (admins)"},
	}
}

// CommandDefinitions returns the /badge command with its subcommands and
// typed options, as RegisterCommands sends it to Discord.
func CommandDefinitions() []*discordgo.ApplicationCommand {
	cmd := &discordgo.ApplicationCommand{
		Type:        discordgo.ChatApplicationCommand,
		Name:        commandName,
		Description: "Badges: nominate, award, show and link",
		Contexts: &[]discordgo.InteractionContextType{
			discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM,
		},
		IntegrationTypes: &[]discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall},
	}
	groups := map[string]*discordgo.ApplicationCommandOption{}
	for _, s := range subcommands() {
		sub := &discordgo.ApplicationCommandOption{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        s.path[len(s.path)-1],
			Description: s.desc,
		}
		for _, o := range s.opts {
			sub.Options = append(sub.Options, o.definition())
		}
		if len(s.path) == 1 {
			cmd.Options = append(cmd.Options, sub)
			continue
		}
		g, ok := groups[s.path[0]]
		if !ok {
			g = &discordgo.ApplicationCommandOption{
				Type:        discordgo.ApplicationCommandOptionSubCommandGroup,
				Name:        s.path[0],
				Description: s.groupDesc,
			}
			groups[s.path[0]] = g
			cmd.Options = append(cmd.Options, g)
		}
		g.Options = append(g.Options, sub)
	}
	return []*discordgo.ApplicationCommand{cmd}
}

func (o optSpec) definition() *discordgo.ApplicationCommandOption {
	d := &discordgo.ApplicationCommandOption{
		Type:        discordgo.ApplicationCommandOptionString,
		Name:        o.name,
		Description: o.desc,
		Required:    o.required,
		MaxLength:   o.maxLen,
	}
	switch o.kind {
	case optUser:
		d.Type = discordgo.ApplicationCommandOptionUser
	case optBadge:
		d.Autocomplete = true
	case optChoice:
		for _, c := range o.choices {
			d.Choices = append(d.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c, Value: c})
		}
	}
	return d
}

// commandData is the data of an APPLICATION_COMMAND or _AUTOCOMPLETE
// interaction: only the fields badgebot reads.
type commandData struct {
	Name     string   `json:"name"`
	Options  []option `json:"options"`
	Resolved struct {
		Users   map[string]user   `json:"users"`
		Members map[string]member `json:"members"` // partial: no user
	} `json:"resolved"`
}

type option struct {
	Name    string          `json:"name"`
	Type    int             `json:"type"`
	Value   json.RawMessage `json:"value"`
	Options []option        `json:"options"`
	Focused bool            `json:"focused"`
}

// subcommand finds the subcommand an interaction names and its options.
// ok is false when it names none badgebot knows.
func (d commandData) subcommand() (spec subSpec, opts []option, ok bool) {
	var path []string
	opts = d.Options
	for len(opts) == 1 && len(path) < 2 {
		o := opts[0]
		if o.Type != int(discordgo.ApplicationCommandOptionSubCommand) && o.Type != int(discordgo.ApplicationCommandOptionSubCommandGroup) {
			break
		}
		path = append(path, o.Name)
		opts = o.Options
		if o.Type == int(discordgo.ApplicationCommandOptionSubCommand) {
			break
		}
	}
	for _, s := range subcommands() {
		if slices.Equal(s.path, path) {
			return s, opts, true
		}
	}
	return subSpec{}, nil, false
}

// usageError is a mistake the caller can fix; it is answered, privately,
// with what to type instead.
type usageError string

func (e usageError) Error() string { return string(e) }

// badRequest is an interaction no Discord client sends; it gets a 400.
type badRequest string

func (e badRequest) Error() string { return string(e) }

var rawMention = regexp.MustCompile(`<@!?([0-9]{15,21})>`)

// text turns the typed options into the equivalent text command, e.g.
// "nominate @discord:80351110224678912 first-pr great work", and returns
// the display names of the users it mentions.
func (s subSpec) text(opts []option, d commandData) (string, map[string]string, error) {
	words := []string{s.words}
	var names map[string]string
	for _, spec := range s.opts {
		o, found := findOption(opts, spec.name)
		if !found {
			if spec.required {
				return "", nil, badRequest(fmt.Sprintf("option %q is required", spec.name))
			}
			continue
		}
		if spec.kind == optUser {
			id, err := stringValue(o)
			if err != nil || !isSnowflake(id) {
				return "", nil, badRequest(fmt.Sprintf("option %q: want a user id", spec.name))
			}
			r := bot.Recipient{Platform: bot.PlatformDiscord, ID: id}
			if name := d.displayName(id); name != "" {
				if names == nil {
					names = map[string]string{}
				}
				names[r.String()] = name
			}
			words = append(words, "@"+r.String())
			continue
		}
		v, err := stringValue(o)
		if err != nil {
			return "", nil, badRequest(fmt.Sprintf("option %q: want a string", spec.name))
		}
		v = strings.TrimSpace(v)
		switch spec.kind {
		case optText:
			v = strings.Join(strings.Fields(rawMention.ReplaceAllString(v, "@discord:$1")), " ")
		case optChoice:
			if !slices.Contains(spec.choices, v) {
				return "", nil, usageError(fmt.Sprintf("%s: choose %s.", spec.name, strings.Join(spec.choices, ", ")))
			}
		default:
			if strings.ContainsFunc(v, isSpace) {
				return "", nil, usageError(fmt.Sprintf("%s must be one word, e.g. /badge %s %s.", spec.name, s.words, example(spec)))
			}
		}
		if v == "" {
			if spec.required {
				return "", nil, usageError(fmt.Sprintf("%s is empty: type /badge %s %s.", spec.name, s.words, example(spec)))
			}
			continue
		}
		words = append(words, v)
	}
	return strings.Join(words, " "), names, nil
}

func example(o optSpec) string {
	switch o.name {
	case "badge":
		return "first-pr"
	case "login":
		return "octocat"
	case "email":
		return "ada@example.org"
	}
	return o.name
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0' }

func findOption(opts []option, name string) (option, bool) {
	for _, o := range opts {
		if o.Name == name {
			return o, true
		}
	}
	return option{}, false
}

func stringValue(o option) (string, error) {
	var s string
	err := json.Unmarshal(o.Value, &s)
	return s, err
}

// displayName is the name Discord shows for a resolved user: the server
// nickname, else the global display name, else the user name.
func (d commandData) displayName(id string) string {
	if m, ok := d.Resolved.Members[id]; ok && m.Nick != "" {
		return m.Nick
	}
	if u, ok := d.Resolved.Users[id]; ok {
		return u.name()
	}
	return ""
}
