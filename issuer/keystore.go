package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// KeyStore keeps the issuer's private keys where every process that signs
// or publishes can read them, so that a key made by one (`badgebot keys
// rotate`) is published and used by the others without a restart. KeyDir
// keeps them in a directory; replicas that share no file system would keep
// them in their database behind the same three calls.
type KeyStore interface {
	// Load returns every stored key. A store without keys returns an
	// empty set and no error.
	Load(ctx context.Context) (KeySet, error)
	// Version returns a token that differs from the Version of the last
	// Load once keys were added. KeyRing asks before it publishes or looks
	// up a key, and at most once a second before it signs, so it must be
	// cheap; a remote store may answer from a cache.
	Version(ctx context.Context) (string, error)
	// Add stores keys and makes them the current ones of their
	// algorithms, keeping every key already stored, those added meanwhile
	// by other processes included.
	Add(ctx context.Context, keys []StoredKey) error
}

// StoredKey is one private key as a KeyStore keeps it.
type StoredKey struct {
	Name      string // unique within the store: a KeyDir's file name
	Algorithm string // KeyEd25519 or KeyRSA
	Created   time.Time
	PEM       []byte // PKCS#8 "PRIVATE KEY"
}

// KeySet is what a KeyStore holds.
type KeySet struct {
	Keys    []StoredKey       // oldest first
	Current map[string]string // algorithm -> Name of the key new documents are signed with
	Version string            // as KeyStore.Version; empty for a store without keys
}

// KeyDir is a KeyStore in a directory (mode 0700): each key a PEM PKCS#8
// file (mode 0600) beside a manifest, keys.json, that lists the keys, when
// each was made and which are current. Keys are only ever added; the
// manifest is replaced atomically after the files it names are on disk,
// and additions from several processes are serialised by a lock file.
type KeyDir struct {
	dir string
}

var _ KeyStore = (*KeyDir)(nil)

// NewKeyDir returns the key store in dir. Nothing is created until keys
// are added.
func NewKeyDir(dir string) *KeyDir { return &KeyDir{dir: dir} }

// Dir returns the directory of the store.
func (d *KeyDir) Dir() string { return d.dir }

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

// Load reads the manifest and every key it lists. The version is taken
// from the manifest file that was read, so a rotation that replaces it
// meanwhile is seen by the next Version.
func (d *KeyDir) Load(ctx context.Context) (KeySet, error) {
	if err := d.restrict(); err != nil {
		return KeySet{}, err
	}
	m, version, err := d.readManifest()
	if errors.Is(err, fs.ErrNotExist) {
		return KeySet{}, nil
	} else if err != nil {
		return KeySet{}, err
	}
	set := KeySet{Current: m.Current, Version: version}
	for _, mk := range m.Keys {
		if filepath.Base(mk.File) != mk.File || mk.File == "." || mk.File == manifestName {
			return KeySet{}, fmt.Errorf("issuer: key manifest %s: bad file name %q", d.manifestPath(), mk.File)
		}
		b, err := os.ReadFile(filepath.Join(d.dir, mk.File))
		if err != nil {
			return KeySet{}, fmt.Errorf("issuer: reading key: %w", err)
		}
		set.Keys = append(set.Keys, StoredKey{Name: mk.File, Algorithm: mk.Algorithm, Created: mk.Created, PEM: b})
	}
	return set, nil
}

// Version stats the manifest: its modification time and size. Keys are
// only added, so every rotation writes a longer manifest.
func (d *KeyDir) Version(ctx context.Context) (string, error) {
	st, err := os.Stat(d.manifestPath())
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("issuer: key manifest: %w", err)
	}
	return fileVersion(st), nil
}

func fileVersion(st fs.FileInfo) string {
	return strconv.FormatInt(st.ModTime().UnixNano(), 36) + "." + strconv.FormatInt(st.Size(), 36)
}

