package issuer

// The issuer's documents through internal/rdfc: whatever shape a
// credential or status list takes, the signing fast path (WriteJSON) gives
// the full path's N-Quads (Canonicalize, which rdfc's own tests hold to
// json-gold's uncached canonicalisation), and the usual documents take
// the fast path.

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/badgebot/badgebot/issuer/internal/rdfc"
)

// trickyStrings are values that stress JSON escaping, N-Quads escaping,
// the IRI/literal split and the placeholders themselves.
var trickyStrings = []string{
	"", "plain", "Ünïcödé — “quotes” ✓ 😀 日本語", "He said \"hi\"\nand left", "tab\there",
	`back\slash \" \\n`, "cr\rlf\r\n", "<script>alert('&amp;')</script>", "\u2028\u2029",
	"\x01\x07\x08\x0c\x1f\x7f", "https://looks.like/an/iri", "http://x", "  spaces  ",
	"\ue000p1\ue001", "https://placeholder.invalid/p0", "did:example:123", "_:b0", "@id",
	"urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", "42", "true", "null",
}

// evidenceURLs mixes ordinary evidence ids with ones the template path must
// refuse (not http, white space, '@', no path) and must still sign right.
var evidenceURLs = []string{
	"https://github.com/example/app/pull/42", "https://bugzilla.mozilla.org/show_bug.cgi?id=1234567",
	"https://chat.example.org/archives/C024BE91L/p1700000000000100", "", "http://例え.jp/パス?q=ü#frag",
	"https://example.org/a b", "https://user@example.org/x", "https://example.org", "https://example.org?x",
	"urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", "https://-bad-.example/x", "https://example.org:8443/x",
	"https://placeholder.invalid/p3", "https://example.org/%zz", "https://example.org/a\tb",
}

func pick[T any](r *rand.Rand, l []T) T { return l[r.IntN(len(l))] }

// randomAward returns an award whose credential has a random shape:
// evidence count, optional fields, identity type, tricky strings.
func randomAward(r *rand.Rand, i int) Award {
	a := testAward()
	a.ID = "r" + strconv.Itoa(i) + pick(r, []string{"", "ü", " x"})
	a.Badge.Slug = pick(r, []string{"first-pr", "bug-hunter", "ünï", "a b", "x/y"})
	a.Badge.Name = pick(r, append(trickyStrings[1:], "First Pull Request"))
	a.Badge.Description = pick(r, trickyStrings)
	a.Badge.Criteria = pick(r, trickyStrings)
	if r.IntN(3) == 0 {
		a.Badge.ImageType = "image/svg+xml"
	}
	if r.IntN(2) == 0 {
		a.Recipient = Recipient{Type: RecipientURL, Identity: "https://github.com/" + pick(r, []string{"octocat", "ünï", "a b"})}
	}
	a.Recipient.Salt = pick(r, trickyStrings[1:])
	a.IssuedAt = time.Unix(r.Int64N(4e9), 0)
	a.Narrative = pick(r, trickyStrings)
	a.StatusIndex = r.IntN(3 * StatusListSize)
	a.Evidence = nil
	for range r.IntN(5) {
		e := Evidence{URL: pick(r, evidenceURLs), Genre: pick(r, []string{"", "Pull request", "Bug"})}
		if r.IntN(2) == 0 {
			e.Name, e.Description, e.Narrative = pick(r, trickyStrings), pick(r, trickyStrings), pick(r, trickyStrings)
		}
		if e.URL == "" && e.Name == "" && e.Description == "" && e.Narrative == "" && e.Genre == "" {
			e.Narrative = "only a narrative"
		}
		a.Evidence = append(a.Evidence, e)
	}
	return a
}

// randomProfileIssuer returns a test issuer with some profile fields
// changed or left out.
func randomProfileIssuer(t testing.TB, r *rand.Rand) *Issuer {
	t.Helper()
	p := testProfile
	p.Name = "Example " + pick(r, trickyStrings)
	p.Email = pick(r, []string{"", p.Email, "ünï@例え.jp"})
	p.Description = pick(r, trickyStrings)
	p.URL = pick(r, []string{p.URL, "https://community.example.org/ü", "https://a b"})
	p.BaseURL = pick(r, []string{p.BaseURL, "http://127.0.0.1:8080", "https://badges.example.org/sub"})
	is, err := New(p, newTestKeyRing(t))
	if err != nil {
		t.Fatal(err)
	}
	is.now = func() time.Time { return testNow }
	return is
}

