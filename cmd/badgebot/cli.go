package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/badgebot/badgebot/bot"
)

// Env is what a command may touch of the outside world; tests pass buffers.
type Env struct {
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Environ []string
}

// Exit codes (DESIGN §2).
const (
	exitOK    = 0
	exitError = 1 // a user error, one line on stderr
	exitUsage = 2 // bad usage
)

// usageError is a mistake in how a command was called. see is the help
// to point to ("badgebot help" when empty).
type usageError struct{ msg, see string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{msg: fmt.Sprintf(format, args...)} }

// command is one subcommand of badgebot.
type command struct {
	name  string // "badge create"
	usage string // arguments, for help
	help  string
	run   func(ctx context.Context, c *cli, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "", "run the HTTP server, chat adapters and scheduler", runServe},
		{"chat", "[--as PLATFORM:ID] [--name NAME]", "chat with badgebot in this terminal", runChatCommand},
		{"badge create", "--slug S --name N --description D --criteria C [--image FILE] [--owner ID]... [--program P]", "define a badge", runBadgeCreate},
		{"badge list", "[--json]", "list badges", runBadgeList},
		{"badge show", "SLUG [--json]", "show one badge", runBadgeShow},
		{"award", "--badge S --to RECIPIENT [--evidence URL] [--narrative TEXT] [--json]", "award a badge by hand", runAward},
		{"awards list", "[--badge S] [--to RECIPIENT] [--json]", "list awards", runAwardsList},
		{"revoke", "AWARD_ID --reason TEXT", "revoke an award", runRevoke},
		{"audit", "[--since DATE|DURATION] [--json]", "who awarded, approved, rejected, revoked and linked what, when, from where", runAudit},
		{"verify", "FILE_OR_URL [--offline] [--recipient ID] [--json]", "verify a baked image, credential, VC-JWT or hosted URL; VALID only when every check was made (--offline accepts checks that need the network)", runVerify},
		{"rules run", "[--dry-run] [--rule NAME] [--json]", "run a criteria sweep now; a dry run lists who would be awarded", runRulesRun},
		{"digest", "[--dry-run] [--force]", "post this period's digest now (once per period unless --force)", runDigest},
		{"schedule list", "", "list the scheduled jobs and their next runs", runScheduleList},
		{"schedule run", "JOB", "run one scheduled job now: sweep, backfill, expiry or digest", runScheduleRun},
		{"link", "RECIPIENT RECIPIENT", "join two identities into one person", runLink},
		{"keys list", "[--json]", "list the signing keys", runKeysList},
		{"keys rotate", "[--json]", "make new signing keys; old ones stay published", runKeysRotate},
		{"backup", "FILE.tar.gz", "write an online, consistent copy of the database and the signing keys (-h: how to restore)", runBackup},
		{"migrate", "[--from sqlite:PATH]", "apply database migrations and exit; --from copies a SQLite database into the configured PostgreSQL one", runMigrate},
		{"init", "[--public-url URL] [--slack] [--discord] [--github REPO]...", "write a badgebot.toml with fresh secrets; never overwrites", runInit},
		{"setup slack", "", "print the Slack app manifest (JSON) to paste at app creation", runSetupSlack},
		{"setup discord", "", "register /badge; print the interactions URL and the invite link", runSetupDiscord},
		{"doctor", "", "check every configured connection and file, one line each; exit 1 if any fails", runDoctor},
		{"import", "FORMAT FILE [--dry-run] [--map TYPE=SLUG]...", "import past awards: all-contributors (.all-contributorsrc) or csv (badge,recipient,date,evidence,narrative)", runImport},
		{"setup github", "--repo OWNER/NAME...", "create or update the repository webhook", runSetupGitHub},
	}
}

// cli holds what every command shares: flags, config and output.
type cli struct {
	env        *Env
	configPath string
	json       bool
	log        *slog.Logger
	logLevel   *slog.LevelVar // log_level from the config
	helpFlags  *flag.FlagSet  // the flag set made last, for printUsage
}

