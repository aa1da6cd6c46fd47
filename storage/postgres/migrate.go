package postgres

import (
	"context"
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var embedded embed.FS

var migrationFile = regexp.MustCompile(`^([0-9]{3})_[a-z0-9_]+\.sql$`)

type migration struct {
	name string
	num  int
	sql  string
}

func loadMigrations() ([]migration, error) {
	entries, err := embedded.ReadDir("migrations")
	if err != nil {
		return nil, fmt.Errorf("storage: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		m := migrationFile.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("storage: migration %s: name must be NNN_name.sql", e.Name())
		}
		num, _ := strconv.Atoi(m[1])
		body, err := embedded.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("storage: migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{name: e.Name(), num: num, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].num < ms[j].num })
	return ms, nil
}

// migrateLock is the advisory lock key, within the schema, under which
// replicas starting together migrate one after the other.
const migrateLock = "badgebot.migrate"

// migrate applies the migrations the database has not recorded, each in
// its own transaction under an advisory lock, and returns their names.
func (db *DB) migrate(ctx context.Context) ([]string, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, m := range ms {
		known[m.name] = true
	}
	var applied []string
	for i := -1; i < len(ms); i++ {
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || $1))`, migrateLock); err != nil {
				return err
			}
			if i < 0 {
				_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
					name       TEXT PRIMARY KEY,
					applied_at BIGINT NOT NULL)`)
				if err != nil {
					return err
				}
				rows, err := tx.Query(ctx, `SELECT name FROM schema_migrations`)
				if err != nil {
					return err
				}
				names, err := collect(rows, pgx.RowTo[string])
				if err != nil {
					return err
				}
				for _, n := range names {
					if !known[n] {
						return fmt.Errorf("the database has migration %s, unknown to this badgebot: it was written by a newer version", n)
					}
				}
				return nil
			}
			m := ms[i]
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, m.name).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, m.name, millis(db.now())); err != nil {
				return err
			}
			applied = append(applied, m.name)
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("storage: migrate: %w", err)
		}
	}
	return applied, nil
}
