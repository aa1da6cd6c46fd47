// Package rdfc turns the issuer's JSON-LD documents into RDFC-1.0
// (URDNA2015) canonical N-Quads, and hashes them, for the eddsa-rdfc-2022
// cryptosuite. It is the one package that imports json-gold
// (piprate/json-gold), and it never touches the network: the JSON-LD
// contexts it knows are embedded (contexts.go) and any other is refused.
//
// Two paths give the same N-Quads:
//
//   - the full path, json-gold's expansion, ToRDF and canonicalisation in
//     safe mode (Canonicalize, Check), for anyone's documents: verification
//     takes only this one;
//   - the signing fast path (WriteJSON, HashJSON), for documents the
//     issuer signs: an RDF template per document shape (template.go), read
//     off the JSON without decoding it (shape.go), falling back to the
//     full path whenever a guard fails. FuzzCanonicalMatchesJSONGold
//     holds it to json-gold's uncached canonicalisation.
//
// The proof configuration's hash is kept per configuration
// (HashProofConfig), as it seldom changes between signatures.
//
// Errors read "issuer: ...", as they did before this package was split
// from the issuer: verification reports show them.
package rdfc

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"

	"github.com/badgebot/badgebot/issuer/internal/memo"
	"github.com/piprate/json-gold/ld"
)

// maxCachedContexts bounds the processed-context cache; only @context
// values made of embedded URLs are cached, so it never fills in practice.
const maxCachedContexts = 64

// A Canonicalizer turns JSON-LD documents into RDFC-1.0 (URDNA2015)
// canonical N-Quads with json-gold, offline and in safe mode. It caches the
// processed active context for each @context list, which is where most of
// the time of a naive canonicalisation goes, the templates of the signing
// fast path and the proof configurations' hashes. Safe for concurrent use;
// one per process is enough.
type Canonicalizer struct {
	opts *ld.JsonLdOptions // shared, never changed after New

	contexts memo.Cache[string, *ld.Context]
	// proofs holds hash(canonical proof configuration). The configuration
	// differs between signatures only in "created" (seconds) and the key,
	// so under load most signatures share one. The key names the input
	// exactly (proofConfigKey).
	proofs    memo.Cache[string, [sha256.Size]byte]
	templates templateCache
}

// New returns a Canonicalizer with empty caches.
func New() *Canonicalizer {
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = offlineLoader{}
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.SafeMode = true
	opts.Algorithm = ld.AlgorithmURDNA2015
	opts.Format = "application/n-quads"
	c := &Canonicalizer{opts: opts}
	c.contexts.Max, c.proofs.Max = maxCachedContexts, proofHashCacheSize
	c.templates.m.Max, c.templates.iris.Max = maxTemplates, maxIRIs
	return c
}

// activeContext returns the processed context for a document's @context
// value, from the cache when the value is a list of URLs.
func (c *Canonicalizer) activeContext(local any) (*ld.Context, error) {
	parse := func() (*ld.Context, error) {
		ac, err := ld.NewContext(nil, c.opts).Parse(local)
		if err != nil {
			return nil, fmt.Errorf("issuer: processing @context: %w", err)
		}
		return ac, nil
	}
	key, cacheable := contextKey(local)
	if !cacheable {
		return parse()
	}
	return c.contexts.Get(key, parse)
}

// contextKey names a @context value made only of URL strings: each URL
// length-prefixed, so that no two different lists share a name (joined
// with a separator, [] and [""] did, and served each other's context). A
// single URL and the one-element list of it, which JSON-LD processes
// alike, share one.
func contextKey(local any) (string, bool) {
	var b strings.Builder
	add := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	switch v := local.(type) {
	case string:
		add(v)
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return "", false
			}
			add(s)
		}
	case []string:
		for _, s := range v {
			add(s)
		}
	default:
		return "", false
	}
	return b.String(), true
}

