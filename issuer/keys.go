package issuer

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Key algorithms held by a KeyRing.
const (
	KeyEd25519 = "Ed25519" // Data Integrity eddsa-rdfc-2022
	KeyRSA     = "RSA"     // VC-JWT RS256
)

// manifestName is the file in the key directory that lists every key.
const manifestName = "keys.json"

// rsaBits is the size of new RSA keys.
const rsaBits = 2048

// KeyRing holds the issuer's signing keys: the current Ed25519 and RSA
// keys and every older one, which stay published so that old awards keep
// verifying. The keys are kept in a KeyStore (a KeyDir); before it
// publishes or looks up a key, and at most every signingRecheck before it
// signs, the ring asks the store whether keys were added, by this process
// or another, and loads them, so a rotation is published and used without
// a restart. Safe for concurrent use.
type KeyRing struct {
	store    KeyStore     // nil: fixed keys (tests)
	reloadMu sync.Mutex   // one reload at a time
	checked  atomic.Int64 // unix nanoseconds of the last refresh that found the store's version

	mu      sync.RWMutex
	version string    // of the store's set last loaded
	ed      []*edKey  // oldest first
	rsa     []*rsaKey // oldest first
	// index of the current key in ed and rsa
	curEd, curRSA int
}

type edKey struct {
	file      string
	created   time.Time
	priv      ed25519.PrivateKey
	pub       ed25519.PublicKey
	multibase string // publicKeyMultibase, "z6Mk…"
}

type rsaKey struct {
	file    string
	created time.Time
	priv    *rsa.PrivateKey
	thumb   string // RFC 7638 SHA-256 thumbprint, base64url
}

// KeyInfo describes one key of a KeyRing, without secret material.
type KeyInfo struct {
	Algorithm string    // KeyEd25519 or KeyRSA
	ID        string    // publicKeyMultibase (Ed25519) or RFC 7638 thumbprint (RSA)
	Created   time.Time // when the key was made
	Current   bool      // whether new awards are signed with it
}

// ErrNoKeys is returned by LoadKeyRing for a store that holds no keys.
var ErrNoKeys = errors.New("issuer: no signing keys")

// OpenKeyRing opens the key directory dir, creating it (mode 0700) and a
// first Ed25519 and RSA-2048 key when it holds none.
func OpenKeyRing(dir string) (*KeyRing, error) {
	return CreateKeyRing(context.Background(), NewKeyDir(dir))
}

