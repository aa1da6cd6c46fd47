package rdfc

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/piprate/json-gold/ld"
)

func readJSONObject(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// issuerTestdata holds the issuer's golden documents (credential, status
// list, profile, achievement) and the 1EdTech test vector: the documents
// this package canonicalises, as the issuer writes them today.
const issuerTestdata = "../../testdata"

func readTestdataObject(t testing.TB, name string) map[string]any {
	t.Helper()
	return readJSONObject(t, mustRead(t, filepath.Join(issuerTestdata, name)))
}

// issuerDocuments returns the issuer's golden documents by name, "proof"
// removed (it is not signed, and as a named graph it keeps a document off
// the fast path).
func issuerDocuments(t testing.TB) map[string][]byte {
	t.Helper()
	docs := map[string][]byte{"1edtech vector": mustRead(t, filepath.Join(issuerTestdata, "vector/1edtech-credential.json"))}
	for _, name := range []string{"credential", "status-1", "profile", "achievement"} {
		m := readTestdataObject(t, name+".json")
		delete(m, "proof")
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		docs[name] = b
	}
	return docs
}

func TestOfflineLoader(t *testing.T) {
	for url := range contextFiles {
		t.Run(url, func(t *testing.T) {
			rd, err := offlineLoader{}.LoadDocument(url)
			if err != nil {
				t.Fatal(err)
			}
			m, ok := rd.Document.(map[string]any)
			if !ok || m["@context"] == nil || rd.DocumentURL != url {
				t.Fatalf("document for %s lacks @context: %v", url, rd.Document)
			}
		})
	}
	// Anything else is refused, including near misses and the OB 2.0
	// context, which no OB 3.0 document needs: the network is never used.
	for _, url := range []string{
		"https://www.w3.org/2018/credentials/v1",
		"https://www.w3.org/ns/credentials/v2/",
		"http://www.w3.org/ns/credentials/v2",
		"https://w3id.org/openbadges/v2",
		"https://example.org/evil.jsonld",
		"/etc/passwd",
	} {
		if _, err := (offlineLoader{}).LoadDocument(url); !errors.Is(err, ErrUnknownContext) {
			t.Errorf("LoadDocument(%q) = %v, want ErrUnknownContext", url, err)
		}
	}
}

// normalizeReference canonicalises the way json-gold does without any of
// our caching, as the reference for the cached path.
func normalizeReference(t *testing.T, doc map[string]any) string {
	t.Helper()
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = offlineLoader{}
	opts.Algorithm = ld.AlgorithmURDNA2015
	opts.Format = "application/n-quads"
	out, err := ld.NewJsonLdProcessor().Normalize(doc, opts)
	if err != nil {
		t.Fatal(err)
	}
	return out.(string)
}

func TestCanonicalizeMatchesUncachedJSONGold(t *testing.T) {
	c := New()
	docs := issuerDocuments(t)
	docs["signed credential"] = mustRead(t, filepath.Join(issuerTestdata, "credential.json")) // proof: a named graph
	for name, b := range docs {
		t.Run(name, func(t *testing.T) {
			// twice: the second run comes from the context cache
			for range 2 {
				got, err := c.Canonicalize(readJSONObject(t, b))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(normalizeReference(t, readJSONObject(t, b)), got); diff != "" {
					t.Fatalf("canonical N-Quads differ (-want +got):\n%s", diff)
				}
				if !strings.Contains(got, "_:c14n") && name == "credential" {
					t.Errorf("credential has blank nodes (subject, criteria), canonical labels missing:\n%s", got)
				}
			}
		})
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCanonicalizeSafeMode(t *testing.T) {
	base := func() map[string]any {
		return readTestdataObject(t, "vector/1edtech-credential.json")
	}
	tests := []struct {
		name   string
		change func(m map[string]any)
		want   string
	}{
		{"undefined property", func(m map[string]any) { m["favouriteColour"] = "green" }, "Dropping property"},
		{"undefined nested property", func(m map[string]any) { m["credentialSubject"].(map[string]any)["shoeSize"] = 44 }, "Dropping property"},
		{"undefined type", func(m map[string]any) { m["type"] = []any{"VerifiableCredential", "Badge"} }, `type "Badge"`},
		{"context not embedded", func(m map[string]any) {
			m["@context"] = []any{ContextCredentialsV2, "https://example.org/ctx.jsonld"}
		}, "not embedded"},
	}
	c := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := base()
			tt.change(doc)
			_, err := c.Canonicalize(doc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Canonicalize = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestCheck: Check refuses what Canonicalize refuses, and turns
// json-gold's panic on a "" key into an error.
func TestCheck(t *testing.T) {
	c := New()
	if err := c.Check(readTestdataObject(t, "vector/1edtech-credential.json")); err != nil {
		t.Fatalf("Check(1EdTech vector) = %v", err)
	}
	for name, doc := range map[string]map[string]any{
		"undefined property": {"@context": ContextCredentialsV2, "type": "VerifiableCredential", "favouriteColour": "green"},
		"undefined type":     {"@context": ContextCredentialsV2, "type": "Badge"},
		"not embedded":       {"@context": "https://example.org/ctx.jsonld"},
		`"" key`:             {"": 0.0},
	} {
		if err := c.Check(doc); err == nil {
			t.Errorf("%s: Check accepted %v", name, doc)
		}
	}
}

func TestCanonicalizeConcurrent(t *testing.T) {
	c := New()
	want := normalizeReference(t, readTestdataObject(t, "vector/1edtech-credential.json"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				got, err := c.Canonicalize(readTestdataObject(t, "vector/1edtech-credential.json"))
				if err != nil || got != want {
					t.Errorf("concurrent Canonicalize: err %v, equal %v", err, got == want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestContextKey(t *testing.T) {
	differ := [][2]any{
		{[]any{}, []any{""}},
		{"", []any{}},
		{[]any{"a\nb"}, []any{"a", "b"}},
		{[]any{"ab", "c"}, []any{"a", "bc"}},
		{[]string{"1:a"}, []string{"1", "a"}},
	}
	for _, d := range differ {
		a, okA := contextKey(d[0])
		b, okB := contextKey(d[1])
		if !okA || !okB || a == b {
			t.Errorf("contextKey(%q) = %q, contextKey(%q) = %q: want two different names", d[0], a, d[1], b)
		}
	}
	// JSON-LD processes a URL and the list of it alike
	a, _ := contextKey(ContextCredentialsV2)
	b, _ := contextKey([]any{ContextCredentialsV2})
	c, _ := contextKey([]string{ContextCredentialsV2})
	if a != b || b != c {
		t.Errorf("contextKey of a URL, []any and []string of it: %q, %q, %q", a, b, c)
	}
	if _, ok := contextKey([]any{ContextCredentialsV2, map[string]any{"x": "y"}}); ok {
		t.Error("an inline context was given a cache name")
	}
}

func TestContextDocument(t *testing.T) {
	b, ok := ContextDocument(ContextOB303)
	if !ok || !json.Valid(b) || !strings.Contains(string(b), "OpenBadgeCredential") {
		t.Fatalf("ContextDocument(OB 3.0.3) = %d bytes, %v", len(b), ok)
	}
	if _, ok := ContextDocument("https://example.org/"); ok {
		t.Fatal("ContextDocument served an unknown URL")
	}
}
