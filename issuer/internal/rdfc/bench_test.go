package rdfc

import (
	"crypto/sha256"
	"testing"
)

// BenchmarkHashJSON is the document hash of the issuer's credential by
// the fast path (HashJSON) and by the full path (Canonicalize after
// decoding), with warm caches both: what the templates save per signature.
//
//	go test -run XXX -bench HashJSON -benchmem ./issuer/internal/rdfc/
func BenchmarkHashJSON(b *testing.B) {
	doc := issuerDocuments(b)["credential"]
	c := New()
	if !c.Templated(doc) {
		b.Fatal("the credential does not take the fast path")
	}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.HashJSON(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, err := decodeObject(doc)
			if err == nil {
				var nq string
				nq, err = c.Canonicalize(m)
				_ = sha256.Sum256([]byte(nq))
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
