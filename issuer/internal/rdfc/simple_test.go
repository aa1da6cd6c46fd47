package rdfc

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/piprate/json-gold/ld"
)

// TestCanonicalSimple holds the simple case to json-gold's URDNA2015 on
// the issuer's own credential (which must take it: it is the signing fast
// path) and on datasets it must leave to json-gold.
func TestCanonicalSimple(t *testing.T) {
	c := New()
	doc := generateCredential(nil, "First Pull Request", "Merged a first \"pull\"\nrequest.\t\\", "en")
	ds := c.templated(string(doc))
	if ds == nil {
		t.Fatal("the base credential took no template")
	}
	got, ok := simpleNQuads(t, ds.Graphs["@default"])
	if !ok {
		t.Fatal("canonicalSimple declined the issuer's credential: signing would take json-gold's full algorithm")
	}
	if want := jsonGoldLines(ds); string(got) != want {
		t.Errorf("canonicalSimple differs from json-gold:\n%s", cmp.Diff(want, string(got)))
	}

	blank := func(id string) ld.Node { return ld.NewBlankNode(id) }
	iri := func(s string) ld.Node { return ld.NewIRI(s) }
	lit := func(s string) ld.Node { return ld.NewLiteral(s, ld.XSDString, "") }
	quad := func(s, p, o ld.Node) *ld.Quad { return &ld.Quad{Subject: s, Predicate: p, Object: o} }
	p := iri("https://example.org/p")
	for _, tt := range []struct {
		name  string
		quads []*ld.Quad
		ok    bool
	}{
		{"two nodes alike", []*ld.Quad{quad(blank("_:x"), p, lit("v")), quad(blank("_:y"), p, lit("v"))}, false},
		{"a chain alike from both ends", []*ld.Quad{quad(blank("_:x"), p, blank("_:y")), quad(blank("_:y"), p, blank("_:x"))}, false},
		{"a self loop", []*ld.Quad{quad(blank("_:x"), p, blank("_:x")), quad(blank("_:y"), p, lit("w"))}, true},
		{"nodes told apart", []*ld.Quad{quad(iri("https://example.org/s"), p, blank("_:b1")),
			quad(blank("_:b1"), p, lit("one")), quad(blank("_:b0"), p, lit("two")), quad(blank("_:b1"), p, blank("_:b0"))}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ds := ld.NewRDFDataset()
			ds.Graphs["@default"] = tt.quads
			got, ok := simpleNQuads(t, tt.quads)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok {
				if want := jsonGoldLines(ds); string(got) != want {
					t.Errorf("canonicalSimple differs from json-gold:\n%s", cmp.Diff(want, string(got)))
				}
			}
		})
	}
}

// TestCanonicalSimpleRandom compares canonicalSimple with json-gold on
// small random graphs of blank nodes, self loops and shared values, where
// labels and hash order are easy to get wrong.
func TestCanonicalSimpleRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	nodes := []ld.Node{ld.NewBlankNode("_:a"), ld.NewBlankNode("_:b"), ld.NewBlankNode("_:c"),
		ld.NewIRI("https://example.org/s"), ld.NewLiteral("v", ld.XSDString, ""), ld.NewLiteral("w\"", ld.XSDString, "")}
	preds := []ld.Node{ld.NewIRI("https://example.org/p"), ld.NewIRI("https://example.org/q")}
	simple := 0
	for range 3000 {
		var quads []*ld.Quad
		for range 1 + r.IntN(6) {
			quads = append(quads, &ld.Quad{Subject: nodes[r.IntN(4)], Predicate: preds[r.IntN(2)], Object: nodes[r.IntN(len(nodes))]})
		}
		ds := ld.NewRDFDataset()
		ds.Graphs["@default"] = quads
		got, ok := simpleNQuads(t, quads)
		if !ok {
			continue
		}
		simple++
		if want := jsonGoldLines(ds); string(got) != want {
			t.Fatalf("canonicalSimple differs from json-gold:\n%s", cmp.Diff(want, string(got)))
		}
	}
	if simple < 1000 {
		t.Errorf("only %d of 3000 random graphs took the simple case", simple)
	}
}

// simpleNQuads is what canonicalSimple writes, and its ok.
func simpleNQuads(t *testing.T, quads []*ld.Quad) ([]byte, bool) {
	t.Helper()
	var b bytes.Buffer
	ok, err := canonicalSimple(&b, quads)
	if err != nil {
		t.Fatal(err)
	}
	if !ok && b.Len() > 0 {
		t.Fatalf("canonicalSimple declined and still wrote %q", b.String())
	}
	return b.Bytes(), ok
}

// jsonGoldLines is json-gold's URDNA2015 of a dataset, as N-Quads.
func jsonGoldLines(ds *ld.RDFDataset) string {
	// Normalize relabels the quads in place: give it copies.
	cp := ld.NewRDFDataset()
	for g, qs := range ds.Graphs {
		for _, q := range qs {
			c := *q
			cp.Graphs[g] = append(cp.Graphs[g], &c)
		}
	}
	na := ld.NewNormalisationAlgorithm(ld.AlgorithmURDNA2015)
	na.Normalize(cp)
	var b strings.Builder
	sorted := ld.NewRDFDataset()
	sorted.Graphs["@default"] = na.Quads()
	if err := (&ld.NQuadRDFSerializer{}).SerializeTo(&b, sorted); err != nil {
		panic(err)
	}
	return b.String()
}
