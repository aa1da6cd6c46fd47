package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
	"github.com/badgebot/badgebot/storage/postgres"
)

// testStorage is the database of one end-to-end test: a schema of its
// own on the PostgreSQL server BADGEBOT_TEST_PG names, when it names one
// (so that the end-to-end tests run on both stores in CI), else a SQLite
// file in dir.
func testStorage(t testing.TB, dir string) config.StorageConfig {
	t.Helper()
	server := os.Getenv("BADGEBOT_TEST_PG")
	if server == "" {
		return config.StorageConfig{Driver: driverSQLite, Path: filepath.Join(dir, "badgebot.db")}
	}
	return config.StorageConfig{Driver: driverPostgres, URL: config.SecretURL(tempSchema(t, server))}
}

// testConfig is the example config with the test's database (testStorage)
// and its keys in dir.
func testConfig(t testing.TB, dir string) config.Config {
	t.Helper()
	cfg, err := config.Load("../../config.example.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Storage = testStorage(t, dir)
	cfg.Issuer.KeyDir = filepath.Join(dir, "keys")
	return cfg
}

// tempSchema creates a schema for the test, dropped when it ends.
func tempSchema(t testing.TB, server string) string {
	t.Helper()
	url, drop, err := postgres.TempSchema(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return url
}

// TestOpenLogsMigrations: opening a database that had migrations pending
// says which it applied (an upgrade may rebuild a table for a while);
// opening it again, up to date, says nothing of migrations.
func TestOpenLogsMigrations(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	open := func() string {
		t.Helper()
		var logs bytes.Buffer
		app := NewApp(cfg, newLogger(&logs, slog.LevelInfo))
		if err := app.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		app.Close()
		return logs.String()
	}
	if logs := open(); !strings.Contains(logs, `msg="database migrated"`) || !strings.Contains(logs, "001_init.sql") {
		t.Errorf("first open of a new database logged:\n%s\nwant the migrations it applied", logs)
	}
	if logs := open(); strings.Contains(logs, "migrated") {
		t.Errorf("second open logged:\n%s\nwant nothing of migrations", logs)
	}
}
