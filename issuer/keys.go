package issuer

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
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
// verifying. Keys live in one directory (mode 0700) as PEM PKCS#8 files
// (mode 0600) beside a manifest, keys.json, that says which keys exist,
// when each was made and which are current. Safe for concurrent use.
type KeyRing struct {
	dir string

	mu  sync.RWMutex
	ed  []*edKey  // oldest first
	rsa []*rsaKey // oldest first
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

// manifest is keys.json.
type manifest struct {
	Current map[string]string `json:"current"` // algorithm -> file
	Keys    []manifestKey     `json:"keys"`
}

type manifestKey struct {
	File      string    `json:"file"`
	Algorithm string    `json:"algorithm"`
	Created   time.Time `json:"created"`
}

// OpenKeyRing opens the key directory dir, creating it (mode 0700) and a
// first Ed25519 and RSA-2048 key when it holds none.
func OpenKeyRing(dir string) (*KeyRing, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("issuer: creating key directory: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("issuer: key directory: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		// A key directory others can read defeats the 0600 files in it.
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, fmt.Errorf("issuer: restricting key directory: %w", err)
		}
	}
	k := &KeyRing{dir: dir}
	m, err := readManifest(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := k.Rotate(); err != nil {
			return nil, err
		}
		return k, nil
	case err != nil:
		return nil, err
	}
	if err := k.load(m); err != nil {
		return nil, err
	}
	if len(k.ed) == 0 || len(k.rsa) == 0 {
		// A manifest without one of the kinds (older layout, or a crash
		// between writes): make the missing current key.
		if err := k.Rotate(); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func readManifest(dir string) (*manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, fmt.Errorf("issuer: reading key manifest: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("issuer: parsing key manifest %s: %w", filepath.Join(dir, manifestName), err)
	}
	return &m, nil
}

// load reads every key the manifest lists.
func (k *KeyRing) load(m *manifest) error {
	for _, mk := range m.Keys {
		if filepath.Base(mk.File) != mk.File {
			return fmt.Errorf("issuer: key manifest: bad file name %q", mk.File)
		}
		b, err := os.ReadFile(filepath.Join(k.dir, mk.File))
		if err != nil {
			return fmt.Errorf("issuer: reading key: %w", err)
		}
		priv, err := parsePrivateKeyPEM(b)
		if err != nil {
			return fmt.Errorf("issuer: key file %s: %w", mk.File, err)
		}
		switch key := priv.(type) {
		case ed25519.PrivateKey:
			if mk.Algorithm != KeyEd25519 {
				return fmt.Errorf("issuer: key file %s holds Ed25519, manifest says %s", mk.File, mk.Algorithm)
			}
			if m.Current[KeyEd25519] == mk.File {
				k.curEd = len(k.ed)
			}
			k.ed = append(k.ed, newEdKey(mk.File, mk.Created, key))
		case *rsa.PrivateKey:
			if mk.Algorithm != KeyRSA {
				return fmt.Errorf("issuer: key file %s holds RSA, manifest says %s", mk.File, mk.Algorithm)
			}
			rk, err := newRSAKey(mk.File, mk.Created, key)
			if err != nil {
				return err
			}
			if m.Current[KeyRSA] == mk.File {
				k.curRSA = len(k.rsa)
			}
			k.rsa = append(k.rsa, rk)
		default:
			return fmt.Errorf("issuer: key file %s: unsupported key type %T", mk.File, priv)
		}
	}
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

// Rotate makes a new Ed25519 and a new RSA key and makes them current.
// Older keys stay in the ring and stay published.
func (k *KeyRing) Rotate() error {
	now := time.Now().UTC().Truncate(time.Second)
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("issuer: generating Ed25519 key: %w", err)
	}
	rsaPriv, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return fmt.Errorf("issuer: generating RSA key: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	edFile, err := k.writeKey("ed25519", now, edPriv)
	if err != nil {
		return err
	}
	rsaFile, err := k.writeKey("rsa", now, rsaPriv)
	if err != nil {
		return err
	}
	rk, err := newRSAKey(rsaFile, now, rsaPriv)
	if err != nil {
		return err
	}
	ed := append(k.ed[:len(k.ed):len(k.ed)], newEdKey(edFile, now, edPriv))
	rs := append(k.rsa[:len(k.rsa):len(k.rsa)], rk)
	if err := k.writeManifest(ed, rs, len(ed)-1, len(rs)-1); err != nil {
		return err
	}
	k.ed, k.rsa, k.curEd, k.curRSA = ed, rs, len(ed)-1, len(rs)-1
	return nil
}

// writeKey stores a private key as PEM PKCS#8, mode 0600, under a new name.
func (k *KeyRing) writeKey(prefix string, now time.Time, priv crypto.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("issuer: encoding %s key: %w", prefix, err)
	}
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("issuer: naming key file: %w", err)
	}
	name := fmt.Sprintf("%s-%s-%s.pem", prefix, now.Format("20060102T150405Z"), hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(filepath.Join(k.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("issuer: creating key file: %w", err)
	}
	werr := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if werr == nil {
		werr = f.Sync()
	}
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		return "", fmt.Errorf("issuer: writing key file: %w", werr)
	}
	return name, nil
}

// writeManifest replaces keys.json atomically.
func (k *KeyRing) writeManifest(ed []*edKey, rs []*rsaKey, curEd, curRSA int) error {
	m := manifest{Current: map[string]string{KeyEd25519: ed[curEd].file, KeyRSA: rs[curRSA].file}}
	for _, e := range ed {
		m.Keys = append(m.Keys, manifestKey{File: e.file, Algorithm: KeyEd25519, Created: e.created})
	}
	for _, r := range rs {
		m.Keys = append(m.Keys, manifestKey{File: r.file, Algorithm: KeyRSA, Created: r.created})
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("issuer: encoding key manifest: %w", err)
	}
	tmp, err := os.CreateTemp(k.dir, manifestName+".*")
	if err != nil {
		return fmt.Errorf("issuer: writing key manifest: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	_, werr := tmp.Write(append(b, '\n'))
	if werr == nil {
		werr = tmp.Sync()
	}
	if err := tmp.Close(); werr == nil {
		werr = err
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), filepath.Join(k.dir, manifestName))
	}
	if werr != nil {
		return fmt.Errorf("issuer: writing key manifest: %w", werr)
	}
	return nil
}

// Keys lists every key, oldest first within each algorithm.
func (k *KeyRing) Keys() []KeyInfo {
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

// current returns the keys new awards are signed with.
func (k *KeyRing) current() (*edKey, *rsaKey) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.ed[k.curEd], k.rsa[k.curRSA]
}

// all returns every key; the slices are never modified in place.
func (k *KeyRing) all() ([]*edKey, []*rsaKey) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.ed, k.rsa
}