// Add writes the key files, then, under the directory's lock, a manifest
// that lists every key stored so far and these as current.
func (d *KeyDir) Add(ctx context.Context, keys []StoredKey) error {
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return fmt.Errorf("issuer: creating key directory: %w", err)
	}
	if err := d.restrict(); err != nil {
		return err
	}
	unlock, err := lockDir(d.dir)
	if err != nil {
		return fmt.Errorf("issuer: locking key directory: %w", err)
	}
	defer unlock()
	m, _, err := d.readManifest()
	if errors.Is(err, fs.ErrNotExist) {
		m = &manifest{}
	} else if err != nil {
		return err
	}
	if m.Current == nil {
		m.Current = map[string]string{}
	}
	for _, k := range keys {
		if filepath.Base(k.Name) != k.Name || k.Name == manifestName {
			return fmt.Errorf("issuer: bad key file name %q", k.Name)
		}
		if err := writeFileSync(filepath.Join(d.dir, k.Name), k.PEM); err != nil {
			return err
		}
		m.Keys = append(m.Keys, manifestKey{File: k.Name, Algorithm: k.Algorithm, Created: k.Created.UTC()})
		m.Current[k.Algorithm] = k.Name
	}
	return d.writeManifest(m)
}

// restrict makes an existing key directory private: one others can read
// defeats the 0600 files in it.
func (d *KeyDir) restrict() error {
	st, err := os.Stat(d.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("issuer: key directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("issuer: key directory %s is not a directory", d.dir)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(d.dir, 0o700); err != nil {
			return fmt.Errorf("issuer: restricting key directory: %w", err)
		}
	}
	return nil
}

func (d *KeyDir) manifestPath() string { return filepath.Join(d.dir, manifestName) }

// readManifest reads keys.json and the version of the file it read.
func (d *KeyDir) readManifest() (*manifest, string, error) {
	f, err := os.Open(d.manifestPath())
	if err != nil {
		return nil, "", fmt.Errorf("issuer: reading key manifest: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "", fmt.Errorf("issuer: reading key manifest: %w", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, "", fmt.Errorf("issuer: reading key manifest: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, "", fmt.Errorf("issuer: parsing key manifest %s: %w", d.manifestPath(), err)
	}
	return &m, fileVersion(st), nil
}

// writeManifest replaces keys.json atomically.
func (d *KeyDir) writeManifest(m *manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("issuer: encoding key manifest: %w", err)
	}
	tmp, err := os.CreateTemp(d.dir, manifestName+".*")
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
		werr = os.Rename(tmp.Name(), d.manifestPath())
	}
	if werr == nil {
		werr = syncDir(d.dir)
	}
	if werr != nil {
		return fmt.Errorf("issuer: writing key manifest: %w", werr)
	}
	return nil
}

// writeFileSync creates name (mode 0600, never replacing a file) with data
// and syncs it.
func writeFileSync(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("issuer: creating key file: %w", err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		return fmt.Errorf("issuer: writing key file: %w", werr)
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// KeyFile is one file of a key directory.
type KeyFile struct {
	Name string // keys.json or a key's file name
	Data []byte
}

// DirFiles returns the files of a key directory that holds set: its
// manifest and one PEM file per key. Backups write them, so that whatever
// store the keys came from they restore as a KeyDir.
func (set KeySet) DirFiles() ([]KeyFile, error) {
	m := manifest{Current: set.Current}
	var files []KeyFile
	for _, k := range set.Keys {
		if filepath.Base(k.Name) != k.Name || k.Name == manifestName {
			return nil, fmt.Errorf("issuer: bad key file name %q", k.Name)
		}
		m.Keys = append(m.Keys, manifestKey{File: k.Name, Algorithm: k.Algorithm, Created: k.Created.UTC()})
		files = append(files, KeyFile{Name: k.Name, Data: k.PEM})
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("issuer: encoding key manifest: %w", err)
	}
	return append([]KeyFile{{Name: manifestName, Data: append(b, '\n')}}, files...), nil
}
