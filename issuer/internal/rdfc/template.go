package rdfc

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/badgebot/badgebot/issuer/internal/memo"
	"github.com/piprate/json-gold/ld"
)

// RDF templates: the signing fast path of the canonicalizer.
//
// The RDF dataset JSON-LD gives one of our documents depends on its shape
// (its keys, array lengths, types, contexts and non-string scalars) and not
// on its string values: every string sits under a term whose coercion the
// contexts fix, so it becomes either a literal with a fixed datatype or,
// for an http(s) IRI under an @id- or @vocab-typed term, that same IRI.
// So json-gold expands a document of each shape once, with a unique
// placeholder for every string, and turns it into RDF (json-gold ToRDF);
// the quads, with each placeholder's positions, are kept as the shape's
// template. A document of a known shape is then turned into its dataset by
// putting its strings where the placeholders were, and json-gold
// canonicalises that dataset (URDNA2015, RDFC-1.0) and writes the N-Quads.
//
// Guards keep the result identical to the full json-gold path, to which
// every document that fails one falls back:
//   - the document must be valid JSON whose @context entries are all URLs
//     (an inline context could define any term, even one named like an
//     IRI); the embedded contexts define no term with a ':' in it
//     (TestEmbeddedContextsHaveNoIRITerms), so an http(s) IRI never
//     expands as a term or compact IRI;
//   - a shape's template must show every placeholder, always whole, never
//     as a predicate or inside another value, and a literal placeholder
//     never as an IRI; otherwise the shape has no template;
//   - every string that lands as an IRI must pass the checks json-gold's
//     ToRDF applies (url.Parse and ld.IsURL), else ToRDF would drop its
//     quad;
//   - substitution must not make two quads equal: the real document's
//     node map would have merged them into one.
//
// Verification never takes this path: it canonicalises foreign documents
// with the full json-gold pipeline (Canonicalizer.Canonicalize).

// Placeholders. A string starting with http:// or https:// gets an IRI
// placeholder, any other string a literal one made with private-use runes.
const (
	iriPlaceholder     = "https://placeholder.invalid/p"
	literalPlaceholder = "\ue000p"
	placeholderEnd     = "\ue001"
)

// Bounds of the template and IRI caches; both are emptied when full.
const (
	maxTemplates = 256
	maxIRIs      = 1024
)

// slotKind says what fills one position of a template quad.
type slotKind uint8

const (
	slotConst   slotKind = iota // node is used as it is
	slotIRI                     // ld.IRI of placeholder ph
	slotLiteral                 // ld.Literal of placeholder ph with datatype and language
)

type slot struct {
	kind     slotKind
	ph       int
	node     ld.Node // slotConst
	datatype string  // slotLiteral
	language string  // slotLiteral
}

// rdfTemplate is the default-graph dataset of one document shape.
type rdfTemplate struct {
	quads      [][3]slot // subject, predicate, object
	iriValues  []int     // placeholders that occur as IRIs
	mayCollide [][2]int  // quad pairs that some substitution could make equal
	values     int       // number of placeholders
}

// templateCache holds the templates by shape signature (a nil template
// records a shape that has none) and the IRIs already checked.
type templateCache struct {
	m    memo.Cache[string, *rdfTemplate]
	iris memo.Cache[string, bool] // IRI -> ld.IsURL, for origins and odd IRIs (isURL)

	sigs sync.Pool // *[]byte: buffers for shape signatures
}

// placeholderFor returns the placeholder of value i.
func placeholderFor(kind slotKind, i int) string {
	if kind == slotIRI {
		return iriPlaceholder + strconv.Itoa(i)
	}
	return literalPlaceholder + strconv.Itoa(i) + placeholderEnd
}

// placeholderIndex parses a whole placeholder of the given form.
func placeholderIndex(s, prefix, suffix string) (int, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	if rest, ok = strings.CutSuffix(rest, suffix); !ok {
		return 0, false
	}
	i, err := strconv.Atoi(rest)
	if err != nil || i < 0 || strconv.Itoa(i) != rest {
		return 0, false
	}
	return i, true
}

