package storage_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/badgebot/badgebot/issuer"
	"github.com/badgebot/badgebot/storage"
	"github.com/badgebot/badgebot/storage/storetest"
)

// TestConformance runs the stores' conformance suite on SQLite files.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t testing.TB) storetest.DB {
		return openSuite(t, filepath.Join(t.TempDir(), "data", "badgebot.db"))
	})
}

// TestConformanceReplayed runs the suite again with every write run
// twice, as the writes of a batch are when one of them fails: each write
// must report what its last run did, and nothing it did in the first run
// may remain.
func TestConformanceReplayed(t *testing.T) {
	storetest.Run(t, func(t testing.TB) storetest.DB {
		db := openSuite(t, filepath.Join(t.TempDir(), "data", "badgebot.db"))
		db.(suiteDB).ReplayBatches()
		return db
	})
}

// suiteDB adds the suite's hooks to the SQLite store.
type suiteDB struct{ *storage.DB }

func (s suiteDB) Source(baseURL string) issuer.Source { return s.IssuerSource(baseURL) }

func (s suiteDB) Exec(ctx context.Context, what, query string, args ...any) error {
	return s.TestExec(ctx, what, query, args...)
}

func (s suiteDB) QueryRow(ctx context.Context, query string, args ...any) storetest.Row {
	return s.TestQueryRow(ctx, query, args...)
}

func (s suiteDB) Reopen(t testing.TB) storetest.DB { return openSuite(t, s.Path()) }

func openSuite(t testing.TB, path string) storetest.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return suiteDB{db}
}