// CreateKeyRing loads the keys of s, making a first Ed25519 and RSA-2048
// key when it holds none.
func CreateKeyRing(ctx context.Context, s KeyStore) (*KeyRing, error) {
	k, err := LoadKeyRing(ctx, s)
	if errors.Is(err, ErrNoKeys) {
		k = &KeyRing{store: s}
		err = k.Rotate()
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

// LoadKeyRing loads the keys of s. A store without keys is ErrNoKeys: only
// the caller knows whether new keys are right (a new instance) or would
// orphan everything signed before (keys lost).
func LoadKeyRing(ctx context.Context, s KeyStore) (*KeyRing, error) {
	set, err := s.Load(ctx)
	if err != nil {
		return nil, err
	}
	if len(set.Keys) == 0 {
		return nil, ErrNoKeys
	}
	k := &KeyRing{store: s}
	if err := k.apply(set); err != nil {
		return nil, err
	}
	if len(k.ed) == 0 || len(k.rsa) == 0 {
		// A store without one of the kinds (older layout, or a crash
		// between writes): make the missing current key.
		if err := k.Rotate(); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Reload loads the keys added to the store since the last load. Keys the
// ring holds stay in it, so what it signed stays published.
func (k *KeyRing) Reload(ctx context.Context) error {
	if k.store == nil {
		return nil
	}
	k.reloadMu.Lock()
	defer k.reloadMu.Unlock()
	set, err := k.store.Load(ctx)
	if err != nil {
		return err
	}
	k.mu.RLock()
	same := set.Version == k.version
	k.mu.RUnlock()
	if same {
		return nil
	}
	return k.apply(set)
}

// signingRecheck is how long signing trusts the keys it last checked
// against the store. Asking a KeyDir costs a stat of its manifest, about
// a fiftieth of the CPU an award from a webhook costs (cmd/badgebot
// BenchmarkProcess), so signing asks at most this often: a rotation by
// another process is signed with within a second, as the PostgreSQL store
// answers Version from a cache that old. Publishing and looking up keys
// still ask on every use, so a key another process signs with is
// published at once.
const signingRecheck = time.Second

// refresh reloads when the store's version moved. Errors leave the keys as
// they are; the next use tries again.
func (k *KeyRing) refresh() {
	if k.store == nil {
		return
	}
	v, err := k.store.Version(context.Background())
	if err != nil {
		return
	}
	k.mu.RLock()
	same := v == k.version
	k.mu.RUnlock()
	if !same && k.Reload(context.Background()) != nil {
		return
	}
	k.checked.Store(time.Now().UnixNano())
}

// apply adds the keys of set that the ring lacks and takes set's current
// keys. It parses outside the lock and never changes a slice in place:
// all hands them out.
func (k *KeyRing) apply(set KeySet) error {
	k.mu.RLock()
	ed, rs, curEd, curRSA := k.ed, k.rsa, k.curEd, k.curRSA
	k.mu.RUnlock()
	have := map[string]bool{}
	for _, e := range ed {
		have[e.file] = true
	}
	for _, r := range rs {
		have[r.file] = true
	}
	ed, rs = ed[:len(ed):len(ed)], rs[:len(rs):len(rs)]
	for _, sk := range set.Keys {
		if have[sk.Name] {
			continue
		}
		priv, err := parsePrivateKeyPEM(sk.PEM)
		if err != nil {
			return fmt.Errorf("issuer: key file %s: %w", sk.Name, err)
		}
		switch key := priv.(type) {
		case ed25519.PrivateKey:
			if sk.Algorithm != KeyEd25519 {
				return fmt.Errorf("issuer: key file %s holds Ed25519, manifest says %s", sk.Name, sk.Algorithm)
			}
			ed = append(ed, newEdKey(sk.Name, sk.Created, key))
		case *rsa.PrivateKey:
			if sk.Algorithm != KeyRSA {
				return fmt.Errorf("issuer: key file %s holds RSA, manifest says %s", sk.Name, sk.Algorithm)
			}
			rk, err := newRSAKey(sk.Name, sk.Created, key)
			if err != nil {
				return err
			}
			rs = append(rs, rk)
		default:
			return fmt.Errorf("issuer: key file %s: unsupported key type %T", sk.Name, priv)
		}
	}
	for i, e := range ed {
		if e.file == set.Current[KeyEd25519] {
			curEd = i
		}
	}
	for i, r := range rs {
		if r.file == set.Current[KeyRSA] {
			curRSA = i
		}
	}
	k.mu.Lock()
	k.ed, k.rsa, k.curEd, k.curRSA, k.version = ed, rs, curEd, curRSA, set.Version
	k.mu.Unlock()
	return nil
}

func parsePrivateKeyPEM(b []byte) (crypto.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM PKCS#8 private key")
	}
	key, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing PKCS#8: %w", err)
	}
	return key, nil
}

func newEdKey(file string, created time.Time, priv ed25519.PrivateKey) *edKey {
	pub := priv.Public().(ed25519.PublicKey)
	return &edKey{file: file, created: created.UTC(), priv: priv, pub: pub, multibase: MultikeyEd25519(pub)}
}

func newRSAKey(file string, created time.Time, priv *rsa.PrivateKey) (*rsaKey, error) {
	priv.Precompute()
	jwk := jose.JSONWebKey{Key: &priv.PublicKey}
	t, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("issuer: RSA key thumbprint: %w", err)
	}
	return &rsaKey{file: file, created: created.UTC(), priv: priv, thumb: b64url(t)}, nil
}

// Rotate makes a new Ed25519 and a new RSA key, stores them and makes
// them current. Older keys stay in the ring and stay published.
func (k *KeyRing) Rotate() error {
	if k.store == nil {
		return errors.New("issuer: rotate: the key ring has no store")
	}
	now := time.Now().UTC().Truncate(time.Second)
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("issuer: generating Ed25519 key: %w", err)
	}
	rsaPriv, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return fmt.Errorf("issuer: generating RSA key: %w", err)
	}
	edKey, err := storedKey("ed25519", KeyEd25519, now, edPriv)
	if err != nil {
		return err
	}
	rsaKey, err := storedKey("rsa", KeyRSA, now, rsaPriv)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := k.store.Add(ctx, []StoredKey{edKey, rsaKey}); err != nil {
		return err
	}
	return k.Reload(ctx)
}

// storedKey encodes a private key as PEM PKCS#8 under a new name.
func storedKey(prefix, alg string, now time.Time, priv crypto.PrivateKey) (StoredKey, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return StoredKey{}, fmt.Errorf("issuer: encoding %s key: %w", prefix, err)
	}
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return StoredKey{}, fmt.Errorf("issuer: naming key file: %w", err)
	}
	name := fmt.Sprintf("%s-%s-%s.pem", prefix, now.Format("20060102T150405Z"), hex.EncodeToString(rnd[:]))
	return StoredKey{Name: name, Algorithm: alg, Created: now, PEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}, nil
}

// HasKey reports whether the ring holds the key with the given id (an
// Ed25519 publicKeyMultibase or an RSA thumbprint), loading keys added to
// the store first.
func (k *KeyRing) HasKey(id string) bool {
	k.refresh()
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, e := range k.ed {
		if e.multibase == id {
			return true
		}
	}
	for _, r := range k.rsa {
		if r.thumb == id {
			return true
		}
	}
	return false
}

// Keys lists every key, oldest first within each algorithm.
func (k *KeyRing) Keys() []KeyInfo {
	k.refresh()
	k.mu.RLock()
	defer k.mu.RUnlock()
	var out []KeyInfo
	for i, e := range k.ed {
		out = append(out, KeyInfo{Algorithm: KeyEd25519, ID: e.multibase, Created: e.created, Current: i == k.curEd})
	}
	for i, r := range k.rsa {
		out = append(out, KeyInfo{Algorithm: KeyRSA, ID: r.thumb, Created: r.created, Current: i == k.curRSA})
	}
	return out
}

// current returns the keys new awards are signed with: the newest the
// store said were current at most signingRecheck ago.
func (k *KeyRing) current() (*edKey, *rsaKey) {
	if time.Now().UnixNano()-k.checked.Load() >= int64(signingRecheck) {
		k.refresh()
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.ed[k.curEd], k.rsa[k.curRSA]
}

// all returns every key; the slices are never modified in place.
func (k *KeyRing) all() ([]*edKey, []*rsaKey) {
	k.refresh()
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.ed, k.rsa
}
