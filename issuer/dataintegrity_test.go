package issuer

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// TestEd25519SameAsStdlib pins that the signer the proofs use makes, for any
// key and message, the bytes crypto/ed25519 makes and verifies.
func TestEd25519SameAsStdlib(t *testing.T) {
	msg := make([]byte, 0, 200)
	for i := range 200 {
		pub, key, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		sig := voi.Sign(voi.PrivateKey(key), msg)
		if want := ed25519.Sign(key, msg); string(sig) != string(want) {
			t.Fatalf("key %d, %d-byte message: voi signed %x, crypto/ed25519 %x", i, len(msg), sig, want)
		}
		if !ed25519.Verify(pub, msg, sig) {
			t.Fatalf("key %d: crypto/ed25519 refuses voi's signature", i)
		}
		msg = append(msg, byte(i*31))
	}
}

// Test1EdTechVector reproduces the eddsa-rdfc-2022 test vector of the
// 1EdTech OB 3.0 implementation guide (also tools/obverify/testvector.mjs).
func Test1EdTechVector(t *testing.T) {
	const (
		controller     = "https://example.edu/issuers/565049"
		created        = "2010-01-01T19:23:24Z"
		wantMultibase  = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
		wantDocHash    = "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
		wantProofValue = "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr"
	)
	seed, _ := hex.DecodeString("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
	key := ed25519.NewKeyFromSeed(seed)
	mb := MultikeyEd25519(key.Public().(ed25519.PublicKey))
	if mb != wantMultibase {
		t.Fatalf("publicKeyMultibase = %s, want %s", mb, wantMultibase)
	}
	c := newCanonicalizer()
	doc := readTestdataObject(t, "vector/1edtech-credential.json")
	nq, err := c.Canonicalize(doc)
	if err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256([]byte(nq)); hex.EncodeToString(h[:]) != wantDocHash {
		t.Fatalf("document hash = %x, want %s\n%s", h, wantDocHash, nq)
	}
	p, err := c.signDataIntegrity(doc, key, controller+"#"+mb, created)
	if err != nil {
		t.Fatal(err)
	}
	if p.ProofValue != wantProofValue {
		t.Fatalf("proofValue = %s, want %s", p.ProofValue, wantProofValue)
	}
	// and it verifies, from a fresh canonicalizer (no memo)
	proof := map[string]any{
		"type": p.Type, "cryptosuite": p.Cryptosuite, "created": p.Created,
		"verificationMethod": p.VerificationMethod, "proofPurpose": p.ProofPurpose, "proofValue": p.ProofValue,
	}
	if err := newCanonicalizer().verifyDataIntegrity(doc, proof, key.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDataIntegrityRejects(t *testing.T) {
	key := testEdKey("k")
	pub := key.Public().(ed25519.PublicKey)
	c := newCanonicalizer()
	doc := readTestdataObject(t, "vector/1edtech-credential.json")
	p, err := c.signDataIntegrity(doc, key, "https://example.edu/issuers/565049#"+MultikeyEd25519(pub), "2010-01-01T19:23:24Z")
	if err != nil {
		t.Fatal(err)
	}
	good := func() map[string]any {
		return map[string]any{
			"type": p.Type, "cryptosuite": p.Cryptosuite, "created": p.Created,
			"verificationMethod": p.VerificationMethod, "proofPurpose": p.ProofPurpose, "proofValue": p.ProofValue,
		}
	}
	tests := []struct {
		name    string
		doc     func(map[string]any)
		proof   func(map[string]any)
		pub     ed25519.PublicKey
		badSig  bool // the error must be ErrBadProof
		wantErr bool
	}{
		{name: "valid", pub: pub},
		{name: "document changed", doc: func(m map[string]any) { m["name"] = "Teamwork Badge!" }, pub: pub, badSig: true, wantErr: true},
		{name: "nested value changed", doc: func(m map[string]any) {
			obj(obj(m, "credentialSubject"), "achievement")["name"] = "Teamwork 2"
		}, pub: pub, badSig: true, wantErr: true},
		{name: "created changed", proof: func(m map[string]any) { m["created"] = "2010-01-01T19:23:25Z" }, pub: pub, badSig: true, wantErr: true},
		{name: "other key", pub: testEdKey("other").Public().(ed25519.PublicKey), badSig: true, wantErr: true},
		{name: "wrong cryptosuite", proof: func(m map[string]any) { m["cryptosuite"] = "ecdsa-rdfc-2019" }, pub: pub, wantErr: true},
		{name: "proofValue not base58btc", proof: func(m map[string]any) { m["proofValue"] = "u" + p.ProofValue[1:] }, pub: pub, wantErr: true},
		{name: "proofValue truncated", proof: func(m map[string]any) { m["proofValue"] = p.ProofValue[:40] }, pub: pub, wantErr: true},
		{name: "proof context not a prefix", proof: func(m map[string]any) { m["@context"] = []any{ContextOB303} }, pub: pub, badSig: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := readTestdataObject(t, "vector/1edtech-credential.json")
			pr := good()
			if tt.doc != nil {
				tt.doc(d)
			}
			if tt.proof != nil {
				tt.proof(pr)
			}
			err := c.verifyDataIntegrity(d, pr, tt.pub)
			if (err != nil) != tt.wantErr || (tt.badSig && !errors.Is(err, ErrBadProof)) {
				t.Fatalf("verifyDataIntegrity = %v, want error %v (bad signature %v)", err, tt.wantErr, tt.badSig)
			}
		})
	}
}

func TestWithProofIsMarshal(t *testing.T) {
	is := newTestIssuer(t)
	a := testAward()
	p := dataIntegrityProof{Type: "DataIntegrityProof", Cryptosuite: "eddsa-rdfc-2022", Created: "2026-11-26T12:00:00Z",
		VerificationMethod: "https://badges.example.org/issuer#z6Mk", ProofPurpose: "assertionMethod", ProofValue: "z<&>"}
	cred := is.credential(&a)
	status := statusListCredential{Context: []string{ContextCredentialsV2}, ID: "https://x/status/1", Issuer: "https://x/issuer"}
	for name, pair := range map[string][2]any{
		"credential":  {cred, func() any { c := cred; c.Proof = []dataIntegrityProof{p}; return c }()},
		"status list": {status, func() any { s := status; s.Proof = []dataIntegrityProof{p}; return s }()},
	} {
		got, err := withProof(mustJSON(pair[0]), p)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(mustJSON(pair[1])), string(got)); diff != "" {
			t.Errorf("%s (-json.Marshal +withProof):\n%s", name, diff)
		}
	}
}

// signDataIntegrity creates an eddsa-rdfc-2022 proof over unsecured (a
// decoded JSON-LD document without "proof").
func (c *canonicalizer) signDataIntegrity(unsecured map[string]any, key ed25519.PrivateKey, vm, created string) (dataIntegrityProof, error) {
	doc, err := json.Marshal(unsecured)
	if err != nil {
		return dataIntegrityProof{}, fmt.Errorf("issuer: encoding document: %w", err)
	}
	return c.signDataIntegrityJSON(doc, unsecured["@context"], key, vm, created)
}
