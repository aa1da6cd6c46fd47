package issuer

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/piprate/json-gold/ld"
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
// many random credentials and status lists, canonicalizeForSigning gives
// byte for byte the N-Quads of json-gold's own uncached Normalize.
func TestTemplatePathMatchesFullPath(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	c := newCanonicalizer()
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
		want := normalizeReference(t, readJSONObject(t, doc))
		if c.templated(string(doc)) != nil {
			templated++
		}
		for pass := range 2 { // the second from the template cache
			got, err := c.canonicalizeForSigning(doc)
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
			c := newCanonicalizer()
			if got := c.templated(string(tt.doc)) != nil; got != tt.templated {
				t.Errorf("template path taken: %v, want %v", got, tt.templated)
			}
			m, err := decodeObject(tt.doc)
			got, gotErr := c.canonicalizeForSigning(tt.doc)
			if err != nil {
				if gotErr == nil {
					t.Fatalf("canonicalizeForSigning accepted a document that does not decode: %s", got)
				}
				return
			}
			want, wantErr := newCanonicalizer().Canonicalize(m)
			if (gotErr != nil) != (wantErr != nil) || got != want {
				t.Fatalf("canonicalizeForSigning = %v (-want +got):\n%s\nCanonicalize: %v", gotErr, cmp.Diff(want, got), wantErr)
			}
		})
	}
}

func TestScanShape(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		ok     bool
		sig    string
		values []string
	}{
		{"values and scalars", `{"a":"x","b":["y",1,-2.5e3,true,false,null,{"c":"https://e/"}]}`, true,
			`{"a":L,"b":[L,1,-2.5e3,true,false,null,{"c":U}]}`, []string{"x", "y", "https://e/"}},
		{"white space dropped", " {\n \"a\" : [ \"x\" , 1 ] \t} \n", true, `{"a":[L,1]}`, []string{"x"}},
		{"escapes decoded", `{"a":"\u00e9\n\"q\"\\","\u0074ype":"x"}`, true, `{"a":L,"\u0074ype":"x"}`, []string{"é\n\"q\"\\"}},
		{"verbatim: type, keywords, contexts", `{"@context":["u"],"type":["T"],"@language":"en","@id":"i","@value":"v","@type":"t"}`, true,
			`{"@context":["u"],"type":["T"],"@language":"en","@id":L,"@value":L,"@type":"t"}`, []string{"i", "v"}},
		{"empty containers", `{"a":{},"b":[],"c":[[],{}]}`, true, `{"a":{},"b":[],"c":[[],{}]}`, nil},
		{"invalid UTF-8 replaced as encoding/json does", "{\"a\":\"x\xffy\"}", true, `{"a":L}`, []string{"x\ufffdy"}},
		{"top-level array", `["a"]`, false, "", nil},
		{"missing value", `{"a":}`, false, "", nil},
		{"missing colon", `{"a" "b"}`, false, "", nil},
		{"missing comma", `{"a":["b" "c"]}`, false, "", nil},
		{"trailing comma", `{"a":"b",}`, false, "", nil},
		{"bytes after the object", `{"a":"b"} x`, false, "", nil},
		{"second object", `{}{}`, false, "", nil},
		{"leading zero", `{"a":01}`, false, "", nil},
		{"bad literal", `{"a":tru}`, false, "", nil},
		{"bad number", `{"a":1.}`, false, "", nil},
		{"raw control character", "{\"a\":\"\x01\"}", false, "", nil},
		{"bad escape", `{"a":"\x"}`, false, "", nil},
		{"mismatched brackets", `{"a":[}`, false, "", nil},
		{"unterminated", `{"a":"b"`, false, "", nil},
		{"inline context", `{"@context":[{"x":"y"}]}`, false, "", nil},
		{"placeholder in a type", `{"type":"a` + "\ue000" + `"}`, false, "", nil},
		{"too deep", strings.Repeat(`{"a":`, maxShapeDepth+1) + "1" + strings.Repeat("}", maxShapeDepth+1), false, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := scanShape(tt.doc, nil)
			if s.ok != tt.ok {
				t.Fatalf("ok = %v, want %v", s.ok, tt.ok)
			}
			if !tt.ok {
				return
			}
			if string(s.sig) != tt.sig {
				t.Errorf("sig = %s, want %s", s.sig, tt.sig)
			}
			var values []string
			for _, v := range s.values {
				values = append(values, v.s)
				if want := tt.doc[v.start:v.end]; !strings.HasPrefix(want, `"`) || !strings.HasSuffix(want, `"`) {
					t.Errorf("value %q at %d:%d is not a string token: %s", v.s, v.start, v.end, want)
				}
			}
			if diff := cmp.Diff(tt.values, values); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			// the placeholder form is valid JSON of the same structure
			var m any
			if err := json.Unmarshal(withPlaceholders(tt.doc, &s), &m); err != nil {
				t.Errorf("placeholder form: %v", err)
			}
		})
	}
}

