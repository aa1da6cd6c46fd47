package issuer

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/issuer/bake"
)

// FuzzVerify feeds Verify arbitrary bytes: it must never panic (its
// recover would report "internal error", which fails the fuzz run too)
// and must return either a report or ErrUnusableInput.
func FuzzVerify(f *testing.F) {
	is := newTestIssuer(f)
	a := testAward()
	if err := is.Sign(&a); err != nil {
		f.Fatal(err)
	}
	png, err := bake.PNG(tinyPNG(f), bake.KeywordOB3, string(a.Credential))
	if err != nil {
		f.Fatal(err)
	}
	svg, err := bake.SVG([]byte(tinySVG), bake.VersionOB3, a.JWT)
	if err != nil {
		f.Fatal(err)
	}
	status, err := is.StatusList(1, []int{42})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{
		a.Credential, []byte(a.JWT), png, svg, status, is.AssertionOB2(a), is.ProfileDocument(),
		signDIDKey(f, testEdKey("f"), "", nil),
		[]byte(`{"@context":["https://www.w3.org/ns/credentials/v2",{"@vocab":"x:"}],"proof":[{"type":"DataIntegrityProof","cryptosuite":"eddsa-rdfc-2022","verificationMethod":"did:key:z6Mk"}]}`),
		[]byte(`{"@context":"https://w3id.org/openbadges/v2","verification":{"type":"SignedBadge"},"badge":{"issuer":{}}}`),
		[]byte(`eyJhbGciOiJub25lIn0.e30.`), []byte("https://badges.example.org/awards/x"), nil,
	} {
		f.Add(seed)
	}
	docs := is.verifyDocs(f, []int{42})
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := is.Verify(t.Context(), in, VerifyOptions{Docs: docs, Now: testNow, Recipient: "alice@example.org"})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Verify panicked: %v", err)
			}
			return
		}
		if rep == nil {
			t.Fatal("nil report without error")
		}
		_ = rep.Valid()
	})
}

// FuzzVerifyJSON verifies hostile JSON credentials (seeds: our documents,
// documents over the size limits, and testdata/fuzz/FuzzVerifyJSON): no
// panic, a report or ErrUnusableInput, and nothing over the limits is
// processed.
func FuzzVerifyJSON(f *testing.F) {
	is := newTestIssuer(f)
	a := testAward()
	if err := is.Sign(&a); err != nil {
		f.Fatal(err)
	}
	status, err := is.StatusList(1, []int{42})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{a.Credential, status, is.AssertionOB2(a), is.ProfileDocument()} {
		f.Add(seed)
	}
	docs := is.verifyDocs(f, []int{42})
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := is.Verify(t.Context(), in, VerifyOptions{Docs: docs, Now: testNow})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Verify panicked: %v", err)
			}
			if !errors.Is(err, ErrUnusableInput) {
				t.Fatalf("error %v is not ErrUnusableInput", err)
			}
			return
		}
		if rep == nil {
			t.Fatal("nil report without error")
		}
		if checkJSONShape(in) != nil && bytes.HasPrefix(bytes.TrimSpace(in), []byte("{")) {
			t.Fatalf("a document over the limits was verified: %+v", rep.Checks)
		}
	})
}
