package issuer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenKeyRingCreatesKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := OpenKeyRing(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %v, want 0700", st.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	pems := 0
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
		if strings.HasSuffix(e.Name(), ".pem") {
			pems++
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			if !strings.HasPrefix(string(b), "-----BEGIN PRIVATE KEY-----") {
				t.Errorf("%s is not PEM PKCS#8", e.Name())
			}
		}
	}
	if pems != 2 {
		t.Errorf("%d key files, want 2 (Ed25519 and RSA)", pems)
	}
	var m manifest
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, manifestName)), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Keys) != 2 || m.Current[KeyEd25519] == "" || m.Current[KeyRSA] == "" {
		t.Errorf("manifest %+v", m)
	}
	infos := k.Keys()
	if len(infos) != 2 || !infos[0].Current || !infos[1].Current || !strings.HasPrefix(infos[0].ID, "z6Mk") {
		t.Errorf("Keys() = %+v", infos)
	}
}

func TestOpenKeyRingReloadsAndRotates(t *testing.T) {
	dir := t.TempDir()
	k1, err := OpenKeyRing(dir)
	if err != nil {
		t.Fatal(err)
	}
	first := k1.Keys()
	k2, err := OpenKeyRing(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := k2.Keys(); len(got) != 2 || got[0].ID != first[0].ID || got[1].ID != first[1].ID {
		t.Fatalf("reopened ring has %+v, want %+v", got, first)
	}
	if err := k2.Rotate(); err != nil {
		t.Fatal(err)
	}
	k3, err := OpenKeyRing(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := k3.Keys()
	if len(got) != 4 {
		t.Fatalf("after rotation: %d keys, want 4", len(got))
	}
	current := map[string]string{}
	for _, ki := range got {
		if ki.Current {
			current[ki.Algorithm] = ki.ID
		}
	}
	if current[KeyEd25519] == first[0].ID || current[KeyRSA] == first[1].ID || len(current) != 2 {
		t.Fatalf("current keys after rotation %v; old ones were %s, %s", current, first[0].ID, first[1].ID)
	}
}

func TestOpenKeyRingTightensDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKeyRing(dir); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(dir)
	if st.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v, want 0700", st.Mode().Perm())
	}
}

func TestOpenKeyRingErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(dir string)
	}{
		{"corrupt manifest", func(dir string) {
			os.WriteFile(filepath.Join(dir, manifestName), []byte("{"), 0o600)
		}},
		{"missing key file", func(dir string) {
			os.WriteFile(filepath.Join(dir, manifestName), []byte(`{"keys":[{"file":"gone.pem","algorithm":"Ed25519"}]}`), 0o600)
		}},
		{"path in manifest", func(dir string) {
			os.WriteFile(filepath.Join(dir, manifestName), []byte(`{"keys":[{"file":"../x.pem","algorithm":"Ed25519"}]}`), 0o600)
		}},
		{"not a key", func(dir string) {
			os.WriteFile(filepath.Join(dir, "k.pem"), []byte("hello"), 0o600)
			os.WriteFile(filepath.Join(dir, manifestName), []byte(`{"keys":[{"file":"k.pem","algorithm":"Ed25519"}]}`), 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(dir)
			if _, err := OpenKeyRing(dir); err == nil {
				t.Fatal("OpenKeyRing succeeded")
			}
		})
	}
}

// TestRotationKeepsOldAwardsValid signs, rotates, signs again: both
// credentials verify against the published profile and JWKS, which list
// both keys.
func TestRotationKeepsOldAwardsValid(t *testing.T) {
	k, err := OpenKeyRing(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	is, err := New(testProfile, k)
	if err != nil {
		t.Fatal(err)
	}
	old := testAward()
	if err := is.Sign(&old); err != nil {
		t.Fatal(err)
	}
	if err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	fresh := testAward()
	fresh.ID = "fresh"
	if err := is.Sign(&fresh); err != nil {
		t.Fatal(err)
	}
	if string(old.Credential) == string(fresh.Credential) {
		t.Fatal("credentials equal")
	}
	var prof profileDocument
	if err := json.Unmarshal(is.ProfileDocument(), &prof); err != nil {
		t.Fatal(err)
	}
	var set jwks
	if err := json.Unmarshal(is.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	// Each key under its /issuer/keys/ URL and its older fragment id.
	if len(prof.VerificationMethod) != 4 || len(prof.AssertionMethod) != 4 || len(set.Keys) != 4 {
		t.Fatalf("published %d/%d Ed25519 key ids and %d RSA kids, want 4 each", len(prof.VerificationMethod), len(prof.AssertionMethod), len(set.Keys))
	}
	docs := is.verifyDocs(t, nil)
	for _, a := range []Award{old, fresh} {
		for form, input := range map[string][]byte{"json": a.Credential, "jwt": []byte(a.JWT)} {
			rep, err := Verify(t.Context(), input, VerifyOptions{Docs: docs, Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Complete() {
				t.Errorf("award %s (%s) after rotation: %+v", a.ID, form, rep.Checks)
			}
		}
	}
}