// TestValidHTTPIRIMatchesJSONGold holds the cached, origin-based IRI check
// to what json-gold's ToRDF does with an http(s) IRI.
func TestValidHTTPIRIMatchesJSONGold(t *testing.T) {
	authorities := []string{
		"example.org", "a-b.example", "-x.org", "x_y.org", "127.0.0.1", "999.1.1.1", "[::1]", "[fe80::1%25en0]",
		"例え.jp", "user@host.org", "user:pw@host.org", "host.org:8080", "host.org:99999", "", ".lead.org",
		"a..b", "xn--bcher-kva.example", "%41.org", "HOST.ORG", "a b.org", "localhost", "h", "h.", "a.b.c.d.e.f",
	}
	paths := []string{
		"", "/", "/a", "/a b", "/a\tb", "/a\nb", "/ü", "/%zz", "/%41", "?q=1", "#frag", "/a?b#c", "/\x7f",
		"/\u00a0", "/\u3000", "/a/../b", "//x", "/@x", "/" + strings.Repeat("a", maxURLRunes), "/\xff",
	}
	tc := &templateCache{}
	n := 0
	for _, scheme := range []string{"http://", "https://"} {
		for _, a := range authorities {
			for _, p := range paths {
				s := scheme + a + p
				_, err := url.Parse(s)
				want := err == nil && ld.IsURL(s)
				for range 2 { // the second from the cache
					if got := tc.validHTTPIRI(s); got != want {
						t.Errorf("validHTTPIRI(%q) = %v, json-gold: %v", s, got, want)
					}
				}
				n++
			}
		}
	}
	if n < 500 {
		t.Fatalf("only %d IRIs checked", n)
	}
}

// TestEmbeddedContextsHaveNoIRITerms checks what the template path assumes
// of the contexts: no term, at any depth, has a ':' in its name, so no
// http(s) IRI value ever expands as a term or a compact IRI.
func TestEmbeddedContextsHaveNoIRITerms(t *testing.T) {
	var walk func(path string, ctx any)
	walk = func(path string, ctx any) {
		switch c := ctx.(type) {
		case []any:
			for i, e := range c {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case map[string]any:
			for k, v := range c {
				if strings.Contains(k, ":") {
					t.Errorf("%s defines term %q", path, k)
				}
				if def, ok := v.(map[string]any); ok && def["@context"] != nil {
					walk(path+"/"+k, def["@context"])
				}
			}
		}
	}
	for url := range contextFiles {
		b, _ := ContextDocument(url)
		walk(url, readJSONObject(t, b)["@context"])
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

func TestCanonicalizeForSigningConcurrent(t *testing.T) {
	is := newTestIssuer(t)
	c := newCanonicalizer()
	var docs [][]byte
	var want []string
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 16 {
		a := randomAward(r, i)
		docs = append(docs, mustJSON(is.credential(&a)))
		want = append(want, normalizeReference(t, readJSONObject(t, docs[i])))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range docs {
				j := (i + g*5) % len(docs)
				got, err := c.canonicalizeForSigning(docs[j])
				if err != nil || got != want[j] {
					t.Errorf("doc %d: err %v, equal %v", j, err, got == want[j])
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzCanonicalizeForSigning: for any input, the template path and the full
// path agree (both fail, or give the same N-Quads), with one canonicalizer
// whose template cache lives across inputs.
func FuzzCanonicalizeForSigning(f *testing.F) {
	is := newTestIssuer(f)
	a := testAward()
	f.Add(mustJSON(is.credential(&a)))
	a.Evidence = append(a.Evidence, a.Evidence[0])
	f.Add(mustJSON(is.credential(&a)))
	status, err := is.StatusList(1, []int{42})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(withoutProof(f, status))
	f.Add(mustRead(f, "testdata/vector/1edtech-credential.json"))
	f.Add(is.ProfileDocument())
	f.Add(is.AchievementDocument(a.Badge))
	f.Add([]byte(`{"@context":"https://www.w3.org/ns/credentials/v2","type":"VerifiableCredential","id":"https://x/1","name":["a","a"]}`))
	f.Add([]byte(`{"":0}`))            // json-gold's expansion panics on it
	f.Add([]byte(`{"@context":[]}`))   // a valid empty context ...
	f.Add([]byte(`{"@context":[""]}`)) // ... once served for this one
	f.Add([]byte(`{"@context":["a","b"]}`))
	c := newCanonicalizer()
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, gotErr := c.canonicalizeForSigning(doc)
		m, err := decodeObject(doc)
		if err != nil {
			if gotErr == nil {
				t.Fatalf("accepted a document that does not decode: %s", got)
			}
			return
		}
		want, wantErr := newCanonicalizer().Canonicalize(m)
		if (gotErr != nil) != (wantErr != nil) || got != want {
			t.Fatalf("template path: %v, full path: %v (-full +template):\n%s", gotErr, wantErr, cmp.Diff(want, got))
		}
	})
}

// canonicalizeForSigning is what signing hashes (writeForSigning), as a
// string.
func (c *canonicalizer) canonicalizeForSigning(doc []byte) (string, error) {
	var b strings.Builder
	err := c.writeForSigning(&b, doc)
	return b.String(), err
}
