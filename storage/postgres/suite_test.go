package postgres

import (
	"context"
	"crypto/rand"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/issuer"
	"github.com/badgebot/badgebot/storage/storetest"
	"github.com/jackc/pgx/v5"
)

// testServer returns the PostgreSQL server the tests use
// (BADGEBOT_TEST_PG, a connection URL), or skips the test when none is
// named.
func testServer(t testing.TB) string {
	t.Helper()
	url := os.Getenv("BADGEBOT_TEST_PG")
	if url == "" {
		t.Skip("BADGEBOT_TEST_PG is not set: no PostgreSQL server to test against")
	}
	return url
}

// testURL creates a schema of its own for one test on the test server,
// dropped when the test ends, and returns a URL whose connections use it.
func testURL(t testing.TB) string {
	t.Helper()
	server := testServer(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("connect to BADGEBOT_TEST_PG: %v", err)
	}
	defer conn.Close(ctx)
	schema := "test_" + strings.ToLower(rand.Text()[:16])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("connect to drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return WithSchema(server, schema)
}

// TestConformance runs the stores' conformance suite on PostgreSQL.
func TestConformance(t *testing.T) {
	testServer(t)
	storetest.Run(t, func(t testing.TB) storetest.DB { return openSuite(t, testURL(t)) })
}

type suiteDB struct {
	*DB
	url string
}

func (s suiteDB) Source(baseURL string) issuer.Source { return s.IssuerSource(baseURL) }

func (s suiteDB) Exec(ctx context.Context, what, query string, args ...any) error {
	_, err := s.pool.Exec(ctx, dollars(query), args...)
	return dbError(err, what)
}

func (s suiteDB) QueryRow(ctx context.Context, query string, args ...any) storetest.Row {
	return s.pool.QueryRow(ctx, dollars(query), args...)
}

func (s suiteDB) Reopen(t testing.TB) storetest.DB { return openSuite(t, s.url) }

// dollars numbers the ? placeholders of the suite's SQL as $1, $2…
func dollars(q string) string {
	var sb strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			sb.WriteString("$" + strconv.Itoa(n))
			continue
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

func openSuite(t testing.TB, url string) storetest.DB {
	t.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return suiteDB{db, url}
}