// buildTemplate runs the full path (expansion with json-gold, the type
// check, json-gold ToRDF) on the placeholder form of doc and reads the
// template off the dataset. It returns nil when the shape cannot have one.
func (c *Canonicalizer) buildTemplate(doc string, s *shape) *rdfTemplate {
	var ph map[string]any
	if err := json.Unmarshal(withPlaceholders(doc, s), &ph); err != nil {
		return nil
	}
	dataset, err := c.toRDF(ph)
	if err != nil {
		return nil
	}
	for name, quads := range dataset.Graphs {
		if name != "@default" && len(quads) > 0 {
			return nil // named graphs: not in our documents
		}
	}
	t := &rdfTemplate{values: len(s.values)}
	seen := make([]bool, len(s.values))
	seenAsIRI := make([]bool, len(s.values))
	for _, q := range dataset.Graphs["@default"] {
		if q.Graph != nil {
			return nil
		}
		var qt [3]slot
		for pos, n := range [3]ld.Node{q.Subject, q.Predicate, q.Object} {
			sl, ok := templateSlot(n, s.values)
			if !ok || (pos == 1 && sl.kind != slotConst) {
				return nil
			}
			if sl.kind != slotConst {
				seen[sl.ph] = true
				seenAsIRI[sl.ph] = seenAsIRI[sl.ph] || sl.kind == slotIRI
			}
			qt[pos] = sl
		}
		t.quads = append(t.quads, qt)
	}
	for i := range seen {
		if !seen[i] {
			return nil // dropped, or overwritten by a duplicate key
		}
		if seenAsIRI[i] {
			t.iriValues = append(t.iriValues, i)
		}
	}
	for i := range t.quads {
		for j := i + 1; j < len(t.quads); j++ {
			if mayEqual(t.quads[i], t.quads[j]) {
				t.mayCollide = append(t.mayCollide, [2]int{i, j})
			}
		}
	}
	return t
}

// templateSlot classifies one node of the placeholder dataset.
func templateSlot(n ld.Node, values []shapeValue) (slot, bool) {
	isPlaceholder := func(v, prefix, suffix string, kind slotKind) (int, bool) {
		i, ok := placeholderIndex(v, prefix, suffix)
		return i, ok && i < len(values) && values[i].kind == kind
	}
	switch x := n.(type) {
	case ld.IRI:
		if i, ok := isPlaceholder(x.Value, iriPlaceholder, "", slotIRI); ok {
			return slot{kind: slotIRI, ph: i}, true
		}
		if mentionsPlaceholder(x.Value) {
			return slot{}, false
		}
	case ld.Literal:
		if mentionsPlaceholder(x.Datatype) || mentionsPlaceholder(x.Language) {
			return slot{}, false
		}
		i, ok := isPlaceholder(x.Value, iriPlaceholder, "", slotIRI)
		if !ok {
			i, ok = isPlaceholder(x.Value, literalPlaceholder, placeholderEnd, slotLiteral)
		}
		if ok {
			return slot{kind: slotLiteral, ph: i, datatype: x.Datatype, language: x.Language}, true
		}
		if mentionsPlaceholder(x.Value) {
			return slot{}, false
		}
	case ld.BlankNode:
		if mentionsPlaceholder(x.Attribute) {
			return slot{}, false
		}
	default:
		return slot{}, false
	}
	return slot{kind: slotConst, node: n}, true
}

