package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/chat"
	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
	"github.com/badgebot/badgebot/integrations/discord"
	"github.com/badgebot/badgebot/integrations/slack"
	"github.com/badgebot/badgebot/issuer"
)

// App is badgebot wired together from a filled Config. Open builds it, Run
// serves until the context ends, Close releases what Open took.
type App struct {
	Config config.Config
	Log    *slog.Logger
	DB     Store
	// reads is DB as the JSON API and the people pages see it (api.go).
	reads apiReads
	// Source is what the hosted Open Badges routes read.
	Source  issuer.Source
	Keys    *issuer.KeyRing
	Issuer  *issuer.Issuer
	Service *bot.Service
	// Ingestor makes webhook deliveries durable and processes them.
	Ingestor *bot.Ingestor
	// Rules is the rules engine; Linker the identity-proof flow.
	Rules  *bot.Rules
	Linker *bot.Linker
	// Router answers chat commands; Outbox posts the announcements queued
	// in the outbox.
	Router  *chat.Router
	Outbox  *bot.OutboxWorker
	Slack   *slack.Adapter   // nil unless slack.enabled
	Discord *discord.Adapter // nil unless discord.enabled
	// Nominations is the nomination flow, its messages the router's
	// (Router.Nominations); the expiry job calls it.
	Nominations *bot.Nominations
	// Scheduler runs the scheduled jobs (schedule.go) while Run serves.
	Scheduler *jobs.Scheduler

	// ConsoleChat is set by `badgebot chat`: nominations are reviewed in
	// the console too.
	ConsoleChat bool
	// Started is when the command began (badgebot serve), for the
	// start-up time Run logs once it serves.
	Started time.Time

	following   atomic.Bool // a replica that leaves scheduled jobs to another
	platforms   []bot.Platform
	jobs        jobSet // sweeper, backfill, digest…, built on first use
	deliverOnce sync.Once
	readiness   readiness // /readyz's cached verdict
	listener    net.Listener
	server      *http.Server

	jobMetrics *jobMetrics // set by routes; nil: jobs are not timed
}

// NewApp returns an App for cfg; nothing is opened yet.
func NewApp(cfg config.Config, log *slog.Logger) *App {
	return &App{Config: cfg, Log: log, readiness: readiness{ttl: readyTTL}}
}

// Open opens the database (migrating it), loads the signing keys (making
// them for a new instance, refusing to start without those awards were
// signed with) and syncs the badges defined in the config.
func (a *App) Open(ctx context.Context) error {
	db, src, err := openStore(ctx, a.Config.Storage, a.Config.Server.PublicURL)
	if err != nil {
		return err
	}
	a.DB, a.reads, a.Source = db, db, src
	if m := db.Migrated(); len(m) > 0 {
		a.Log.Info("database migrated", "database", a.Config.Storage.Name(), "applied", m)
	}
	keys, err := a.openKeys(ctx)
	if err != nil {
		return err
	}
	a.Keys = keys
	if err := a.checkAwardPrograms(ctx); err != nil {
		return err
	}
	is, err := issuer.New(issuer.Profile{
		BaseURL:     a.Config.Server.PublicURL,
		Name:        a.Config.Issuer.Name,
		URL:         a.Config.Issuer.URL,
		Email:       a.Config.Issuer.Email,
		Description: a.Config.Issuer.Description,
	}, keys)
	if err != nil {
		return err
	}
	if err := a.addPrograms(is); err != nil {
		return err
	}
	a.Issuer = is
	a.Service = &bot.Service{
		Store:    db,
		Signer:   is,
		BaseURL:  a.Config.Server.PublicURL,
		Targets:  a.targets(),
		Programs: a.programs(),
		Log:      a.Log,
	}
	if err := a.syncBadges(ctx); err != nil {
		return err
	}
	rules, err := a.rules()
	if err != nil {
		return err
	}
	a.Rules = bot.NewRules(rules, db, a.Service)
	a.Linker = &bot.Linker{Store: db}
	a.Ingestor = bot.NewIngestor(db, a.Log)
	a.Ingestor.OnEvents(a.Rules.OnEvents)
	a.Ingestor.OnProofs(a.Linker.OnProofs)
	return a.openChat()
}

// targets lists the announce channels of the enabled chat platforms.
func (a *App) targets() []bot.Target {
	var ts []bot.Target
	if c := a.Config.Slack; c.Enabled && c.AnnounceChannel != "" {
		ts = append(ts, bot.Target{Platform: bot.PlatformSlack, Channel: c.AnnounceChannel})
	}
	if c := a.Config.Discord; c.Enabled && c.AnnounceChannel != "" {
		ts = append(ts, bot.Target{Platform: bot.PlatformDiscord, Channel: c.AnnounceChannel})
	}
	return ts
}

