package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
	"github.com/badgebot/badgebot/integrations/bugzilla"
	"github.com/badgebot/badgebot/integrations/discord"
	"github.com/badgebot/badgebot/integrations/github"
	"github.com/badgebot/badgebot/integrations/slack"
	"github.com/badgebot/badgebot/issuer"
	"github.com/badgebot/badgebot/storage"
)

// checkTimeout bounds each of doctor's checks that goes over the network.
const checkTimeout = 15 * time.Second

// Outcomes of one check.
const (
	checkOK   = "ok"
	checkFail = "FAIL"
	checkOff  = "off"
)

// checkLine is the outcome of one check: ok, FAIL with what to do, or off
// (that part is not configured).
type checkLine struct {
	Name, Status, Detail string
}

func (l checkLine) String() string { return fmt.Sprintf("%-4s  %-10s %s", l.Status, l.Name, l.Detail) }

// doctor runs the checks of `badgebot doctor` and of serve's start.
type doctor struct {
	cfg  config.Config
	http *http.Client
	// keys are the signing keys when the caller has them open (serve);
	// nil: doctor opens the key directory itself.
	keys *issuer.KeyRing
}

func runDoctor(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("doctor", false)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			for _, p := range ce.Problems {
				c.printf("%s\n", checkLine{"config", checkFail, p})
			}
		} else {
			c.printf("%s\n", checkLine{"config", checkFail, oneLine(err)})
		}
		return silentError{err}
	}
	c.printf("%s\n", checkLine{"config", checkOK, cfg.Source() + " is valid"})
	d := &doctor{cfg: cfg, http: &http.Client{Timeout: checkTimeout}}
	failed := false
	for _, l := range d.run(ctx, true) {
		c.printf("%s\n", l)
		failed = failed || l.Status == checkFail
	}
	if failed {
		return silentError{errors.New("doctor: some checks failed")}
	}
	return nil
}

// logChecks runs the checks once, in the background of serve, and logs
// each line: a failure as a warning.
func (a *App) logChecks(ctx context.Context) {
	d := &doctor{cfg: a.Config, http: &http.Client{Timeout: checkTimeout}, keys: a.Keys}
	for _, l := range d.run(ctx, false) {
		level := slog.LevelInfo
		if l.Status == checkFail {
			level = slog.LevelWarn
		}
		a.Log.Log(ctx, level, "check", "name", l.Name, "status", l.Status, "detail", l.Detail)
	}
}

// run returns one line per check; withDB checks the database too (serve
// has already opened it).
func (d *doctor) run(ctx context.Context, withDB bool) []checkLine {
	var out []checkLine
	if withDB {
		out = append(out, d.database(ctx))
	}
	keys, line := d.keyRing(ctx)
	out = append(out, line)
	out = append(out, d.publicURL(ctx, keys))
	out = append(out, d.slack(ctx), d.discord(ctx))
	out = append(out, d.github(ctx)...)
	out = append(out, d.bugzilla(ctx))
	return out
}

// database applies pending migrations (as serve would) and checks that the
// database takes writes: on PostgreSQL a write of the readiness probe, on
// SQLite the file and its directory.
func (d *doctor) database(ctx context.Context) checkLine {
	if d.cfg.Storage.Driver == driverPostgres {
		return d.postgres(ctx)
	}
	path := d.cfg.Storage.Path
	applied, err := storage.Migrate(ctx, path)
	if err != nil {
		return checkLine{"database", checkFail, fmt.Sprintf("%s: %s (check the path and that this user may write it and its directory)", path, oneLine(err))}
	}
	// WAL mode writes beside the file: the directory must take new files.
	probe, err := os.CreateTemp(filepath.Dir(path), ".badgebot-doctor-*")
	if err != nil {
		return checkLine{"database", checkFail, fmt.Sprintf("%s: directory not writable: %v", path, errors.Unwrap(err))}
	}
	probe.Close()
	os.Remove(probe.Name())
	if f, err := os.OpenFile(path, os.O_RDWR, 0); err != nil {
		return checkLine{"database", checkFail, fmt.Sprintf("%s: not writable: %v", path, errors.Unwrap(err))}
	} else {
		f.Close()
	}
	detail := path + ": writable, migrations up to date"
	if len(applied) > 0 {
		detail = fmt.Sprintf("%s: writable; applied %d pending migration(s) now", path, len(applied))
	}
	return checkLine{"database", checkOK, detail}
}

