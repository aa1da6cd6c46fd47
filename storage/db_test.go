package storage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/internal/golden"
	"github.com/google/go-cmp/cmp"
)

func TestOpenSettings(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "new", "dir")
	db := openPath(t, filepath.Join(dir, "badgebot.db"))

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("parent dir mode %v, want 0700", got)
	}
	for _, name := range []string{"badgebot.db", "badgebot.db-wal"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, got)
		}
	}

	pragmas := []struct{ name, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL: the group commit fsyncs the WAL (batch.go)
		{"busy_timeout", "10000"},
	}
	for _, p := range pragmas {
		for _, c := range []struct {
			pool string
			q    queryer
		}{{"writer", db.w}, {"reader", db.r}} {
			var got string
			if err := c.q.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
				t.Fatalf("%s PRAGMA %s: %v", c.pool, p.name, err)
			}
			if got != p.want {
				t.Errorf("%s PRAGMA %s = %s, want %s", c.pool, p.name, got, p.want)
			}
		}
	}
	var ts string
	if err := db.w.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&ts); err != nil || ts != "2" {
		t.Errorf("writer PRAGMA temp_store = %q, %v; want 2 (MEMORY)", ts, err)
	}
	var qo string
	if err := db.r.QueryRowContext(ctx, "PRAGMA query_only").Scan(&qo); err != nil || qo != "1" {
		t.Errorf("reader PRAGMA query_only = %q, %v; want 1", qo, err)
	}
	if n := db.w.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", n)
	}
	if _, err := db.r.ExecContext(ctx, "DELETE FROM badges"); err == nil {
		t.Error("a reader connection wrote; want query_only")
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestOpenTwiceAndMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "badgebot.db")
	applied, err := Migrate(ctx, path)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if diff := cmp.Diff([]string{"001_init.sql", "002_ingest_links.sql", "003_nominations.sql",
		"004_awards_badge_person.sql", "005_scheduled.sql", "006_delivery_encoding.sql",
		"007_chat_requests.sql", "008_private_handles.sql", "010_audit.sql", "011_signing_keys.sql", "014_programs.sql", "015_awards_program_index.sql",
		"016_indexes.sql", "017_deliveries_body_last.sql", "019_delivery_extracts.sql", "020_identities_person_order.sql"}, applied); diff != "" {
		t.Errorf("first Migrate applied (-want +got):\n%s", diff)
	}
	applied, err = Migrate(ctx, path)
	if err != nil || len(applied) != 0 {
		t.Errorf("second Migrate = %v, %v; want nothing applied", applied, err)
	}
	db := openPath(t, path)
	if n := count(t, db, "schema_migrations", ""); n != 16 {
		t.Errorf("schema_migrations has %d rows, want 16", n)
	}
}

// TestSchema pins the schema that the migrations build; refresh with
// go test ./storage -run TestSchema -update.
func TestSchema(t *testing.T) {
	db := openTest(t)
	rows, err := db.r.QueryContext(context.Background(),
		`SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY type DESC, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var sb strings.Builder
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		sb.WriteString(s + ";\n\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "schema.golden.sql"), []byte(sb.String()))
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	addBadge(t, db, "first-pr", false)
	a := createAward(t, db, "first-pr", recipient(t, "github:octocat"), t0)

	dst := filepath.Join(t.TempDir(), "backups", "copy.db")
	if err := db.Backup(ctx, dst); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	// The database stays writable during and after the backup.
	addBadge(t, db, "later", false)

	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("backup mode %v, want 0600", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(dst))
	if len(entries) != 1 {
		t.Errorf("backup dir holds %d files, want only the copy", len(entries))
	}

	cp := openPath(t, dst)
	got, err := cp.Award(ctx, a.ID)
	if err != nil {
		t.Fatalf("Award in the copy: %v", err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("award in the copy (-want +got):\n%s", diff)
	}
	if _, err := cp.Badge(ctx, "later"); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("badge made after the backup: err %v, want ENOTFOUND", err)
	}

	wantCode(t, db.Backup(ctx, dst), bot.EINVALID)     // exists
	wantCode(t, db.Backup(ctx, db.path), bot.EINVALID) // itself
	if err := db.Backup(ctx, dst+"2"); err != nil {    // a second copy is fine
		t.Errorf("second Backup: %v", err)
	}
}
