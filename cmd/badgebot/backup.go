package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
	"github.com/badgebot/badgebot/storage"
	"github.com/badgebot/badgebot/storage/postgres"
)

// backupHelp is `badgebot backup -h`.
const backupHelp = `Usage: badgebot [--config FILE] backup FILE.tar.gz

Writes an online, consistent copy of the database and the signing keys to
FILE.tar.gz, a gzip'd tar archive readable only by its owner (it holds the
private keys). The server may keep running: the database is copied from one
snapshot, and the keys after it, so every key an award in the copy needs is
in the archive. An existing FILE is never replaced.

The archive holds the database under its own name (badgebot.db) and the keys
under keys/, the default key directory beside it. To restore, stop
badgebot, remove the old database with its -wal and -shm files, and unpack
the archive into the database's directory (that of storage.path):

    mkdir -p data && tar -xzf FILE.tar.gz -C data

With issuer.key_dir set elsewhere, move keys/ there.

On PostgreSQL (storage.driver = "postgres") the archive is the same: the
database is read in one snapshot (REPEATABLE READ) while replicas keep
writing, and written as a SQLite database with the keys of that snapshot
beside it. Restore it into an empty PostgreSQL database with

    tar -xzf FILE.tar.gz -C restored
    badgebot migrate --from sqlite:restored/badgebot.db

which copies the rows and the keys in restored/keys into the database.
`

// backupArchive reports whether name is a name for a gzip'd tar.
func backupArchive(name string) bool {
	return strings.HasSuffix(name, ".tar.gz") || strings.HasSuffix(name, ".tgz")
}

func runBackup(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("backup", false)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("backup: want one FILE")
	}
	if !backupArchive(pos[0]) {
		return usagef("backup: %s: name the archive FILE.tar.gz (it holds the database and the signing keys)", pos[0])
	}
	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	keys, err := app.writeBackup(ctx, pos[0])
	if err != nil {
		return err
	}
	c.printf("backed up %s and %d signing keys from %s to %s\n", app.Config.Storage.Name(), keys, app.keysWhere(), pos[0])
	return nil
}

// writeBackup writes the archive `backup -h` describes and returns how
// many keys it holds. The archive is built beside dst and linked into
// place, so dst is either absent or whole.
func (a *App) writeBackup(ctx context.Context, dst string) (int, error) {
	abs, err := filepath.Abs(dst)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Lstat(abs); err == nil {
		return 0, bot.Errorf(bot.EINVALID, "backup: %s already exists", dst)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	work, err := os.MkdirTemp(filepath.Dir(abs), ".badgebot-backup-*")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(work)

	dbName := filepath.Base(a.Config.Storage.Path)
	snapshot := filepath.Join(work, dbName)
	var set issuer.KeySet
	if pg, ok := a.DB.(*postgres.DB); ok {
		set, err = pgSnapshot(ctx, pg, work, snapshot)
		if err != nil {
			return 0, err
		}
	} else {
		// The database first, then the keys: keys are only ever added,
		// so those read after the snapshot include every key it refers
		// to.
		if err := a.DB.Backup(ctx, snapshot); err != nil {
			return 0, err
		}
		set, err = a.keyStore().Load(ctx)
		if err != nil {
			return 0, fmt.Errorf("backup: %w", err)
		}
	}
	keyFiles, err := set.DirFiles()
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}

	archive := filepath.Join(work, "archive.tar.gz")
	f, err := os.OpenFile(archive, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	werr := writeArchive(f, snapshot, dbName, keyFiles)
	if werr == nil {
		werr = f.Sync()
	}
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		return 0, fmt.Errorf("backup to %s: %w", dst, werr)
	}
	// Link rather than rename: it fails instead of replacing a file that
	// appeared meanwhile.
	if err := os.Link(archive, abs); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, bot.Errorf(bot.EINVALID, "backup: %s already exists", dst)
		}
		if err := os.Rename(archive, abs); err != nil {
			return 0, fmt.Errorf("backup to %s: %w", dst, err)
		}
	}
	if d, err := os.Open(filepath.Dir(abs)); err == nil {
		d.Sync()
		d.Close()
	}
	return len(set.Keys), nil
}

// writeArchive writes the database file as dbName and the key files under
// keys/ as a gzip'd tar.
func writeArchive(w io.Writer, dbFile, dbName string, keys []issuer.KeyFile) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	now := time.Now().UTC().Truncate(time.Second)
	db, err := os.Open(dbFile)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: dbName, Mode: 0o600, Size: st.Size(), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, db); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "keys/", Mode: 0o700, ModTime: now, Typeflag: tar.TypeDir}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tw.WriteHeader(&tar.Header{Name: "keys/" + k.Name, Mode: 0o600, Size: int64(len(k.Data)), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(k.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// pgSnapshot writes one snapshot of the PostgreSQL database into a new
// SQLite database at dst, and returns the signing keys of the same
// snapshot. The archive is then the one a SQLite instance's backup is:
// it restores as a SQLite instance, or into PostgreSQL with `migrate
// --from sqlite:PATH`, which imports the keys beside it.
func pgSnapshot(ctx context.Context, pg *postgres.DB, work, dst string) (issuer.KeySet, error) {
	copyPath := filepath.Join(work, "copy.db")
	sq, err := storage.Open(ctx, copyPath)
	if err != nil {
		return issuer.KeySet{}, fmt.Errorf("backup: %w", err)
	}
	defer sq.Close()
	var set issuer.KeySet
	err = pg.Snapshot(ctx, func(s *postgres.Snapshot) error {
		if _, err := sq.CopyIn(ctx, s, s.Tables()); err != nil {
			return err
		}
		set, err = s.Keys(ctx)
		return err
	})
	if err != nil {
		return issuer.KeySet{}, fmt.Errorf("backup: %w", err)
	}
	// A file of its own, without the copy's write-ahead log.
	if err := sq.Backup(ctx, dst); err != nil {
		return issuer.KeySet{}, err
	}
	return set, nil
}