// mayEqual reports whether some substitution could make two template
// quads equal.
func mayEqual(a, b [3]slot) bool {
	for i := range a {
		if !slotsMayEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

func slotsMayEqual(a, b slot) bool {
	if b.kind == slotConst {
		a, b = b, a
	}
	switch {
	case a.kind == slotConst && b.kind == slotConst:
		return a.node == b.node
	case a.kind == slotConst: // b is a placeholder
		switch n := a.node.(type) {
		case ld.IRI:
			return b.kind == slotIRI
		case ld.Literal:
			return b.kind == slotLiteral && n.Datatype == b.datatype && n.Language == b.language
		}
		return false
	}
	return a.kind == b.kind && a.datatype == b.datatype && a.language == b.language
}

// instantiate builds the dataset of a document of the template's shape.
// ok is false when a guard fails and the full path must be taken.
func (c *Canonicalizer) instantiate(t *rdfTemplate, values []shapeValue) (*ld.RDFDataset, bool) {
	if len(values) != t.values {
		return nil, false
	}
	for _, i := range t.iriValues {
		if !c.templates.validHTTPIRI(values[i].s) {
			return nil, false
		}
	}
	quads := make([]ld.Quad, len(t.quads))
	list := make([]*ld.Quad, len(t.quads))
	for i, qt := range t.quads {
		quads[i] = ld.Quad{
			Subject:   fill(qt[0], values),
			Predicate: fill(qt[1], values),
			Object:    fill(qt[2], values),
		}
		list[i] = &quads[i]
	}
	for _, p := range t.mayCollide {
		a, b := &quads[p[0]], &quads[p[1]]
		if a.Subject == b.Subject && a.Predicate == b.Predicate && a.Object == b.Object {
			return nil, false
		}
	}
	ds := ld.NewRDFDataset()
	ds.Graphs["@default"] = list
	return ds, true
}

func fill(s slot, values []shapeValue) ld.Node {
	switch s.kind {
	case slotIRI:
		return ld.IRI{Value: values[s.ph].s}
	case slotLiteral:
		return ld.Literal{Value: values[s.ph].s, Datatype: s.datatype, Language: s.language}
	}
	return s.node
}

// template returns the template for a shape, building it on first use.
// Two callers racing for a new shape may both build it; the results are
// the same.
func (c *Canonicalizer) template(doc string, s *shape) *rdfTemplate {
	if t, ok := memo.LookupBytes(&c.templates.m, s.sig); ok {
		return t
	}
	t := c.buildTemplate(doc, s)
	c.templates.m.Store(string(s.sig), t)
	return t
}

// templated returns the dataset of the JSON document doc made from its
// shape's template, or nil when doc must take the full path.
func (c *Canonicalizer) templated(doc string) *ld.RDFDataset {
	buf, _ := c.templates.sigs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	s := scanShape(doc, *buf)
	defer func() {
		*buf = s.sig[:0]
		c.templates.sigs.Put(buf)
	}()
	if !s.ok {
		return nil
	}
	t := c.template(doc, &s)
	if t == nil {
		return nil
	}
	ds, ok := c.instantiate(t, s.values)
	if !ok {
		return nil
	}
	return ds
}

// writeNormalized writes the RDFC-1.0 canonical N-Quads of a dataset that
// has only a default graph, as normalize (ld.JsonLdApi.Normalize) returns
// them:
// json-gold's URDNA2015 sorts the quads by their N-Quads line, and its
// N-Quads serializer writes them in that order (without building the
// whole document in one string by repeated concatenation, which cost as
// much as the algorithm).
func (c *Canonicalizer) writeNormalized(w io.Writer, ds *ld.RDFDataset) error {
	if quads, only := ds.Graphs["@default"]; only && len(ds.Graphs) == 1 {
		if ok, err := canonicalSimple(w, quads); ok || err != nil {
			return err
		}
	}
	na := ld.NewNormalisationAlgorithm(c.opts.Algorithm)
	na.Normalize(ds)
	sorted := ld.NewRDFDataset()
	sorted.Graphs["@default"] = na.Quads()
	if err := (&ld.NQuadRDFSerializer{}).SerializeTo(w, sorted); err != nil {
		return fmt.Errorf("issuer: writing canonical N-Quads: %w", err)
	}
	return nil
}

// WriteJSON writes the RDFC-1.0 canonical N-Quads of the JSON-LD object
// doc, a document the issuer signs: by its shape's template when the
// document allows it and by the full path (Canonicalize) otherwise, with
// the same result either way. doc that is not a JSON object is an error.
func (c *Canonicalizer) WriteJSON(w io.Writer, doc []byte) error {
	if ds := c.templated(string(doc)); ds != nil {
		return c.writeNormalized(w, ds)
	}
	m, err := decodeObject(doc)
	if err != nil {
		return err
	}
	nq, err := c.Canonicalize(m)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, nq)
	return err
}

// HashJSON is sha256 of the canonical N-Quads WriteJSON writes, hashed
// as they are written: the document hash of an eddsa-rdfc-2022 proof.
func (c *Canonicalizer) HashJSON(doc []byte) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	h := sha256.New()
	if err := c.WriteJSON(h, doc); err != nil {
		return sum, err
	}
	h.Sum(sum[:0])
	return sum, nil
}

// Templated reports whether WriteJSON takes the fast path for doc,
// building its shape's template if it is new. The issuer's tests use it to
// hold its documents to the fast path.
func (c *Canonicalizer) Templated(doc []byte) bool {
	return c.templated(string(doc)) != nil
}

// decodeObject decodes a JSON object as json-gold wants it.
func decodeObject(doc []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, fmt.Errorf("issuer: decoding document: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("issuer: decoding document: not a JSON object")
	}
	return m, nil
}
