package main

import (
	"context"
	"fmt"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
	"github.com/badgebot/badgebot/storage"
	"github.com/badgebot/badgebot/storage/postgres"
)

// Store is what the App keeps its data in: the SQLite store
// (storage.driver = "sqlite", the default) or the PostgreSQL one
// ("postgres", for several replicas). Both pass storage/storetest.
type Store interface {
	bot.Store
	bot.IngestStore
	bot.LinkStore
	bot.RouterStore
	bot.DeliveryStore
	bot.SweepStore
	bot.HealthStore
	bot.BackfillStore
	bot.DigestStore
	bot.RuleStore
	// Ping reports whether the database answers (/readyz).
	Ping(ctx context.Context) error
	// Backup writes a consistent copy of the database to a file.
	Backup(ctx context.Context, dst string) error
	Close() error
}

// leader is a store on which several processes elect one to run the
// scheduled jobs (PostgreSQL). Lead holds the named lock while it can,
// calling leading(true) when it got it and leading(false) when it lost
// it, until ctx ends.
type leader interface {
	Lead(ctx context.Context, name string, leading func(bool))
}

var (
	_ Store  = (*storage.DB)(nil)
	_ Store  = (*postgres.DB)(nil)
	_ leader = (*postgres.DB)(nil)
)

// Storage drivers (storage.driver).
const (
	driverSQLite   = "sqlite"
	driverPostgres = "postgres"
)

// openStore opens (and migrates) the configured database and returns it
// with its issuer.Source for baseURL.
func openStore(ctx context.Context, c StorageConfig, baseURL string) (Store, issuer.Source, error) {
	switch c.Driver {
	case driverPostgres:
		db, err := postgres.Open(ctx, c.URL)
		if err != nil {
			return nil, nil, err
		}
		return db, db.IssuerSource(baseURL), nil
	case driverSQLite, "":
		db, err := storage.Open(ctx, c.Path)
		if err != nil {
			return nil, nil, err
		}
		return db, db.IssuerSource(baseURL), nil
	}
	return nil, nil, fmt.Errorf("config: storage.driver: %q is not sqlite or postgres", c.Driver)
}

// migrateStore applies the configured database's migrations and returns
// their names.
func migrateStore(ctx context.Context, c StorageConfig) ([]string, error) {
	if c.Driver == driverPostgres {
		return postgres.Migrate(ctx, c.URL)
	}
	return storage.Migrate(ctx, c.Path)
}

// name says which database c is, without secrets, for messages.
func (c StorageConfig) name() string {
	if c.Driver == driverPostgres {
		return "the PostgreSQL database"
	}
	return c.Path
}