// expand runs JSON-LD expansion (safe mode) on a decoded JSON object. The
// top-level @context is taken from the cache; the result is what
// ld.JsonLdProcessor.Expand returns for the same input.
func (c *Canonicalizer) expand(doc map[string]any) ([]any, error) {
	active := ld.NewContext(nil, c.opts)
	body := doc
	if local, ok := doc["@context"]; ok {
		var err error
		if active, err = c.activeContext(local); err != nil {
			return nil, err
		}
		body = make(map[string]any, len(doc))
		for k, v := range doc {
			if k != "@context" {
				body[k] = v
			}
		}
	}
	expanded, err := ld.NewJsonLdApi().Expand(active, "", body, c.opts, false, nil)
	if err != nil {
		return nil, fmt.Errorf("issuer: JSON-LD expansion: %w", err)
	}
	switch v := expanded.(type) {
	case nil:
		return []any{}, nil
	case []any:
		return v, nil
	case map[string]any:
		if len(v) == 0 {
			return []any{}, nil
		}
		if g, ok := v["@graph"]; ok && len(v) == 1 {
			if list, ok := g.([]any); ok {
				return list, nil
			}
			return []any{g}, nil
		}
	}
	return []any{expanded}, nil
}

// Canonicalize returns the RDFC-1.0 canonical N-Quads of a decoded JSON-LD
// object. It fails on terms or types the contexts do not define (safe mode,
// as the eddsa-rdfc-2022 cryptosuite requires) and on any context that is
// not embedded.
func (c *Canonicalizer) Canonicalize(doc map[string]any) (string, error) {
	dataset, err := c.toRDF(doc)
	if err != nil {
		return "", err
	}
	return c.normalize(dataset)
}

// Check expands doc in safe mode, as Canonicalize does, and reports the
// first term or type that the contexts do not define, or a context that is
// not embedded.
func (c *Canonicalizer) Check(doc map[string]any) (err error) {
	defer recoverJSONGold(&err)
	expanded, err := c.expand(doc)
	if err != nil {
		return err
	}
	return checkExpandedTypes(expanded)
}

// toRDF expands doc and turns it into an RDF dataset with json-gold.
func (c *Canonicalizer) toRDF(doc map[string]any) (dataset *ld.RDFDataset, err error) {
	defer recoverJSONGold(&err)
	expanded, err := c.expand(doc)
	if err != nil {
		return nil, err
	}
	if err := checkExpandedTypes(expanded); err != nil {
		return nil, err
	}
	dataset, err = ld.NewJsonLdApi().ToRDF(expanded, c.opts)
	if err != nil {
		return nil, fmt.Errorf("issuer: JSON-LD to RDF: %w", err)
	}
	return dataset, nil
}

// recoverJSONGold, deferred, turns a panic inside json-gold into an
// error: some malformed input (a "" key, say) makes its expansion assert
// a type.
func recoverJSONGold(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("issuer: JSON-LD processing failed on this input: %v", p)
	}
}

// normalize is json-gold's RDFC-1.0 (URDNA2015) canonicalisation of a
// dataset, written as N-Quads.
func (c *Canonicalizer) normalize(dataset *ld.RDFDataset) (string, error) {
	out, err := ld.NewJsonLdApi().Normalize(dataset, c.opts)
	if err != nil {
		return "", fmt.Errorf("issuer: RDFC-1.0 canonicalisation: %w", err)
	}
	s, ok := out.(string)
	if !ok {
		return "", fmt.Errorf("issuer: RDFC-1.0 canonicalisation: unexpected %T", out)
	}
	return s, nil
}

// checkExpandedTypes applies the part of JSON-LD safe mode that json-gold
// leaves out: every @type must expand to an absolute IRI. An undefined type
// name (say "Badge" instead of "Achievement") would otherwise vanish from
// the RDF silently and sign something other than what the JSON says.
func checkExpandedTypes(v any) error {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if err := checkExpandedTypes(e); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range x {
			if k == "@type" {
				if _, isValue := x["@value"]; isValue {
					continue // datatype of a literal, already absolute or rejected
				}
				for _, t := range asList(e) {
					s, _ := t.(string)
					if !strings.Contains(s, ":") {
						return fmt.Errorf("issuer: JSON-LD safe mode: type %q is not defined by the contexts", s)
					}
				}
				continue
			}
			if err := checkExpandedTypes(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// asList returns v as a list: itself when it is one, else a one-element list.
func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}
