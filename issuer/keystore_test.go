package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// currentIDs returns the ids of the current Ed25519 and RSA keys.
func currentIDs(t *testing.T, k *KeyRing) (ed, rsa string) {
	t.Helper()
	for _, ki := range k.Keys() {
		if ki.Current && ki.Algorithm == KeyEd25519 {
			ed = ki.ID
		} else if ki.Current && ki.Algorithm == KeyRSA {
			rsa = ki.ID
		}
	}
	return ed, rsa
}

// TestKeyRingPicksUpRotationByAnotherProcess: two rings on one key
// directory stand for a running server and `badgebot keys rotate`. After
// the rotation the server's ring publishes the new keys in its profile and
// JWKS and signs new credentials with them, without being reopened.
func TestKeyRingPicksUpRotationByAnotherProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	server, err := OpenKeyRing(dir)
	if err != nil {
		t.Fatal(err)
	}
	is, err := New(testProfile, server)
	if err != nil {
		t.Fatal(err)
	}
	before := testAward()
	if err := is.SignCredential(&before); err != nil {
		t.Fatal(err)
	}
	cli, err := LoadKeyRing(t.Context(), NewKeyDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Rotate(); err != nil {
		t.Fatal(err)
	}
	newEd, newRSA := currentIDs(t, cli)

	if ed, rsa := currentIDs(t, server); ed != newEd || rsa != newRSA {
		t.Errorf("server's current keys %s, %s; the rotation made %s, %s", ed, rsa, newEd, newRSA)
	}
	if len(server.Keys()) != 4 {
		t.Errorf("server holds %d keys, want 4", len(server.Keys()))
	}
	if !strings.Contains(string(is.ProfileDocument()), newEd) {
		t.Errorf("/issuer does not publish the new Ed25519 key %s", newEd)
	}
	var set jwks
	if err := json.Unmarshal(is.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	kids := map[string]bool{}
	for _, k := range set.Keys {
		kids[k.Kid[strings.LastIndexAny(k.Kid, "#/")+1:]] = true
	}
	if !kids[newRSA] || len(kids) != 2 {
		t.Errorf("JWKS after rotation lists keys %v; want the old one and the new %s", kids, newRSA)
	}
	after := testAward()
	after.ID = "after"
	if err := is.SignCredential(&after); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(after.Credential), newEd) || after.SigningKey != newEd {
		t.Errorf("credential signed after the rotation names key %q, want %s", after.SigningKey, newEd)
	}
	if before.SigningKey == newEd || !server.HasKey(before.SigningKey) {
		t.Errorf("key %q of the credential signed before the rotation: not the old one, or no longer held", before.SigningKey)
	}
	docs := is.verifyDocs(t, nil)
	for _, a := range []Award{before, after} {
		rep, err := Verify(t.Context(), a.Credential, VerifyOptions{Docs: docs, Now: testNow})
		if err != nil || !rep.Valid() {
			t.Errorf("award %s: %v %+v", a.ID, err, rep)
		}
	}
}

// countingStore counts the Version calls of the KeyStore it wraps.
type countingStore struct {
	KeyStore
	versions atomic.Int32
}

func (c *countingStore) Version(ctx context.Context) (string, error) {
	c.versions.Add(1)
	return c.KeyStore.Version(ctx)
}

