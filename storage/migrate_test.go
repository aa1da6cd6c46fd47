package storage

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

// migrations returns the real migrations up to and including number upto,
// plus extra files.
func migrations(t *testing.T, upto int, extra map[string]string) fstest.MapFS {
	t.Helper()
	ms, err := loadMigrations(migrationFS())
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	for _, mig := range ms {
		if mig.num <= upto {
			m[mig.name] = &fstest.MapFile{Data: []byte(mig.sql)}
		}
	}
	for name, body := range extra {
		m[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return m
}

func openWith(t *testing.T, path string, fsys fs.FS) (*DB, []string, error) {
	t.Helper()
	db, applied, err := open(context.Background(), path, fsys)
	if err == nil {
		t.Cleanup(func() { db.Close() })
	}
	return db, applied, err
}

// oldDatabase is a new database file with the migrations numbered up to
// upto applied, and its path, to be upgraded by the test.
func oldDatabase(t *testing.T, upto int) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "badgebot.db")
	db, _, err := openWith(t, path, migrations(t, upto, nil))
	if err != nil {
		t.Fatal(err)
	}
	return db, path
}

// TestMigrateUpgrade builds a database with this binary's migrations,
// fills it, then upgrades it with a later migration and checks that the
// data and the store still work.
func TestMigrateUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "badgebot.db")

	real := migrations(t, 899, nil)
	v1, applied, err := openWith(t, path, real)
	if err != nil {
		t.Fatalf("open at this version: %v", err)
	}
	if len(applied) != len(real) || applied[0] != "001_init.sql" {
		t.Errorf("applied %v, want every migration from 001_init.sql", applied)
	}
	addBadge(t, v1, "first-pr", false)
	octocat := recipient(t, "github:octocat")
	a := createAward(t, v1, "first-pr", octocat, t0)
	if err := v1.Close(); err != nil {
		t.Fatal(err)
	}

	const add = `ALTER TABLE people ADD COLUMN pronouns TEXT NOT NULL DEFAULT '';
		CREATE INDEX people_name ON people (name);`
	v2, applied, err := openWith(t, path, migrations(t, 899, map[string]string{"900_pronouns.sql": add}))
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if diff := cmp.Diff([]string{"900_pronouns.sql"}, applied); diff != "" {
		t.Errorf("applied by the upgrade (-want +got):\n%s", diff)
	}
	got, err := v2.Award(ctx, a.ID)
	if err != nil {
		t.Fatalf("Award after upgrade: %v", err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("award after upgrade (-want +got):\n%s", diff)
	}
	err = v2.CreateAward(ctx, newAward(t, v2, "first-pr", octocat), false, nil)
	wantCode(t, err, bot.ECONFLICT)
	if _, err := v2.EnsurePerson(ctx, recipient(t, "slack:U024BE7LH"), "Ada"); err != nil {
		t.Errorf("EnsurePerson after upgrade: %v", err)
	}
	var pronouns string
	if err := v2.r.QueryRowContext(ctx, "SELECT pronouns FROM people LIMIT 1").Scan(&pronouns); err != nil {
		t.Errorf("new column: %v", err)
	}

	// A binary that lacks 900 must not run on the upgraded file.
	v2.Close()
	_, err = Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "900_pronouns.sql") {
		t.Errorf("Open by an older binary: err %v, want one naming 900_pronouns.sql", err)
	}
}

// TestMigrateFailure checks that a failing migration leaves nothing behind
// and that its error names the file.
func TestMigrateFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "badgebot.db")
	bad := `CREATE TABLE half (x INTEGER);
		INSERT INTO half VALUES (1);
		INSERT INTO no_such_table VALUES (1);`
	_, applied, err := openWith(t, path, migrations(t, 1, map[string]string{"002_bad.sql": bad}))
	if err == nil || !strings.Contains(err.Error(), "migration 002_bad.sql") {
		t.Fatalf("open: err %v, want one naming migration 002_bad.sql", err)
	}
	if applied != nil {
		t.Errorf("open returned applied %v with an error", applied)
	}

	db, applied, err := openWith(t, path, migrations(t, 1, nil))
	if err != nil {
		t.Fatalf("reopen without the bad migration: %v", err)
	}
	if len(applied) != 0 {
		t.Errorf("reopen applied %v, want nothing (001 stayed applied)", applied)
	}
	if n := count(t, db, "sqlite_schema", "name = 'half'"); n != 0 {
		t.Error("table half exists: the failed migration was not rolled back")
	}
	if n := count(t, db, "schema_migrations", "name = '002_bad.sql'"); n != 0 {
		t.Error("the failed migration was recorded")
	}
}

func TestLoadMigrationsErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"bad name", map[string]string{"1_init.sql": ""}, "1_init.sql: name must be NNN_name.sql"},
		{"upper case", map[string]string{"001_Init.sql": ""}, "001_Init.sql: name must be"},
		{"same number", map[string]string{"001_a.sql": "", "001_b.sql": ""}, "001_a.sql and 001_b.sql share a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fstest.MapFS{"README.md": &fstest.MapFile{Data: []byte("ignored")}}
			for n, b := range tt.files {
				m[n] = &fstest.MapFile{Data: []byte(b)}
			}
			_, err := loadMigrations(m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("loadMigrations: err %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadMigrationsOrder(t *testing.T) {
	m := fstest.MapFS{
		"010_c.sql": &fstest.MapFile{},
		"002_b.sql": &fstest.MapFile{},
		"001_a.sql": &fstest.MapFile{},
		"notes.txt": &fstest.MapFile{},
	}
	ms, err := loadMigrations(m)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.name)
	}
	if diff := cmp.Diff([]string{"001_a.sql", "002_b.sql", "010_c.sql"}, names); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// TestMigrateConcurrentOpen opens one new file from several goroutines, as
// `badgebot serve` and `badgebot award` might: each migration runs once.
func TestMigrateConcurrentOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "badgebot.db")
	const n = 6
	var wg sync.WaitGroup
	applied := make([][]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			db, a, err := open(ctx, path, migrationFS())
			applied[i], errs[i] = a, err
			if err == nil {
				db.Close()
			}
		})
	}
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("open %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	ms, _ := loadMigrations(migrationFS())
	if total != len(ms) {
		t.Errorf("migrations applied %d times in all, want %d", total, len(ms))
	}
}

// TestMigrateAuditHistory: 010_audit writes the trail of what the tables
// recorded before it: awards, revocations, approvals, rejections.
func TestMigrateAuditHistory(t *testing.T) {
	ctx := context.Background()
	old, path := oldDatabase(t, 6)
	for _, q := range []string{
		`INSERT INTO badges (slug, name, description, criteria, created_at, updated_at) VALUES ('first-pr', 'First PR', 'd', 'c', 1, 1)`,
		`INSERT INTO people (id, handle, created_at) VALUES (1, 'octocat', 1), (2, 'olive', 1)`,
		`INSERT INTO identities (platform, id, person_id, created_at) VALUES ('github', 'octocat', 1, 1), ('slack', 'U0OWNER', 2, 1)`,
		`INSERT INTO awards (id, badge, person_id, recipient_platform, recipient_id, issued_at, source, source_ref, awarded_by,
			status_index, identity_type, identity, salt, exclusive, revoked, revoked_at, revocation_reason, revoked_by)
		VALUES ('a1', 'first-pr', 1, 'github', 'octocat', 1000, 'rule', 'first-merged-pr', 'badgebot', 0, 'url', 'x', 's', 0, 0, NULL, '', ''),
			('a2', 'first-pr', 1, 'github', 'octocat', 2000, 'manual', '', 'slack:U0OWNER', 1, 'url', 'x', 's', 0, 1, 3000, 'oops', 'cli')`,
		`INSERT INTO nominations (id, badge, nominee_platform, nominee_id, nominator_platform, nominator_id, reason, status, created_at, decided_at, decided_by, decision_reason)
		VALUES (7, 'first-pr', 'github', 'octocat', 'slack', 'U0OWNER', 'r', 'rejected', 500, 600, 'slack:U0OWNER', 'not yet')`,
	} {
		if _, err := old.w.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()
	db := openPath(t, path)
	es, err := db.Audit(ctx, bot.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Action+" "+e.AwardID+" by "+e.By+" via "+e.Via+": "+e.Detail)
	}
	want := []string{
		"reject  by slack:U0OWNER via slack: not yet",
		"award a1 by badgebot via rule: first-merged-pr",
		"award a2 by slack:U0OWNER via slack: ",
		"revoke a2 by cli via cli: oops",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit after migration (-want +got):\n%s", diff)
	}
	a, err := db.Award(ctx, "a2")
	if err != nil || a.Via != "slack" || a.RevokedVia != "cli" {
		t.Errorf("award a2 after migration: %+v, %v", a, err)
	}
}

