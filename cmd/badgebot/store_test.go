package main

import (
	"context"
	"os"
	"path/filepath"
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
