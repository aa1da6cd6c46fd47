package config

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/mail"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // digest.timezone must load on machines without zoneinfo

	"github.com/badgebot/badgebot/bot"
)

// Validate checks every key and returns all problems at once as a
// *Error, one line each, naming the key and where its value came from
// (file line or environment variable) when Load recorded it.
// checkCron parses a cron spec: main passes jobs.ParseSchedule, the
// scheduler's own parser (robfig/cron belongs to bot/jobs). When it is nil, cron
// specs are only checked to be set.
// No message contains a secret.
func (c *Config) Validate(checkCron func(spec string) error) error {
	v := &cfgCheck{c: c, checkCron: checkCron}
	v.general()
	v.server()
	v.issuer()
	v.chat()
	v.sources()
	v.schedules() // and nominations
	v.programs()
	v.badges()
	v.rules()
	if len(v.problems) == 0 {
		return nil
	}
	// File order reads best; problems without a line (from the
	// environment, or defaults) come first.
	sort.SliceStable(v.problems, func(i, j int) bool { return v.problems[i].line < v.problems[j].line })
	e := &Error{}
	for _, p := range v.problems {
		e.Problems = append(e.Problems, p.msg)
	}
	return e
}

// cfgCheck collects the problems of one Validate call.
type cfgCheck struct {
	c         *Config
	checkCron func(string) error
	problems  []cfgProblem
}

type cfgProblem struct {
	line int // file line, 0 if none
	msg  string
}

// add records a problem with key, prefixed by where the key's value came
// from; for "badges[1].owners[0]" the nearest recorded key above it counts
// (a key the file leaves out points at its table).
func (v *cfgCheck) add(key, format string, args ...any) {
	p := cfgProblem{msg: key + ": " + fmt.Sprintf(format, args...)}
	for k := key; k != ""; k = cfgParentKey(k) {
		if origin, ok := v.c.origins[k]; ok {
			p = cfgProblem{line: origin.line, msg: origin.String() + ": " + p.msg}
			break
		}
	}
	v.problems = append(v.problems, p)
}

// cfgParentKey strips the last ".name" or "[i]" of a key path.
func cfgParentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i < 0 {
		return ""
	}
	return key[:i]
}

func (v *cfgCheck) required(key, value string) bool {
	if strings.TrimSpace(value) == "" {
		v.add(key, "is required")
		return false
	}
	return true
}

func (v *cfgCheck) general() {
	var level slog.Level
	if err := level.UnmarshalText([]byte(v.c.LogLevel)); err != nil {
		v.add("log_level", "%q is not debug, info, warn or error", v.c.LogLevel)
	}
	for i, a := range v.c.Admins {
		v.recipient(fmt.Sprintf("admins[%d]", i), a)
	}
}

