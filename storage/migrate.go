package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var embedded embed.FS

// migrationFS returns the migrations built into the binary.
func migrationFS() fs.FS {
	sub, err := fs.Sub(embedded, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// migrationFile is the form of a migration's file name: NNN_name.sql.
var migrationFile = regexp.MustCompile(`^([0-9]{3})_[a-z0-9_]+\.sql$`)

type migration struct {
	name    string // file name, recorded in schema_migrations
	num     int
	sql     string
	rebuild bool // holds the line foreignKeysOff
}

// foreignKeysOff is a line of a migration that rebuilds a table another
// table refers to. SQLite rebuilds a table as a new one that takes the old
// one's name, and asks for foreign key enforcement to be off meanwhile
// (https://sqlite.org/lang_altertable.html#otheralter): with it on,
// dropping the old table would delete or refuse the rows that refer to
// it. Such a migration runs with enforcement off, and its transaction
// commits only once PRAGMA foreign_key_check finds every reference whole.
const foreignKeysOff = "-- badgebot: foreign_keys off"

// loadMigrations reads the *.sql files of fsys in number order.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("storage: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m := migrationFile.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("storage: migration %s: name must be NNN_name.sql", e.Name())
		}
		num, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("storage: migration %s: %w", e.Name(), err)
		}
		rebuild := slices.Contains(strings.Split(string(body), "\n"), foreignKeysOff)
		ms = append(ms, migration{name: e.Name(), num: num, sql: string(body), rebuild: rebuild})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].num < ms[j].num })
	for i := 1; i < len(ms); i++ {
		if ms[i].num == ms[i-1].num {
			return nil, fmt.Errorf("storage: migrations %s and %s share a number", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// migrate applies the migrations of fsys that the database has not
// recorded, each in its own transaction, and returns their names. Another
// process migrating at the same time is harmless: each transaction checks
// again, under the write lock, whether its migration is still pending.
func (db *DB) migrate(ctx context.Context, fsys fs.FS) ([]string, error) {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       TEXT PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`
	if _, err := db.w.ExecContext(ctx, create); err != nil {
		return nil, fmt.Errorf("storage: create schema_migrations: %w", err)
	}
	done, err := appliedMigrations(ctx, db.w)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(ms))
	for _, m := range ms {
		known[m.name] = true
	}
	for name := range done {
		if !known[name] {
			return nil, fmt.Errorf("storage: the database has migration %s, unknown to this badgebot: it was written by a newer version", name)
		}
	}

	var applied []string
	for _, m := range ms {
		if done[m.name] {
			continue
		}
		ran := false
		run := db.direct
		if m.rebuild {
			run = db.directForeignKeysOff
		}
		err := run(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE name = ?", m.name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if err := foreignKeyCheck(ctx, tx); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", m.name, millis(db.now())); err != nil {
				return err
			}
			ran = true
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("storage: migration %s: %w", m.name, err)
		}
		if ran {
			applied = append(applied, m.name)
		}
	}
	return applied, nil
}

// directForeignKeysOff is direct with foreign key enforcement off on the
// writer's connection for the transaction, and on again after it.
func (db *DB) directForeignKeysOff(ctx context.Context, fn func(tx *sql.Tx) error) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("storage: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return err
	}
	err = db.directOn(ctx, conn, fn)
	// Whatever happened, the connection goes back to the pool enforcing
	// foreign keys, or not at all.
	if _, onErr := conn.ExecContext(ctx, "PRAGMA foreign_keys = ON"); onErr != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
		return errors.Join(err, fmt.Errorf("storage: foreign keys back on: %w", onErr))
	}
	return err
}

func appliedMigrations(ctx context.Context, q queryer) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT name FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("storage: read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("storage: read schema_migrations: %w", err)
		}
		done[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: read schema_migrations: %w", err)
	}
	return done, nil
}

// foreignKeyCheck fails when a migration left rows pointing nowhere (a
// table rebuilt with foreign keys deferred, say).
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return err
		}
		return fmt.Errorf("foreign key check: table %s row %d refers to a missing %s", table, rowid.Int64, parent)
	}
	return rows.Err()
}