// TestSigningAsksTheStoreAtMostEverySecond: signing does not stat the key
// manifest for every credential, yet signs with a rotation by another
// process once signingRecheck has passed; the rotated key is published at
// once.
func TestSigningAsksTheStoreAtMostEverySecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "keys")
		if _, err := OpenKeyRing(dir); err != nil {
			t.Fatal(err)
		}
		store := &countingStore{KeyStore: NewKeyDir(dir)}
		server, err := LoadKeyRing(t.Context(), store)
		if err != nil {
			t.Fatal(err)
		}
		is, err := New(testProfile, server)
		if err != nil {
			t.Fatal(err)
		}
		sign := func() string {
			t.Helper()
			a := testAward()
			if err := is.SignCredential(&a); err != nil {
				t.Fatal(err)
			}
			return a.SigningKey
		}
		old := sign()
		store.versions.Store(0)
		for range 100 {
			sign()
		}
		if n := store.versions.Load(); n > 1 {
			t.Errorf("100 signatures within a second asked the store's version %d times, want at most once", n)
		}

		cli, err := LoadKeyRing(t.Context(), NewKeyDir(dir))
		if err != nil {
			t.Fatal(err)
		}
		if err := cli.Rotate(); err != nil {
			t.Fatal(err)
		}
		newEd, _ := currentIDs(t, cli)
		time.Sleep(signingRecheck)
		if got := sign(); got != newEd || got == old {
			t.Errorf("signed %s after the rotation and a second; want the new key %s", got, newEd)
		}

		// Publishing does not wait: a key another process signs with is
		// found at once.
		if err := cli.Rotate(); err != nil {
			t.Fatal(err)
		}
		newer, _ := currentIDs(t, cli)
		if !server.HasKey(newer) {
			t.Errorf("the key rotated in just now, %s, is not found", newer)
		}
	})
}

// TestKeyRingReloadsWhileInUse signs and publishes from several
// goroutines while another ring rotates twice (run with -race): every
// credential names a key the ring then publishes.
func TestKeyRingReloadsWhileInUse(t *testing.T) {
	dir := t.TempDir()
	server, err := OpenKeyRing(dir)
	if err != nil {
		t.Fatal(err)
	}
	is, err := New(testProfile, server)
	if err != nil {
		t.Fatal(err)
	}
	other, err := LoadKeyRing(t.Context(), NewKeyDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	signed := make(chan string, 1000)
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				a := testAward()
				if err := is.SignCredential(&a); err != nil {
					t.Error(err)
					return
				}
				is.ProfileDocument()
				select {
				case signed <- a.SigningKey:
				default:
				}
			}
		})
	}
	for range 2 {
		if err := other.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	close(signed)
	for key := range signed {
		if !server.HasKey(key) {
			t.Fatalf("signed with %s, which the ring does not hold", key)
		}
	}
	serverEd, _ := currentIDs(t, server)
	if otherEd, _ := currentIDs(t, other); serverEd != otherEd {
		t.Errorf("server's current key %s is not the last rotation's %s", serverEd, otherEd)
	}
}

// TestKeyDirConcurrentAddsKeepEveryKey: keys added from several
// processes at once (each its own KeyDir) all end up in the manifest;
// none is dropped by another's rewrite.
func TestKeyDirConcurrentAddsKeepEveryKey(t *testing.T) {
	dir := t.TempDir()
	const writers, adds = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*adds)
	for w := range writers {
		d := NewKeyDir(dir)
		wg.Go(func() {
			for i := range adds {
				sk, err := storedKey("ed25519", KeyEd25519, testNow, testEdKey(fmt.Sprint(w, i)))
				if err == nil {
					err = d.Add(t.Context(), []StoredKey{sk})
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	set, err := NewKeyDir(dir).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != writers*adds {
		t.Errorf("%d keys in the manifest after %d concurrent adds", len(set.Keys), writers*adds)
	}
}

// TestLoadKeyRingMakesNoKeys: loading an empty or missing directory says
// so and creates nothing; only CreateKeyRing makes keys.
func TestLoadKeyRingMakesNoKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if _, err := LoadKeyRing(t.Context(), NewKeyDir(dir)); !errors.Is(err, ErrNoKeys) {
		t.Fatalf("LoadKeyRing of a missing directory: %v, want ErrNoKeys", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadKeyRing created %s: %v", dir, err)
	}
	if _, err := CreateKeyRing(t.Context(), NewKeyDir(dir)); err != nil {
		t.Fatal(err)
	}
	k, err := LoadKeyRing(t.Context(), NewKeyDir(dir))
	if err != nil || len(k.Keys()) != 2 {
		t.Fatalf("after CreateKeyRing: %v", err)
	}
}

// BenchmarkKeyRingCurrent is the cost a signature pays to see a rotation
// by another process: a clock read, and a stat of the manifest once per
// signingRecheck.
func BenchmarkKeyRingCurrent(b *testing.B) {
	k, err := OpenKeyRing(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		k.current()
	}
}