func (v *cfgCheck) server() {
	s := v.c.Server
	if _, port, err := net.SplitHostPort(s.Listen); err != nil {
		v.add("server.listen", "%q is not host:port, e.g. 127.0.0.1:8080 or :8080", s.Listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.add("server.listen", "port %q is not a number from 0 to 65535", port)
	}
	if u, ok := v.httpURL("server.public_url", s.PublicURL, true); ok {
		switch {
		case strings.HasSuffix(u.Path, "/"):
			v.add("server.public_url", "must not end in /")
		case u.RawQuery != "" || u.Fragment != "":
			v.add("server.public_url", "must have no query or fragment")
		}
	}
	// A token is a password anyone may try from the network: short ones
	// are guessed. Lengths only, never the value, in the message.
	for _, tok := range []struct{ key, value string }{
		{"server.admin_token", s.AdminToken.Reveal()}, {"server.metrics_token", s.MetricsToken.Reveal()},
	} {
		if tok.value != "" && len(tok.value) < MinTokenBytes {
			v.add(tok.key, "is %d bytes long: want at least %d (e.g. `openssl rand -hex 32`), or empty to turn it off", len(tok.value), MinTokenBytes)
		}
	}
	v.duration("server.read_timeout", s.ReadTimeout)
	v.duration("server.write_timeout", s.WriteTimeout)
	v.duration("server.shutdown_timeout", s.ShutdownTimeout)
}

func (v *cfgCheck) issuer() {
	switch st := v.c.Storage; st.Driver {
	case "sqlite":
		v.required("storage.path", st.Path)
	case "postgres":
		v.required("storage.url", st.URL.Reveal())
	default:
		v.add("storage.driver", "%q: choose sqlite or postgres", st.Driver)
	}
	is := v.c.Issuer
	v.required("issuer.name", is.Name)
	v.httpURL("issuer.url", is.URL, true)
	if is.Email != "" {
		if a, err := mail.ParseAddress(is.Email); err != nil || a.Address != is.Email {
			v.add("issuer.email", "%q is not an e-mail address", is.Email)
		}
	}
}

func (v *cfgCheck) chat() {
	sl := v.c.Slack
	if sl.Enabled {
		v.required("slack.bot_token", sl.BotToken.Reveal())
		v.required("slack.signing_secret", sl.SigningSecret.Reveal())
	}
	v.httpURL("slack.api_url", sl.APIURL.Reveal(), false)
	for i, id := range sl.TeamIDs {
		if !slackTeamID.MatchString(id) {
			v.add(fmt.Sprintf("slack.team_ids[%d]", i), "%q is not a Slack workspace id (T… or, for an Enterprise Grid organisation, E…)", id)
		}
	}

	d := v.c.Discord
	if d.Enabled {
		v.required("discord.bot_token", d.BotToken.Reveal())
		v.required("discord.application_id", d.ApplicationID)
		v.required("discord.public_key", d.PublicKey)
	}
	if d.ApplicationID != "" && strings.Trim(d.ApplicationID, "0123456789") != "" {
		v.add("discord.application_id", "%q is not a Discord id (digits only)", d.ApplicationID)
	}
	if b, err := hex.DecodeString(d.PublicKey); d.PublicKey != "" && (err != nil || len(b) != 32) {
		v.add("discord.public_key", "want the 64 hex digits of an Ed25519 key, got %d characters", len(d.PublicKey))
	}
	v.httpURL("discord.api_url", d.APIURL.Reveal(), false)
	for i, id := range d.GuildIDs {
		if id == "" || strings.Trim(id, "0123456789") != "" {
			v.add(fmt.Sprintf("discord.guild_ids[%d]", i), "%q is not a Discord server id (digits only)", id)
		}
	}
}

// slackTeamID is what a Slack workspace or organisation id looks like.
var slackTeamID = regexp.MustCompile(`^[TE][A-Z0-9]{2,30}$`)

func (v *cfgCheck) sources() {
	g := v.c.GitHub
	v.httpURL("github.api_url", g.APIURL.Reveal(), false)
	for i, r := range g.Repositories {
		key := fmt.Sprintf("github.repositories[%d]", i)
		owner, name, ok := strings.Cut(r, "/")
		if _, err := path.Match(r, ""); err != nil || !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			v.add(key, "%q is not owner/repo or owner/*", r)
		}
	}

	b := v.c.Bugzilla
	v.httpURL("bugzilla.url", b.URL.Reveal(), false)
	if !cfgValidHeaderName(b.SecretHeader) {
		v.add("bugzilla.secret_header", "%q is not an HTTP header name", b.SecretHeader)
	}
}

func (v *cfgCheck) schedules() {
	for _, s := range []struct{ key, spec string }{
		{"digest.schedule", v.c.Digest.Schedule},
		{"schedule.sweep", v.c.Schedule.Sweep},
		{"schedule.backfill", v.c.Schedule.Backfill},
		{"schedule.expiry", v.c.Schedule.Expiry},
	} {
		if !v.required(s.key, s.spec) || v.checkCron == nil {
			continue
		}
		if err := v.checkCron(s.spec); err != nil {
			msg := err.Error()
			if !strings.Contains(msg, s.spec) {
				msg = fmt.Sprintf("bad cron spec %q: %s", s.spec, msg)
			}
			v.add(s.key, "%s", msg)
		}
	}
	if _, err := time.LoadLocation(v.c.Digest.Timezone); err != nil {
		v.add("digest.timezone", "unknown time zone %q (want an IANA name such as UTC or Europe/Berlin)", v.c.Digest.Timezone)
	}
	if v.c.Nominations.WeeklyCap < 0 {
		v.add("nominations.weekly_cap", "must be 0 (no cap) or more, not %d", v.c.Nominations.WeeklyCap)
	}
	v.duration("nominations.expiry", v.c.Nominations.Expiry)
	v.duration("privacy.delivery_retention", v.c.Privacy.DeliveryRetention)
	if v.c.Schedule.RuleSilence != "" {
		v.duration("schedule.rule_silence", v.c.Schedule.RuleSilence)
	}
}