// newLogger is every command's logger: text to w, and never an e-mail
// address (DESIGN §5), whatever a log line is handed.
func newLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(bot.NewRedactingHandler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})))
}

// run executes one badgebot invocation and returns its exit status.
func run(ctx context.Context, args []string, env *Env) int {
	c := &cli{env: env, configPath: "badgebot.toml", logLevel: new(slog.LevelVar)}
	c.log = newLogger(env.Stderr, c.logLevel)
	err := c.dispatch(ctx, args)
	var ue usageError
	var silent silentError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &silent):
		return exitError
	case errors.As(err, &ue):
		see := cmp.Or(ue.see, "badgebot help")
		fmt.Fprintf(env.Stderr, "badgebot: %s\nRun '%s' for usage.\n", ue.msg, see)
		return exitUsage
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	default:
		fmt.Fprintf(env.Stderr, "badgebot: %s\n", oneLine(err))
		return exitError
	}
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	global := flag.NewFlagSet("badgebot", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	global.StringVar(&c.configPath, "config", c.configPath, "config file")
	if err := global.Parse(args); errors.Is(err, flag.ErrHelp) {
		c.printHelp()
		return nil
	} else if err != nil {
		return usagef("%v", err)
	}
	args = global.Args()
	if len(args) == 0 {
		c.printHelp()
		return nil
	}
	if args[0] == "help" {
		if len(args) == 1 {
			c.printHelp()
			return nil
		}
		cmd, rest := findCommand(args[1:])
		switch {
		case cmd != nil && len(rest) == 0:
			c.printUsage(ctx, cmd)
			return nil
		case cmd != nil:
			return usageError{fmt.Sprintf("help: unexpected %q after %q", rest[0], cmd.name), "badgebot help " + cmd.name}
		case len(args) == 2 && group(args[1]) != nil:
			c.printGroup(args[1])
			return nil
		}
		err := unknownCommand(args[1:])
		err.msg = "help: " + err.msg
		return err
	}
	cmd, rest := findCommand(args)
	if cmd == nil {
		// A group asked for help before naming one of its commands.
		if len(args) > 1 && group(args[0]) != nil && strings.HasPrefix(args[1], "-") && wantsHelp(args[1:]) {
			c.printGroup(args[0])
			return nil
		}
		return unknownCommand(args)
	}
	if wantsHelp(rest) {
		c.printUsage(ctx, cmd)
		return nil
	}
	err := cmd.run(ctx, c, rest)
	// A usage error, wrapped or not, points to this command's usage (run
	// prints the usage error's own message either way).
	if ue := (usageError{}); errors.As(err, &ue) && ue.see == "" {
		ue.see = "badgebot help " + cmd.name
		return ue
	}
	return err
}