// TestMigrateMovesDeliveryBodyLast upgrades a database of 016 that holds
// a processed delivery with its event and a pending one: 017 rebuilds
// deliveries with the body last, every row and reference intact, and
// foreign keys are enforced again afterwards.
func TestMigrateMovesDeliveryBodyLast(t *testing.T) {
	ctx := context.Background()
	old, path := oldDatabase(t, 16)
	// The deliveries go in as 016 stored them: today's SaveDelivery
	// writes columns added since.
	body := []byte(`{"action":"closed","pull_request":{"merged":true}}`)
	pending := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "d2", Type: "issues", Body: []byte(`{"action":"closed"}`), ReceivedAt: t0}
	err := old.write(ctx, func(ctx context.Context, tx queryer) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (id, source, delivery_id, type, body, body_encoding, received_at, problem)
			VALUES (1, 'github', 'd1', 'pull_request', ?, '', ?, 'queued'), (2, 'github', 'd2', 'issues', ?, '', ?, 'queued')`,
			body, millis(t0), pending.Body, millis(t0))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	done, err := old.CompleteDelivery(ctx, bot.WebhookDelivery{Seq: 1, Source: bot.PlatformGitHub, ID: "d1", ReceivedAt: t0},
		[]bot.Event{{Kind: bot.EventPRMerged, Key: "github.com/o/r/pull/1", Actor: bot.Recipient{Platform: bot.PlatformGitHub, ID: "octocat"},
			URL: "https://github.com/o/r/pull/1", OccurredAt: t0}}, "")
	if err != nil || len(done) != 1 {
		t.Fatalf("processed delivery stored %d events, %v; want 1", len(done), err)
	}
	old.Close()

	db, applied, err := openWith(t, path, migrations(t, 899, nil))
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if diff := cmp.Diff([]string{"017_deliveries_body_last.sql", "019_delivery_extracts.sql", "020_identities_person_order.sql"}, applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	// 019 adds extract after the body.
	var last string
	if err := db.r.QueryRowContext(ctx, `SELECT group_concat(name, ' ') FROM (SELECT name FROM pragma_table_info('deliveries') ORDER BY cid DESC LIMIT 2)`).Scan(&last); err != nil || last != "extract body" {
		t.Errorf("last columns of deliveries: %q, %v; want extract body", last, err)
	}
	got, err := db.PendingDeliveriesAfter(ctx, 0, 10)
	if err != nil || len(got) != 1 || got[0].ID != "d2" || string(got[0].Body) != string(pending.Body) || !got[0].ReceivedAt.Equal(t0) {
		t.Fatalf("pending after the upgrade: %+v, %v; want d2 with its body", got, err)
	}
	if n := count(t, db, "deliveries", "processed_at IS NOT NULL AND delivery_id = 'd1'"); n != 1 {
		t.Errorf("processed deliveries d1: %d, want 1", n)
	}
	if n := count(t, db, "events e JOIN deliveries d ON d.id = e.delivery", "d.delivery_id = 'd1'"); n != 1 {
		t.Errorf("events of d1 after the upgrade: %d, want 1", n)
	}
	if dup, err := db.SaveDelivery(ctx, pending); err != nil || !dup {
		t.Errorf("redelivery of d2 after the upgrade: dup %v, %v; want a duplicate", dup, err)
	}
	if _, err := db.CompleteDelivery(ctx, got[0], nil, ""); err != nil {
		t.Errorf("completing d2 after the upgrade: %v", err)
	}
	// Enforcement is back on: the writer refuses an event of a delivery
	// that does not exist.
	err = db.write(ctx, func(ctx context.Context, tx queryer) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO events (source, kind, key, actor_platform, actor_id, person_id, occurred_at, received_at, delivery)
			SELECT 'github', 'pr_merged', 'k', 'github', 'octocat', person_id, 0, 0, 999 FROM identities WHERE id = 'octocat'`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("an event of a missing delivery after the upgrade: %v, want a foreign key error", err)
	}
}

// TestMigrateRebuildChecksReferences: a migration run with foreign keys
// off that leaves a reference dangling is refused and recorded nowhere,
// and the writer enforces foreign keys afterwards.
func TestMigrateRebuildChecksReferences(t *testing.T) {
	ctx := context.Background()
	db, path := oldDatabase(t, 899)
	processDelivery(t, db, bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "d1", Type: "pull_request", Body: []byte(`{}`), ReceivedAt: t0},
		bot.Event{Kind: bot.EventPRMerged, Key: "github.com/o/r/pull/1", Actor: bot.Recipient{Platform: bot.PlatformGitHub, ID: "octocat"}, OccurredAt: t0})
	db.Close()

	const bad = "-- badgebot: foreign_keys off\nDELETE FROM deliveries;"
	_, _, err := openWith(t, path, migrations(t, 899, map[string]string{"900_bad.sql": bad}))
	if err == nil || !strings.Contains(err.Error(), "900_bad.sql") || !strings.Contains(err.Error(), "foreign key check") {
		t.Fatalf("a rebuild that leaves events dangling: %v, want a foreign key check error naming 900_bad.sql", err)
	}
	db, applied, err := openWith(t, path, migrations(t, 899, nil))
	if err != nil || len(applied) != 0 {
		t.Fatalf("reopen: %v %v", applied, err)
	}
	if n := count(t, db, "deliveries", ""); n != 1 {
		t.Errorf("deliveries after the refused migration: %d, want 1", n)
	}
	var on int
	if err := db.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil || on != 1 {
		t.Errorf("foreign_keys after a rebuild migration: %d, %v", on, err)
	}
}