// slug checks the slug of table[i]: a valid slug, not one of an earlier
// entry of the table (seen maps the slugs checked so far to their index).
func (v *cfgCheck) slug(table string, i int, slug string, seen map[string]int) {
	key := fmt.Sprintf("%s[%d].slug", table, i)
	if !bot.ValidSlug(slug) {
		v.add(key, "%q is not a slug: use 1-63 lower-case letters, digits and dashes", slug)
	} else if j, dup := seen[slug]; dup {
		v.add(key, "%q is already the slug of %s[%d]", slug, table, j)
	} else {
		seen[slug] = i
	}
}

func (v *cfgCheck) programs() {
	seen := map[string]int{}
	for i, p := range v.c.Programs {
		key := fmt.Sprintf("programs[%d]", i)
		v.slug("programs", i, p.Slug, seen)
		v.required(key+".name", p.Name)
		v.httpURL(key+".url", p.URL, false)
		if p.Email != "" {
			if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
				v.add(key+".email", "%q is not an e-mail address", p.Email)
			}
		}
		if p.Color != "" && !cfgColor.MatchString(p.Color) {
			v.add(key+".color", "%q is not a colour: write #rrggbb or #rgb, e.g. #0b6e4f", p.Color)
		}
		if p.Image != "" {
			if _, _, err := ReadLogo(p.Image); err != nil {
				v.add(key+".image", "%s", bot.ErrorMessage(err))
			}
		}
		for j, o := range p.Owners {
			v.recipient(fmt.Sprintf("%s.owners[%d]", key, j), o)
		}
	}
}

// cfgColor is a colour a program may have: CSS hex notation, nothing else
// (the value goes into style sheets and artwork).
var cfgColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

func (v *cfgCheck) badges() {
	programs := map[string]ProgramConfig{}
	for _, p := range v.c.Programs {
		programs[p.Slug] = p
	}
	seen := map[string]int{}
	for i, b := range v.c.Badges {
		key := fmt.Sprintf("badges[%d]", i)
		v.slug("badges", i, b.Slug, seen)
		v.required(key+".name", b.Name)
		v.required(key+".description", b.Description)
		v.required(key+".criteria", b.Criteria)
		if ext := strings.ToLower(filepath.Ext(b.Image)); b.Image != "" && ext != ".png" && ext != ".svg" {
			v.add(key+".image", "%q is not a .png or .svg file", b.Image)
		}
		approvers := map[string]bool{}
		for _, a := range v.c.Admins {
			approvers[a] = true
		}
		if b.Program != "" {
			p, ok := programs[b.Program]
			if !ok {
				v.add(key+".program", "no program %q in [[programs]]", b.Program)
			}
			for _, o := range p.Owners {
				approvers[o] = true
			}
		}
		for j, o := range b.Owners {
			v.recipient(fmt.Sprintf("%s.owners[%d]", key, j), o)
			approvers[o] = true
		}
		switch {
		case b.Approvals < 1:
			v.add(key+".approvals", "must be at least 1, not %d", b.Approvals)
		case b.Nominations && len(approvers) > 0 && b.Approvals > len(approvers):
			v.add(key+".approvals", "%d approvals needed but only %d owners and admins may approve", b.Approvals, len(approvers))
		}
	}
}