// postgres is the database check on PostgreSQL. The URL is shown with its
// password masked.
func (d *doctor) postgres(ctx context.Context) checkLine {
	where := d.cfg.Storage.URL.String()
	applied, err := migrateStore(ctx, d.cfg.Storage)
	if err != nil {
		return checkLine{"database", checkFail, fmt.Sprintf("%s: %s (check storage.url, that the server answers and that this role may create tables)", where, oneLine(err))}
	}
	db, _, err := openStore(ctx, d.cfg.Storage, d.cfg.Server.PublicURL)
	if err != nil {
		return checkLine{"database", checkFail, fmt.Sprintf("%s: %s", where, oneLine(err))}
	}
	defer db.Close()
	if err := db.ProbeWrite(ctx); err != nil {
		return checkLine{"database", checkFail, fmt.Sprintf("%s: does not take writes: %s", where, oneLine(err))}
	}
	detail := where + ": takes writes, migrations up to date"
	if len(applied) > 0 {
		detail = fmt.Sprintf("%s: takes writes; applied %d pending migration(s) now", where, len(applied))
	}
	return checkLine{"database", checkOK, detail}
}

// keyRing opens the signing keys (creating the first ones, as serve would).
func (d *doctor) keyRing(ctx context.Context) (*issuer.KeyRing, checkLine) {
	keys := d.keys
	dir := d.cfg.KeyDir()
	if keys == nil {
		// As serve opens them: checked against the keys the awards were
		// signed with, made only for an instance without awards.
		db, _, err := openStore(ctx, d.cfg.Storage, d.cfg.Server.PublicURL)
		if err != nil {
			return nil, checkLine{"keys", checkFail, fmt.Sprintf("%s: database: %s", dir, oneLine(err))}
		}
		app := NewApp(d.cfg, slog.New(slog.DiscardHandler))
		app.DB = db
		dir = app.keysWhere()
		keys, err = app.openKeys(ctx)
		db.Close()
		if err != nil {
			return nil, checkLine{"keys", checkFail, fmt.Sprintf("%s: %s", dir, oneLine(err))}
		}
	}
	var ed, rsa int
	for _, k := range keys.Keys() {
		if k.Algorithm == issuer.KeyEd25519 {
			ed++
		} else {
			rsa++
		}
	}
	if ed == 0 || rsa == 0 {
		return keys, checkLine{"keys", checkFail, fmt.Sprintf("%s: %d Ed25519 and %d RSA keys; run `badgebot keys rotate`", dir, ed, rsa)}
	}
	return keys, checkLine{"keys", checkOK, fmt.Sprintf("%s: %d Ed25519 and %d RSA keys", dir, ed, rsa)}
}

