package rdfc

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/piprate/json-gold/ld"
)

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

// FuzzCanonicalizeForSigning: for any input, the template path and the full
// path agree (both fail, or give the same N-Quads), with one Canonicalizer
// whose template cache lives across inputs.
func FuzzCanonicalizeForSigning(f *testing.F) {
	for _, doc := range issuerDocuments(f) {
		f.Add(doc)
	}
	f.Add([]byte(`{"@context":"https://www.w3.org/ns/credentials/v2","type":"VerifiableCredential","id":"https://x/1","name":["a","a"]}`))
	f.Add([]byte(`{"":0}`))            // json-gold's expansion panics on it
	f.Add([]byte(`{"@context":[]}`))   // a valid empty context ...
	f.Add([]byte(`{"@context":[""]}`)) // ... once served for this one
	f.Add([]byte(`{"@context":["a","b"]}`))
	c := New()
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, gotErr := c.canonicalizeForSigning(doc)
		m, err := decodeObject(doc)
		if err != nil {
			if gotErr == nil {
				t.Fatalf("accepted a document that does not decode: %s", got)
			}
			return
		}
		want, wantErr := New().Canonicalize(m)
		if (gotErr != nil) != (wantErr != nil) || got != want {
			t.Fatalf("template path: %v, full path: %v (-full +template):\n%s", gotErr, wantErr, cmp.Diff(want, got))
		}
	})
}

// canonicalizeForSigning is what signing hashes (WriteJSON), as a string.
func (c *Canonicalizer) canonicalizeForSigning(doc []byte) (string, error) {
	var b strings.Builder
	err := c.WriteJSON(&b, doc)
	return b.String(), err
}
