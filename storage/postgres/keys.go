package postgres

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/badgebot/badgebot/issuer"
	"github.com/jackc/pgx/v5"
)

// KeyStore keeps the issuer's signing keys in the database (table
// issuer_keys), so that every replica signs with and publishes the same
// keys without a shared file system: a rotation on one is seen by the
// others within keyVersionTTL. Keys are only ever added, so the version is
// the number of the newest row.
type KeyStore struct {
	db *DB

	mu      sync.Mutex // one version query at a time
	version string
	checked time.Time // when version was read; zero: never
}

var _ issuer.KeyStore = (*KeyStore)(nil)

// keyVersionTTL is how long Version answers from its cache: the key ring
// asks before every key it serves, and once a second before it signs.
const keyVersionTTL = time.Second

// KeyStore returns the database's key store.
func (db *DB) KeyStore() *KeyStore { return &KeyStore{db: db} }

// Load returns every stored key, oldest first.
func (s *KeyStore) Load(ctx context.Context) (issuer.KeySet, error) {
	return loadKeys(ctx, s.db.pool)
}

func loadKeys(ctx context.Context, q querier) (issuer.KeySet, error) {
	rows, err := q.Query(ctx, `SELECT seq, name, algorithm, created_at, pem, current FROM issuer_keys ORDER BY seq`)
	if err != nil {
		return issuer.KeySet{}, dbError(err, "load signing keys")
	}
	var set issuer.KeySet
	var seq, created int64
	var current bool
	var k issuer.StoredKey
	_, err = pgx.ForEachRow(rows, []any{&seq, &k.Name, &k.Algorithm, &created, &k.PEM, &current}, func() error {
		k.Created = fromMillis(created)
		set.Keys = append(set.Keys, k)
		if current {
			if set.Current == nil {
				set.Current = map[string]string{}
			}
			set.Current[k.Algorithm] = k.Name
		}
		set.Version = strconv.FormatInt(seq, 10)
		k.PEM = nil // scanned into afresh for the next row
		return nil
	})
	if err != nil {
		return issuer.KeySet{}, dbError(err, "load signing keys")
	}
	return set, nil
}

// Version returns the number of the newest key, from a cache at most
// keyVersionTTL old.
func (s *KeyStore) Version(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.checked.IsZero() && time.Since(s.checked) < keyVersionTTL {
		return s.version, nil
	}
	var seq *int64
	if err := s.db.pool.QueryRow(ctx, `SELECT max(seq) FROM issuer_keys`).Scan(&seq); err != nil {
		return s.version, dbError(err, "signing keys version")
	}
	s.version = ""
	if seq != nil {
		s.version = strconv.FormatInt(*seq, 10)
	}
	s.checked = time.Now()
	return s.version, nil
}

// Add stores keys, in one transaction, as the current ones of their
// algorithms.
func (s *KeyStore) Add(ctx context.Context, keys []issuer.StoredKey) error {
	err := s.db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		return insertKeys(ctx, tx, keys, func(issuer.StoredKey) bool { return true })
	})
	s.forget()
	return dbError(err, "store signing keys")
}

// insertKeys stores keys; those current says are current replace the
// current key of their algorithm. Concurrent rotations wait for each
// other on the table lock, so each algorithm keeps one current key.
func insertKeys(ctx context.Context, tx pgx.Tx, keys []issuer.StoredKey, current func(issuer.StoredKey) bool) error {
	if _, err := tx.Exec(ctx, `LOCK TABLE issuer_keys IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return err
	}
	for _, k := range keys {
		cur := current(k)
		if cur {
			if _, err := tx.Exec(ctx, `UPDATE issuer_keys SET current = false WHERE algorithm = $1 AND current`, k.Algorithm); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO issuer_keys (name, algorithm, created_at, pem, current) VALUES ($1, $2, $3, $4, $5)`,
			k.Name, k.Algorithm, millis(k.Created), k.PEM, cur); err != nil {
			return err
		}
	}
	return nil
}

// Merge adds the keys of set (another store's: a key directory) that the
// database lacks, by name, and returns how many it added. Into a database
// without keys set's current keys come in current; into one with keys
// they come in as older keys, published but not signed with.
func (s *KeyStore) Merge(ctx context.Context, set issuer.KeySet) (int, error) {
	added := 0
	err := s.db.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		added = 0
		// Replicas starting together merge one after the other.
		if _, err := tx.Exec(ctx, `LOCK TABLE issuer_keys IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		have, err := loadKeys(ctx, tx)
		if err != nil {
			return err
		}
		names := map[string]bool{}
		for _, k := range have.Keys {
			names[k.Name] = true
		}
		var add []issuer.StoredKey
		for _, k := range set.Keys {
			if !names[k.Name] {
				add = append(add, k)
			}
		}
		added = len(add)
		empty := len(have.Keys) == 0
		return insertKeys(ctx, tx, add, func(k issuer.StoredKey) bool { return empty && set.Current[k.Algorithm] == k.Name })
	})
	s.forget()
	if err != nil {
		return 0, dbError(err, "import signing keys")
	}
	return added, nil
}

// forget drops the cached version, so that this process sees its own
// additions at once.
func (s *KeyStore) forget() {
	s.mu.Lock()
	s.checked = time.Time{}
	s.mu.Unlock()
}