// publicURL fetches /issuer through server.public_url and checks that it
// is this instance: the issuer id and every Ed25519 key.
func (d *doctor) publicURL(ctx context.Context, keys *issuer.KeyRing) checkLine {
	want := d.cfg.Server.PublicURL + "/issuer"
	fail := func(format string, args ...any) checkLine {
		return checkLine{"public URL", checkFail, fmt.Sprintf(format, args...)}
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, want, nil)
	if err != nil {
		return fail("%s: %v", want, err)
	}
	req.Header.Set("Accept", "application/ld+json")
	resp, err := d.http.Do(req)
	if err != nil {
		return fail("%s is not reachable (%v): is `badgebot serve` running, and does server.public_url lead to it?", want, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fail("GET %s answered %s: server.public_url does not lead to badgebot", want, resp.Status)
	}
	var doc struct {
		ID                 string `json:"id"`
		VerificationMethod []struct {
			PublicKeyMultibase string `json:"publicKeyMultibase"`
		} `json:"verificationMethod"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return fail("GET %s is not an issuer profile (%v): server.public_url leads to something else", want, err)
	}
	if doc.ID != want {
		return fail("%s serves the issuer %q: another instance, or server.public_url differs from the running server's", want, doc.ID)
	}
	if keys != nil {
		var published []string
		for _, vm := range doc.VerificationMethod {
			published = append(published, vm.PublicKeyMultibase)
		}
		for _, k := range keys.Keys() {
			if k.Algorithm == issuer.KeyEd25519 && !slices.Contains(published, k.ID) {
				return fail("%s does not publish key %s: the server there uses other keys (restart it, or check issuer.key_dir)", want, k.ID)
			}
		}
	}
	return checkLine{"public URL", checkOK, want + " serves this instance and its keys"}
}

func (d *doctor) slack(ctx context.Context) checkLine {
	s := d.cfg.Slack
	if !s.Enabled && s.BotToken == "" {
		return checkLine{"slack", checkOff, "slack.enabled is false"}
	}
	id, err := slack.CheckToken(ctx, s.BotToken.Reveal(), s.APIURL.Reveal())
	if err != nil {
		return checkLine{"slack", checkFail, oneLine(err) + ": set slack.bot_token to the app's Bot User OAuth Token (xoxb-)"}
	}
	if len(id.Missing) > 0 {
		return checkLine{"slack", checkFail, fmt.Sprintf("bot %s in %s lacks scopes %s: add them under OAuth & Permissions (or recreate the app from `badgebot setup slack`) and reinstall", id.User, id.Team, strings.Join(id.Missing, ", "))}
	}
	l := checkLine{"slack", checkOK, fmt.Sprintf("bot %s in %s, scopes %s", id.User, id.Team, strings.Join(id.Scopes, ", "))}
	if !s.Enabled {
		l.Detail += " (slack.enabled is false)"
	}
	return l
}

func (d *doctor) discord(ctx context.Context) checkLine {
	c := d.cfg.Discord
	if !c.Enabled && c.BotToken == "" {
		return checkLine{"discord", checkOff, "discord.enabled is false"}
	}
	admin, err := discord.NewAdmin(discord.Config{BotToken: c.BotToken.Reveal(), ApplicationID: c.ApplicationID, APIURL: c.APIURL.Reveal()})
	if err != nil {
		return checkLine{"discord", checkFail, oneLine(err)}
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	app, err := admin.Application(ctx)
	if err != nil {
		return checkLine{"discord", checkFail, oneLine(err) + ": check discord.bot_token and discord.application_id"}
	}
	endpoint := d.cfg.Server.PublicURL + "/discord/interactions"
	if !c.Gateway && app.InteractionsURL != endpoint {
		return checkLine{"discord", checkFail, fmt.Sprintf("application %s (%s): its Interactions Endpoint URL is %q, want %s (Developer Portal, General Information)", app.Name, app.ID, app.InteractionsURL, endpoint)}
	}
	return checkLine{"discord", checkOK, fmt.Sprintf("application %s (%s)", app.Name, app.ID)}
}

func (d *doctor) github(ctx context.Context) []checkLine {
	g := d.cfg.GitHub
	if g.Token == "" {
		detail := "github.token is not set: no backfill, no bio proofs, no webhook check"
		return []checkLine{{"github", checkOff, detail}}
	}
	client, err := github.NewClient(g.Token.Reveal(), g.APIURL.Reveal(), &http.Client{Timeout: checkTimeout})
	if err != nil {
		return []checkLine{{"github", checkFail, oneLine(err)}}
	}
	login, scopes, err := client.Viewer(ctx)
	if err != nil {
		return []checkLine{{"github", checkFail, oneLine(err) + ": set github.token to a valid token"}}
	}
	detail := "token of " + login
	if scopes != "" {
		detail += ", scopes " + scopes
	}
	out := []checkLine{{"github", checkOK, detail}}
	url := d.cfg.Server.PublicURL + "/webhooks/github"
	var repos []string
	for _, r := range g.Repositories {
		owner, name, _ := strings.Cut(r, "/")
		if name != "*" {
			repos = append(repos, r)
			continue
		}
		all, err := client.Repositories(ctx, owner)
		if err != nil {
			out = append(out, checkLine{"github", checkFail, fmt.Sprintf("%s: %s", r, oneLine(err))})
		}
		repos = append(repos, all...)
	}
	for _, r := range repos {
		h, err := client.FindHook(ctx, r, url)
		switch {
		case err != nil:
			out = append(out, checkLine{"webhook", checkFail, fmt.Sprintf("%s: %s", r, oneLine(err))})
		case h == nil:
			out = append(out, checkLine{"webhook", checkFail, fmt.Sprintf("%s has no webhook to %s: run `badgebot setup github --repo %s`", r, url, r)})
		case !h.Active || !h.JSON || !slices.Equal(h.Events, github.HookEvents):
			out = append(out, checkLine{"webhook", checkFail, fmt.Sprintf("%s: the webhook to %s is inactive or lacks events or JSON: run `badgebot setup github --repo %s`", r, url, r)})
		default:
			out = append(out, checkLine{"webhook", checkOK, fmt.Sprintf("%s delivers %s to %s", r, strings.Join(h.Events, ", "), url)})
		}
	}
	return out
}

func (d *doctor) bugzilla(ctx context.Context) checkLine {
	b := d.cfg.Bugzilla
	switch {
	case b.URL == "":
		return checkLine{"bugzilla", checkOff, "bugzilla.url is not set"}
	case b.APIKey == "":
		return checkLine{"bugzilla", checkOff, b.URL.String() + ": bugzilla.api_key is not set (anonymous reads: no private bugs)"}
	}
	client, err := bugzilla.NewClient(b.URL.Reveal(), b.APIKey.Reveal(), &http.Client{Timeout: checkTimeout})
	if err != nil {
		return checkLine{"bugzilla", checkFail, oneLine(err)}
	}
	who, err := client.WhoAmI(ctx)
	if err != nil {
		return checkLine{"bugzilla", checkFail, oneLine(err) + ": set bugzilla.api_key to a valid API key"}
	}
	return checkLine{"bugzilla", checkOK, fmt.Sprintf("%s: API key of %s", b.URL, who)}
}
