package issuer

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/badgebot/badgebot/internal/golden"
)

// testNow is the fixed clock of test issuers.
var testNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// testEdKey derives a deterministic Ed25519 key from a label.
func testEdKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(label))
	return ed25519.NewKeyFromSeed(seed[:])
}

// testRSAKey is the fixed RSA key in testdata (RSA key generation cannot
// be made deterministic).
func testRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "test-rsa.pem"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := parsePrivateKeyPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// newTestKeyRing builds an in-memory ring with deterministic keys.
func newTestKeyRing(t testing.TB) *KeyRing {
	t.Helper()
	rk, err := newRSAKey("rsa-test.pem", testNow, testRSAKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return &KeyRing{
		ed:  []*edKey{newEdKey("ed25519-test.pem", testNow, testEdKey("badgebot test key 1"))},
		rsa: []*rsaKey{rk},
	}
}

var testProfile = Profile{
	BaseURL:     "https://badges.example.org",
	Name:        "Example Community",
	URL:         "https://community.example.org",
	Email:       "badges@example.org",
	Description: "Recognising the people who make Example better.",
}

// newTestIssuer returns an issuer with deterministic keys and clock.
func newTestIssuer(t testing.TB) *Issuer {
	t.Helper()
	is, err := New(testProfile, newTestKeyRing(t))
	if err != nil {
		t.Fatal(err)
	}
	is.now = func() time.Time { return testNow }
	return is
}

func testAchievement() Achievement {
	return Achievement{
		Slug:        "first-pr",
		Name:        "First Pull Request",
		Description: "Had a first pull request merged.",
		Criteria:    "Get one pull request merged into a watched repository.",
	}
}

func testAward() Award {
	return Award{
		ID:        "a1b2c3",
		Badge:     testAchievement(),
		Recipient: Recipient{Type: RecipientEmail, Identity: "alice@example.org", Salt: "6f1c0e2a9b"},
		IssuedAt:  time.Date(2026, 11, 20, 9, 30, 15, 0, time.UTC),
		Evidence: []Evidence{{
			URL:         "https://github.com/example/app/pull/42",
			Name:        "example/app#42",
			Description: "Fix the login redirect",
			Genre:       "Pull request",
		}},
		Narrative:   "Merged a first pull request.",
		Holder:      "alice",
		StatusIndex: 42,
	}
}

// golden compares got with testdata/name, rewriting it under -update.
func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

// verifyDocs is what an online verifier would fetch from the issuer: the
// profile, the JWKS and status list 1 with the given revoked indexes.
func (is *Issuer) verifyDocs(t testing.TB, revoked []int) map[string][]byte {
	t.Helper()
	status, err := is.StatusList(1, revoked)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{
		is.IssuerID():       is.ProfileDocument(),
		is.JWKSURL():        is.JWKS(),
		is.StatusListURL(1): status,
	}
	for _, k := range is.KeyRing().Keys() {
		docs[is.KeyURL(k.ID)], _, _ = is.KeyDocument(k.ID, false)
	}
	return docs
}

func readJSONObject(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func readTestdataObject(t testing.TB, name string) map[string]any {
	t.Helper()
	return readJSONObject(t, mustRead(t, filepath.Join("testdata", name)))
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
