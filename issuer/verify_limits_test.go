package issuer

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// wideCredential is a credential of n tags (6 MB for n = 1.4 million):
// unbounded, JSON-LD processing held 590 MB of heap for it.
func wideCredential(n int) []byte {
	return []byte(`{"@context":["https://www.w3.org/ns/credentials/v2","https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],` +
		`"type":["VerifiableCredential","OpenBadgeCredential"],"issuer":"https://badges.example.org/issuer","validFrom":"2026-01-01T00:00:00Z",` +
		`"credentialSubject":{"type":["AchievementSubject"],"achievement":{"type":["Achievement"],"id":"https://badges.example.org/badges/x","name":"n","description":"d","criteria":{"narrative":"x"},` +
		`"tag":[` + strings.Repeat(`"t",`, n) + `"t"]}}}`)
}

// TestVerifyRefusesOversizedJSON: a document with more values or deeper
// nesting than an Open Badge has is refused before it is decoded, with
// the limit named; a signed credential and status list are well inside.
func TestVerifyRefusesOversizedJSON(t *testing.T) {
	deep := []byte(`{"@context":"https://www.w3.org/ns/credentials/v2","x":` + strings.Repeat(`[`, maxJSONDepth+1) + strings.Repeat(`]`, maxJSONDepth+1) + `}`)
	for name, in := range map[string][]byte{"wide": wideCredential(maxJSONValues), "deep": deep} {
		_, err := Verify(t.Context(), in, VerifyOptions{Now: testNow})
		if !errors.Is(err, ErrUnusableInput) || !strings.Contains(err.Error(), "too complex") {
			t.Errorf("%s: %v, want a too-complex ErrUnusableInput", name, err)
		}
	}
	is := newTestIssuer(t)
	a := testAward()
	if err := is.Sign(&a); err != nil {
		t.Fatal(err)
	}
	docs := is.verifyDocs(t, nil)
	for _, in := range append([][]byte{a.Credential, []byte(a.JWT), wideCredential(1000)}, mapValues(docs)...) {
		if bytes.HasPrefix(in, []byte("{")) {
			if err := checkJSONShape(in); err != nil {
				t.Errorf("%.60s: %v", in, err)
			}
		}
	}
}

func mapValues(m map[string][]byte) [][]byte {
	var out [][]byte
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// BenchmarkVerifyHostileJSON reports what refusing a 6 MB credential of
// 1.4 million values costs (B/op; 590 MB of heap before the limits).
func BenchmarkVerifyHostileJSON(b *testing.B) {
	in := wideCredential(1400000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(b.Context(), in, VerifyOptions{Now: testNow}); !errors.Is(err, ErrUnusableInput) {
			b.Fatal(err)
		}
	}
}