// findCommand returns the command args name and the arguments after its
// name; nil when there is none.
func findCommand(args []string) (*command, []string) {
	cmds := commands()
	// Longest match first: "badge create" before a one-word command.
	sort.Slice(cmds, func(i, j int) bool { return len(cmds[i].name) > len(cmds[j].name) })
	for _, cmd := range cmds {
		words := strings.Fields(cmd.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == cmd.name {
			return &cmd, args[len(words):]
		}
	}
	return nil, nil
}

// group returns the commands named word and one more word ("badge
// create", "badge list", "badge show" for "badge"); nil when there are
// none.
func group(word string) []command {
	var cmds []command
	for _, cmd := range commands() {
		if strings.HasPrefix(cmd.name, word+" ") {
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

// unknownCommand is the usage error for args that name no command: a
// group without one of its commands, or with one it does not have, points
// to the group's help; an unknown word is quoted alone, with the command
// it is a slip of the keyboard for, if one is that close.
func unknownCommand(args []string) usageError {
	if cmds := group(args[0]); cmds != nil {
		var names []string
		for _, cmd := range cmds {
			names = append(names, strings.TrimPrefix(cmd.name, args[0]+" "))
		}
		see := "badgebot help " + args[0]
		if len(args) == 1 || strings.HasPrefix(args[1], "-") {
			return usageError{fmt.Sprintf("%s needs a command: %s", args[0], orList(names)), see}
		}
		msg := fmt.Sprintf("unknown command %q", args[0]+" "+args[1])
		if near := nearest(args[1], names); near != "" {
			msg += fmt.Sprintf("; did you mean %q?", args[0]+" "+near)
		}
		return usageError{msg, see}
	}
	var words []string
	for _, cmd := range commands() {
		if w, _, _ := strings.Cut(cmd.name, " "); !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if near := nearest(args[0], append(words, "help")); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	return usageError{msg: msg}
}

// nearest is bot.Nearest for a command word; a flag is no command.
func nearest(w string, words []string) string {
	if strings.HasPrefix(w, "-") {
		return ""
	}
	return bot.Nearest(w, words)
}

// wantsHelp reports whether a command's arguments ask for its usage.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// printUsage prints one command's usage and flags. The flags are those
// the command declares: it is run with -h, which its flag set answers
// before the command does anything.
func (c *cli) printUsage(ctx context.Context, cmd *command) {
	w := c.env.Stdout
	if h, ok := commandHelp[cmd.name]; ok {
		fmt.Fprint(w, h)
		return
	}
	fmt.Fprintf(w, "Usage: badgebot [--config FILE] %s %s\n\n%s.\n", cmd.name, cmd.usage, upperFirst(cmd.help))
	c.helpFlags = nil
	if err := cmd.run(ctx, c, []string{"-h"}); errors.Is(err, flag.ErrHelp) && c.helpFlags != nil {
		fmt.Fprintln(w, "\nFlags:")
		c.helpFlags.SetOutput(w)
		c.helpFlags.PrintDefaults()
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// commandHelp is the longer help of the commands that have one, for
// COMMAND -h.
var commandHelp = map[string]string{
	"backup": backupHelp,
}

func (c *cli) printHelp() {
	w := c.env.Stdout
	fmt.Fprintln(w, "Usage: badgebot [--config FILE] COMMAND [ARGS]")
	fmt.Fprintln(w, "\nCommands:")
	listCommands(w, commands())
	fmt.Fprintln(w, "\nRun 'badgebot help COMMAND' (or 'badgebot COMMAND -h') for a command's flags.")
}

// printGroup prints the usage of a group of commands (badge, keys, ...).
func (c *cli) printGroup(word string) {
	w := c.env.Stdout
	fmt.Fprintf(w, "Usage: badgebot [--config FILE] %s COMMAND [ARGS]\n\nCommands:\n", word)
	listCommands(w, group(word))
	fmt.Fprintf(w, "\nRun 'badgebot help %s COMMAND' for a command's flags.\n", word)
}

func listCommands(w io.Writer, cmds []command) {
	for _, cmd := range cmds {
		line := strings.TrimRight(fmt.Sprintf("  %-13s %s", cmd.name, cmd.usage), " ")
		fmt.Fprintf(w, "%s\n      %s\n", line, cmd.help)
	}
}

// flags returns a flag set for a command that also accepts the global
// --config and, where asked, --json.
func (c *cli) flags(name string, withJSON bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.helpFlags = fs
	fs.StringVar(&c.configPath, "config", c.configPath, "config file")
	if withJSON {
		fs.BoolVar(&c.json, "json", false, "print JSON")
	}
	return fs
}

// parseNone parses the flags of a command that takes no positional
// arguments, refusing any.
func parseNone(fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args)
	if err == nil && len(pos) > 0 {
		err = usagef("%s: unexpected argument %q", fs.Name(), pos[0])
	}
	return err
}

// parse parses flags interleaved with positional arguments, so that
// `revoke ID --reason R` and `revoke --reason R ID` both work.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// printJSON writes v as indented JSON.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printf writes a line for a human.
func (c *cli) printf(format string, args ...any) {
	fmt.Fprintf(c.env.Stdout, format, args...)
}

// oneLine keeps a user error on one line.
func oneLine(err error) string {
	msg := bot.ErrorMessage(err)
	if bot.ErrorCode(err) == bot.EINTERNAL {
		msg = err.Error()
	}
	return strings.Join(strings.Fields(msg), " ")
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