// TestTemplatePathMatchesFullPath is the guard of the template path: for
// many random credentials and status lists, the fast path gives byte for
// byte the N-Quads of the full path.
func TestTemplatePathMatchesFullPath(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	c := rdfc.New()
	var docs [][]byte
	for i := range 150 {
		is := randomProfileIssuer(t, r)
		// Not validated: the random text holds control characters, which
		// signing refuses but a credential to verify may carry, and both
		// paths must read alike.
		a := randomAward(r, i)
		docs = append(docs, mustJSON(is.credential(&a)))
	}
	is := newTestIssuer(t)
	for i := range 20 {
		revoked := make([]int, r.IntN(200))
		for j := range revoked {
			revoked[j] = r.IntN(StatusListSize)
		}
		status, err := is.StatusList(1+i%3, revoked)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, withoutProof(t, status))
	}
	templated := 0
	for i, doc := range docs {
		want := fullPath(t, doc)
		if c.Templated(doc) {
			templated++
		}
		for pass := range 2 { // the second from the template cache
			got, err := signingNQuads(c, doc)
			if err != nil {
				t.Fatalf("doc %d: %v\n%s", i, err, doc)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("doc %d pass %d: canonical N-Quads differ (-want +got):\n%s\n%s", i, pass, diff, doc)
			}
		}
	}
	// Most documents are clean enough for the template path; the rest
	// (IRIs json-gold would drop, non-http ids, duplicate evidence) fall back.
	if templated < len(docs)/3 || templated == len(docs) {
		t.Errorf("%d of %d documents took the template path", templated, len(docs))
	}
	t.Logf("%d of %d documents took the template path", templated, len(docs))
}

// withoutProof removes "proof" from a signed JSON document.
func withoutProof(t testing.TB, signed []byte) []byte {
	t.Helper()
	m := readJSONObject(t, signed)
	delete(m, "proof")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTemplatePathGuards(t *testing.T) {
	is := newTestIssuer(t)
	credential := func(change func(a *Award)) []byte {
		a := testAward()
		change(&a)
		return mustJSON(is.credential(&a))
	}
	status, err := is.StatusList(1, []int{3, 99})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		doc       []byte
		templated bool
	}{
		{"our credential", credential(func(*Award) {}), true},
		{"two pieces of evidence", credential(func(a *Award) {
			a.Evidence = append(a.Evidence, Evidence{URL: "https://github.com/example/app/pull/43", Genre: "Pull request"})
		}), true},
		{"no evidence, no narrative", credential(func(a *Award) { a.Evidence, a.Narrative = nil, "" }), true},
		{"status list", withoutProof(t, status), true},
		{"1EdTech vector: did: subject id", mustRead(t, "testdata/vector/1edtech-credential.json"), false},
		{"same evidence twice: one node", credential(func(a *Award) { a.Evidence = append(a.Evidence, a.Evidence[0]) }), false},
		{"same evidence URL, other name: one node", credential(func(a *Award) {
			a.Evidence = append(a.Evidence, a.Evidence[0])
			a.Evidence[1].Name = "other"
		}), false},
		{"evidence URL with a space: ToRDF drops it", credential(func(a *Award) { a.Evidence[0].URL = "https://github.com/a b" }), false},
		{"evidence URN", credential(func(a *Award) { a.Evidence[0].URL = "urn:example:42" }), false},
		{"inline context", []byte(`{"@context":["https://www.w3.org/ns/credentials/v2",{"x":"https://example.org/x"}],"type":"VerifiableCredential","x":"y"}`), false},
		{"type that looks like a placeholder", []byte(`{"@context":"https://www.w3.org/ns/credentials/v2","type":"https://placeholder.invalid/p0"}`), false},
		{"not JSON", []byte(`{"@context":`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := rdfc.New()
			if got := c.Templated(tt.doc); got != tt.templated {
				t.Errorf("template path taken: %v, want %v", got, tt.templated)
			}
			var m map[string]any
			err := json.Unmarshal(tt.doc, &m)
			got, gotErr := signingNQuads(c, tt.doc)
			if err != nil {
				if gotErr == nil {
					t.Fatalf("WriteJSON accepted a document that does not decode: %s", got)
				}
				return
			}
			want, wantErr := rdfc.New().Canonicalize(m)
			if (gotErr != nil) != (wantErr != nil) || got != want {
				t.Fatalf("WriteJSON = %v (-want +got):\n%s\nCanonicalize: %v", gotErr, cmp.Diff(want, got), wantErr)
			}
		})
	}
}

func TestCanonicalizeForSigningConcurrent(t *testing.T) {
	is := newTestIssuer(t)
	c := rdfc.New()
	var docs [][]byte
	var want []string
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 16 {
		a := randomAward(r, i)
		docs = append(docs, mustJSON(is.credential(&a)))
		want = append(want, fullPath(t, docs[i]))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range docs {
				j := (i + g*5) % len(docs)
				got, err := signingNQuads(c, docs[j])
				if err != nil || got != want[j] {
					t.Errorf("doc %d: err %v, equal %v", j, err, got == want[j])
					return
				}
			}
		})
	}
	wg.Wait()
}

// signingNQuads is what signing hashes (rdfc's WriteJSON), as a string.
func signingNQuads(c *rdfc.Canonicalizer, doc []byte) (string, error) {
	var b strings.Builder
	err := c.WriteJSON(&b, doc)
	return b.String(), err
}

// fullPath is the canonical N-Quads of doc by the full path, with a fresh
// Canonicalizer.
func fullPath(t testing.TB, doc []byte) string {
	t.Helper()
	nq, err := rdfc.New().Canonicalize(readJSONObject(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	return nq
}
