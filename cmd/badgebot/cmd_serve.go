package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// openApp loads the config and opens the app for a command; adjust, when
// given, sets the app up before it opens.
func (c *cli) openApp(ctx context.Context, adjust ...func(*App)) (*App, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, err
	}
	app := NewApp(cfg, c.log)
	for _, f := range adjust {
		f(app)
	}
	if err := app.Open(ctx); err != nil {
		app.Close()
		return nil, err
	}
	return app, nil
}

func runServe(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("serve", false)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	start := time.Now()
	app, err := c.openApp(ctx, func(a *App) { a.Started = start })
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.Listen(""); err != nil {
		return err
	}
	go app.logChecks(ctx) // the same checks as doctor, logged once; readiness does not wait
	return app.Run(ctx)
}

func runMigrate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("migrate", false)
	var from string
	fs.StringVar(&from, "from", "", "sqlite:PATH: copy that SQLite database into the configured PostgreSQL one")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if from != "" {
		return copyFromSQLite(ctx, c, cfg, from)
	}
	applied, err := migrateStore(ctx, cfg.Storage)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		c.printf("database %s is up to date\n", cfg.Storage.Name())
	}
	for _, name := range applied {
		c.printf("applied migration %s\n", name)
	}
	return nil
}

// loadConfig reads the config file (or the embedded defaults), applies the
// environment and validates it all at once.
func (c *cli) loadConfig() (config.Config, error) {
	cfg, err := config.Load(c.configPath, c.env.Environ)
	if err != nil {
		return config.Config{}, err
	}
	if err := cfg.Validate(jobs.ParseSchedule); err != nil {
		return config.Config{}, err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err == nil && c.logLevel != nil {
		c.logLevel.Set(level)
	}
	return cfg, nil
}
