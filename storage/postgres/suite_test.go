package postgres

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/issuer"
	"github.com/badgebot/badgebot/storage/storetest"
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
	url, drop, err := TempSchema(context.Background(), testServer(t))
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
