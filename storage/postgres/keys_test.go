package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/badgebot/badgebot/issuer"
)

func storedKey(name, alg string) issuer.StoredKey {
	return issuer.StoredKey{Name: name, Algorithm: alg, Created: time.Unix(1700000000, 0).UTC(), PEM: []byte("pem of " + name)}
}

// TestKeyStoreShared: keys one handle adds are loaded, current, by
// another on the same database; a key directory merged into a database
// without keys keeps its current keys, merged into one with keys adds
// older published ones without changing the current ones, and merging
// twice adds nothing.
func TestKeyStoreShared(t *testing.T) {
	ctx := context.Background()
	url := testURL(t)
	a, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ka, kb := a.KeyStore(), b.KeyStore()
	if set, err := kb.Load(ctx); err != nil || len(set.Keys) != 0 || set.Version != "" {
		t.Fatalf("empty store: %+v %v", set, err)
	}

	dir := issuer.KeySet{
		Keys:    []issuer.StoredKey{storedKey("ed-1", issuer.KeyEd25519), storedKey("rsa-1", issuer.KeyRSA), storedKey("ed-2", issuer.KeyEd25519), storedKey("rsa-2", issuer.KeyRSA)},
		Current: map[string]string{issuer.KeyEd25519: "ed-1", issuer.KeyRSA: "rsa-2"},
	}
	if n, err := ka.Merge(ctx, dir); err != nil || n != 4 {
		t.Fatalf("merge into an empty store: %d, %v", n, err)
	}
	if n, err := kb.Merge(ctx, dir); err != nil || n != 0 {
		t.Fatalf("second merge: %d, %v; want nothing added", n, err)
	}
	set, err := kb.Load(ctx)
	if err != nil || len(set.Keys) != 4 || set.Current[issuer.KeyEd25519] != "ed-1" || set.Current[issuer.KeyRSA] != "rsa-2" {
		t.Fatalf("after the merge: %+v %v", set, err)
	}
	v1, err := kb.Version(ctx)
	if err != nil || v1 != set.Version {
		t.Fatalf("version %q %v, want %q", v1, err, set.Version)
	}

	// A rotation on a is current on b.
	if err := ka.Add(ctx, []issuer.StoredKey{storedKey("ed-3", issuer.KeyEd25519), storedKey("rsa-3", issuer.KeyRSA)}); err != nil {
		t.Fatal(err)
	}
	set, err = kb.Load(ctx)
	if err != nil || len(set.Keys) != 6 || set.Current[issuer.KeyEd25519] != "ed-3" || set.Current[issuer.KeyRSA] != "rsa-3" {
		t.Fatalf("after the rotation: %+v %v", set, err)
	}
	if string(set.Keys[4].PEM) != "pem of ed-3" {
		t.Errorf("key read back: %q", set.Keys[4].PEM)
	}
	kb.forget() // as keyVersionTTL passing would
	if v2, err := kb.Version(ctx); err != nil || v2 == v1 || v2 != set.Version {
		t.Errorf("version after the rotation %q %v; before %q, loaded %q", v2, err, v1, set.Version)
	}

	// Another replica's directory: its keys are published, not current.
	other := issuer.KeySet{Keys: []issuer.StoredKey{storedKey("ed-x", issuer.KeyEd25519)}, Current: map[string]string{issuer.KeyEd25519: "ed-x"}}
	if n, err := kb.Merge(ctx, other); err != nil || n != 1 {
		t.Fatalf("merge into a store with keys: %d, %v", n, err)
	}
	set, err = ka.Load(ctx)
	if err != nil || len(set.Keys) != 7 || set.Current[issuer.KeyEd25519] != "ed-3" {
		t.Errorf("after merging another directory: %+v %v", set, err)
	}
}
