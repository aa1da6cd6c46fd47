package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
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
	bot.OutboxWorkerStore
	bot.SweepStore
	bot.HealthStore
	bot.BackfillStore
	bot.DigestStore
	bot.RuleStore
	bot.AuditStore
	// FirstSeen records an accepted signed chat request (replay refusal).
	FirstSeen(ctx context.Context, platform string, key []byte, expires time.Time) (bool, error)
	// SigningKeys lists the keys awards were signed with and whether any
	// award exists (the start's check that no key is missing).
	SigningKeys(ctx context.Context) (keys map[string]string, anyAward bool, err error)
	// AwardPrograms lists the programs awards were issued under (slug ->
	// one of its awards): the start's check that none was dropped.
	AwardPrograms(ctx context.Context) (map[string]string, error)
	// ProbeWrite reports whether the database takes writes (/readyz).
	ProbeWrite(ctx context.Context) error
	// DropDeliveryBodies deletes processed delivery bodies received
	// before cutoff (privacy.delivery_retention).
	DropDeliveryBodies(ctx context.Context, cutoff time.Time) (int64, error)
	// HandleRedirect returns the current handle of a person by a handle
	// they had before (/people/{old} redirects).
	HandleRedirect(ctx context.Context, old string) (string, error)
	// Stats counts what an operator watches (/metrics).
	Stats(ctx context.Context) (storage.Stats, error)
	// RecordJobRun and JobRuns keep each scheduled job's last run
	// (schedule list).
	RecordJobRun(ctx context.Context, name string, r storage.JobRun) error
	JobRuns(ctx context.Context) (map[string]storage.JobRun, error)
	// Ping reports whether the database answers (/readyz).
	Ping(ctx context.Context) error
	// Migrated names the migrations opening the database applied.
	Migrated() []string
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
func openStore(ctx context.Context, c config.StorageConfig, baseURL string) (Store, issuer.Source, error) {
	switch c.Driver {
	case driverPostgres:
		db, err := postgres.Open(ctx, c.URL.Reveal())
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
func migrateStore(ctx context.Context, c config.StorageConfig) ([]string, error) {
	if c.Driver == driverPostgres {
		return postgres.Migrate(ctx, c.URL.Reveal())
	}
	return storage.Migrate(ctx, c.Path)
}

// copyFromSQLite is `badgebot migrate --from sqlite:PATH`: it copies the
// SQLite database at PATH, migrated first, into the configured PostgreSQL
// database, which must be empty. Awards keep their ids, status indexes and
// signed credentials, and the signing keys of the instance's key
// directory are copied into the database with them, so they verify at
// their old URLs as long as server.public_url stays what it was. A backup
// archive restores the same way (its badgebot.db beside its keys/).
func copyFromSQLite(ctx context.Context, c *cli, cfg config.Config, from string) error {
	path, ok := strings.CutPrefix(from, "sqlite:")
	if !ok || path == "" {
		return usagef("migrate: --from wants sqlite:PATH")
	}
	if cfg.Storage.Driver != driverPostgres {
		return bot.Errorf(bot.EINVALID, "migrate --from: storage.driver must be postgres (the database to copy into)")
	}
	if _, err := os.Stat(path); err != nil {
		return bot.Errorf(bot.EINVALID, "migrate --from: %v", err)
	}
	src, err := storage.Open(ctx, path)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, cfg.Storage.URL.Reveal())
	if err != nil {
		return err
	}
	defer dst.Close()
	copied, err := dst.Import(ctx, src)
	if err != nil {
		return err
	}
	for _, table := range slices.Sorted(maps.Keys(copied)) {
		c.printf("copied %d %s\n", copied[table], table)
	}
	// The signing keys: issuer.key_dir when set, else the keys directory
	// beside the SQLite file (where it and backup archives keep them).
	keyDir := filepath.Join(filepath.Dir(path), "keys")
	if cfg.Issuer.KeyDir != "" {
		keyDir = cfg.KeyDir()
	}
	set, err := issuer.NewKeyDir(keyDir).Load(ctx)
	if err != nil {
		return err
	}
	n, err := dst.KeyStore().Merge(ctx, set)
	if err != nil {
		return err
	}
	c.printf("copied %d signing keys from %s\n", n, keyDir)
	if len(set.Keys) == 0 && copied["awards"] > 0 {
		c.printf("warning: %s holds no signing keys: the copied awards need theirs (set issuer.key_dir to where they are; they are imported at start)\n", keyDir)
	}
	c.printf("copied %s into the PostgreSQL database\n", path)
	return nil
}