func (v *cfgCheck) rules() {
	badges := map[string]bool{}
	for _, b := range v.c.Badges {
		badges[b.Slug] = true
	}
	seen := map[string]int{}
	for i, r := range v.c.Rules {
		key := fmt.Sprintf("rules[%d]", i)
		if v.required(key+".name", r.Name) {
			if j, dup := seen[r.Name]; dup {
				v.add(key+".name", "%q is already the name of rules[%d]", r.Name, j)
			} else {
				seen[r.Name] = i
			}
		}
		if v.required(key+".badge", r.Badge) && !badges[r.Badge] {
			v.add(key+".badge", "no badge %q in [[badges]]", r.Badge)
		}
		if !slices.Contains(bot.EventKinds, r.Event) {
			v.add(key+".event", "%q is not one of %s", r.Event, strings.Join(bot.EventKinds, ", "))
		}
		if r.Threshold < 1 {
			v.add(key+".threshold", "must be at least 1, not %d", r.Threshold)
		}
		for j, pat := range r.Repositories {
			if _, err := path.Match(pat, ""); err != nil || pat == "" {
				v.add(fmt.Sprintf("%s.repositories[%d]", key, j), "%q is not a valid pattern", pat)
			}
		}
		github, bugzilla := strings.HasPrefix(r.Event, "github."), strings.HasPrefix(r.Event, "bugzilla.")
		if len(r.Repositories) > 0 && !github {
			v.add(key+".repositories", "only GitHub events have repositories, not %q", r.Event)
		}
		if len(r.Products) > 0 && !bugzilla {
			v.add(key+".products", "only Bugzilla events have products, not %q", r.Event)
		}
		if len(r.Components) > 0 && !bugzilla {
			v.add(key+".components", "only Bugzilla events have components, not %q", r.Event)
		}
		if r.Window != "" {
			v.duration(key+".window", r.Window)
		}
	}
}

// MinTokenBytes is the shortest server.admin_token or metrics_token
// accepted.
const MinTokenBytes = 32

// recipient checks a PLATFORM:ID of a person configured by hand.
func (v *cfgCheck) recipient(key, s string) {
	r, err := bot.ParseRecipient(s)
	switch {
	case err != nil:
		v.add(key, "%s", bot.ErrorMessage(err))
	case r.Platform == bot.PlatformConsole:
		v.add(key, "%q: want email, github, slack, discord or bugzilla, not console", s)
	}
}

// duration checks a ParseWindow duration.
func (v *cfgCheck) duration(key, s string) {
	if _, err := ParseWindow(s); err != nil {
		v.add(key, "%v", err)
	}
}

// httpURL checks an absolute http(s) URL; an empty one is fine unless
// required. Messages show the URL without its password.
func (v *cfgCheck) httpURL(key, s string, required bool) (*url.URL, bool) {
	if s == "" {
		if required {
			v.add(key, "is required")
		}
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil {
		v.add(key, "is not a URL")
		return nil, false
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add(key, "%q is not an absolute http:// or https:// URL", u.Redacted())
		return nil, false
	}
	if u.User != nil {
		v.add(key, "%q must not carry a user name or password", u.Redacted())
		return nil, false
	}
	return u, true
}

// cfgValidHeaderName reports whether s is an HTTP field name (an RFC 9110
// token).
func cfgValidHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		ok := r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("!#$%&'*+-.^_`|~", r))
		if !ok {
			return false
		}
	}
	return true
}

// ParseWindow parses a positive duration written as Go writes durations
// ("12h", "90m", "1h30m") or in whole days and weeks ("30d", "2w",
// "1w2d12h"). There is no year unit: write "365d".
func ParseWindow(s string) (time.Duration, error) {
	bad := fmt.Errorf("duration %q: want a positive duration such as 30d, 2w, 12h or 1d12h", s)
	rest := s
	var total time.Duration
	for _, unit := range []struct {
		suffix byte
		size   time.Duration
	}{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}} {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || rest[i] != unit.suffix {
			continue
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n > int64(math.MaxInt64/unit.size) || total+time.Duration(n)*unit.size < total {
			return 0, bad
		}
		total += time.Duration(n) * unit.size
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 || total+d < total {
			return 0, bad
		}
		total += d
	}
	if total <= 0 {
		return 0, bad
	}
	return total, nil
}