// addPrograms gives the issuer the [[programs]] of the config, each
// issuing its badges under its own profile.
func (a *App) addPrograms(is *issuer.Issuer) error {
	for _, pc := range a.Config.Programs {
		p := issuer.Program{Slug: pc.Slug, Name: pc.Name, URL: pc.URL, Email: pc.Email,
			Description: pc.Description, Color: pc.Color}
		if pc.Image != "" {
			logo, typ, err := config.ReadLogo(pc.Image)
			if err != nil {
				return fmt.Errorf("config: program %q: %w", pc.Slug, err)
			}
			p.Logo, p.LogoType = logo, typ
		}
		if _, err := is.AddProgram(p); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	return nil
}

// checkAwardPrograms refuses a start whose config dropped a program
// awards were issued under: its profile, keys and status lists would no
// longer be published, and every one of those awards would stop
// verifying. A badge may move to another program; the program stays.
func (a *App) checkAwardPrograms(ctx context.Context) error {
	used, err := a.DB.AwardPrograms(ctx)
	if err != nil {
		return err
	}
	var gone []string
	for slug, award := range used {
		if !slices.ContainsFunc(a.Config.Programs, func(p config.ProgramConfig) bool { return p.Slug == slug }) {
			gone = append(gone, fmt.Sprintf("%q (award %s)", slug, award))
		}
	}
	if len(gone) == 0 {
		return nil
	}
	slices.Sort(gone)
	return bot.Errorf(bot.EINVALID, "config: awards were issued under the program %s, which [[programs]] no longer has: "+
		"their issuer profile, keys and status lists would stop being published and those awards would fail verification. "+
		"Keep a [[programs]] entry with that slug (its badges may move elsewhere)", strings.Join(gone, ", program "))
}

// programs are the [[programs]] as the core sees them: their channels on
// the enabled chat platforms.
func (a *App) programs() []bot.Program {
	var ps []bot.Program
	for _, pc := range a.Config.Programs {
		p := bot.Program{Slug: pc.Slug, Name: pc.Name, Digest: pc.Digest}
		for _, c := range []struct {
			platform string
			enabled  bool
			ch       config.ProgramChannels
		}{
			{bot.PlatformSlack, a.Config.Slack.Enabled, pc.Slack},
			{bot.PlatformDiscord, a.Config.Discord.Enabled, pc.Discord},
		} {
			if !c.enabled {
				continue
			}
			if c.ch.AnnounceChannel != "" {
				p.Announce = append(p.Announce, bot.Target{Platform: c.platform, Channel: c.ch.AnnounceChannel})
			}
			if c.ch.ReviewChannel != "" {
				p.Review = append(p.Review, bot.Target{Platform: c.platform, Channel: c.ch.ReviewChannel})
			}
		}
		ps = append(ps, p)
	}
	return ps
}

// syncBadges creates or updates the [[badges]] of the config, and gives
// the badges of a program made from the command line (`badge create
// --program`) its owners as the config names them now. A badge already
// as it should be is not written, so read-only commands stay read-only.
func (a *App) syncBadges(ctx context.Context) error {
	list, err := a.DB.Badges(ctx)
	if err != nil {
		return err
	}
	stored := make(map[string]*bot.Badge, len(list))
	for _, b := range list {
		stored[b.Slug] = b
	}
	for _, bc := range a.Config.Badges {
		b, err := badgeFromConfig(bc)
		if err != nil {
			return err
		}
		if err := a.addProgramOwners(b); err != nil {
			return err
		}
		old := stored[b.Slug]
		delete(stored, b.Slug)
		if old != nil && sameBadge(old, b) {
			continue
		}
		if err := a.Service.SaveBadge(ctx, b); err != nil {
			return fmt.Errorf("config: badge %q: %w", bc.Slug, err)
		}
	}
	for _, old := range stored { // made from the command line
		if old.Program == "" {
			continue
		}
		b := *old
		b.Owners = slices.Clone(old.Owners)
		if err := a.addProgramOwners(&b); bot.ErrorCode(err) == bot.ENOTFOUND {
			continue // its program is no longer configured: left as stored
		} else if err != nil {
			return err
		}
		if len(b.Owners) == len(old.Owners) {
			continue
		}
		if err := a.Service.SaveBadge(ctx, &b); err != nil {
			return fmt.Errorf("badge %q: %w", b.Slug, err)
		}
	}
	return nil
}

// addProgramOwners adds the owners of b's program to b's: a program's
// owners own each of its badges, stored with it, so that every check of a
// badge's owners (approving, awarding, who is asked to review) counts
// them. A program the config does not name is an error.
func (a *App) addProgramOwners(b *bot.Badge) error {
	if b.Program == "" {
		return nil
	}
	var slugs []string
	for _, pc := range a.Config.Programs {
		slugs = append(slugs, pc.Slug)
		if pc.Slug != b.Program {
			continue
		}
		for _, o := range pc.Owners {
			r, err := bot.ParseRecipient(o)
			if err != nil {
				return fmt.Errorf("config: program %q: owner: %w", pc.Slug, err)
			}
			if !slices.Contains(b.Owners, r) {
				b.Owners = append(b.Owners, r)
			}
		}
		return nil
	}
	if len(slugs) == 0 {
		return bot.Errorf(bot.ENOTFOUND, "no program %q: the config has no [[programs]]", b.Program)
	}
	return bot.Errorf(bot.ENOTFOUND, "no program %q in [[programs]] (there are: %s)", b.Program, strings.Join(slugs, ", "))
}

// sameBadge reports whether a stored badge already says what the config
// says.
func sameBadge(a, b *bot.Badge) bool {
	return a.Name == b.Name && a.Program == b.Program && a.Description == b.Description && a.Criteria == b.Criteria &&
		bytes.Equal(a.Image, b.Image) && a.ImageType == b.ImageType && slices.Equal(a.Owners, b.Owners) &&
		a.Approvals == b.Approvals && a.Repeatable == b.Repeatable && a.Nominations == b.Nominations
}

func badgeFromConfig(bc config.BadgeConfig) (*bot.Badge, error) {
	b := &bot.Badge{
		Slug: bc.Slug, Program: bc.Program, Name: bc.Name, Description: bc.Description, Criteria: bc.Criteria,
		Approvals: bc.Approvals, Repeatable: bc.Repeatable, Nominations: bc.Nominations,
	}
	for _, o := range bc.Owners {
		r, err := bot.ParseRecipient(o)
		if err != nil {
			return nil, fmt.Errorf("config: badge %q: owner: %w", bc.Slug, err)
		}
		b.Owners = append(b.Owners, r)
	}
	if bc.Image != "" {
		img, typ, err := config.ReadImage(bc.Image)
		if err != nil {
			return nil, fmt.Errorf("config: badge %q: %w", bc.Slug, err)
		}
		b.Image, b.ImageType = img, typ
	}
	return b, nil
}

// Listen binds the configured address (or addr when not empty).
func (a *App) Listen(addr string) error {
	if addr == "" {
		addr = a.Config.Server.Listen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	a.listener = ln
	return nil
}

// Addr returns the address the server listens on, once Listen succeeded.
func (a *App) Addr() string {
	if a.listener == nil {
		return ""
	}
	return a.listener.Addr().String()
}

// Run serves HTTP until ctx ends, then shuts down gracefully.
func (a *App) Run(ctx context.Context) error {
	if a.listener == nil {
		if err := a.Listen(""); err != nil {
			return err
		}
	}
	handler, err := a.routes()
	if err != nil {
		return err
	}
	// A scheduler that cannot be built stops the start: serving without
	// sweeps, backfill or the digest would look healthy and be silent.
	sched, err := a.newScheduler()
	if err != nil {
		return err
	}
	a.server = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       duration(a.Config.Server.ReadTimeout, 30*time.Second),
		WriteTimeout:      duration(a.Config.Server.WriteTimeout, 30*time.Second),
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	// Background workers stop only after the server: a webhook handler
	// still in flight waits for its commit.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	workers.Go(func() { a.Ingestor.Run(workCtx) })
	a.runChat(workCtx, &workers)
	a.runScheduler(workCtx, &workers, sched)
	defer func() {
		stopWork()
		workers.Wait()
	}()

	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(a.listener) }()
	// Serving: connections accepted since Listen waited in its backlog.
	serving := []any{"addr", a.Addr(), "public_url", a.Config.Server.PublicURL}
	if !a.Started.IsZero() {
		serving = append(serving, "startup", time.Since(a.Started).Round(time.Millisecond).String())
	}
	a.Log.Info("badgebot serving", serving...)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), duration(a.Config.Server.ShutdownTimeout, 10*time.Second))
	defer cancel()
	if err := a.server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if a.Slack != nil {
		a.Slack.Wait() // slow slash-command replies still being sent
	}
	a.Log.Info("badgebot stopped")
	return nil
}

// Close releases the database.
func (a *App) Close() error {
	if a.DB != nil {
		return a.DB.Close()
	}
	return nil
}

// duration parses a validated duration setting, or returns def when unset.
func duration(s string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d
	}
	return def
}
