package rdfc

import (
	"bytes"
	"crypto/sha256"
	"io"
	"slices"
	"strconv"
	"sync"

	"github.com/piprate/json-gold/ld"
)

// The simple case of RDFC-1.0. Canonical labels are issued to blank nodes
// in the order of their first-degree hashes (RDFC-1.0 4.4.3, step 5); only
// blank nodes sharing a hash need the costly n-degree hashes (step 6). The
// credentials the issuer signs have a handful of blank nodes, each with
// quads of its own, so their hashes differ, and canonicalSimple labels and
// writes them here, in the order json-gold's URDNA2015 would, in a fraction
// of its time (it serialises every quad twice, through maps of interfaces
// and string concatenation). A dataset with a shared hash, or with a named
// graph, is left to json-gold. FuzzCanonicalMatchesJSONGold holds the two
// to the same output.

// canonicalSimple writes the canonical N-Quads of the default-graph quads
// to w in one Write, or writes nothing and returns ok false when two blank
// nodes share a first-degree hash (or a quad is in a named graph) and the
// full algorithm must decide.
func canonicalSimple(w io.Writer, quads []*ld.Quad) (ok bool, err error) {
	type bnode struct {
		id    string
		quads []int
		hash  [sha256.Size]byte
	}
	var nodes []bnode
	index := map[string]int{}
	note := func(n ld.Node, q int) {
		b, isBlank := n.(ld.BlankNode)
		if !isBlank {
			return
		}
		i, seen := index[b.Attribute]
		if !seen {
			i = len(nodes)
			index[b.Attribute] = i
			nodes = append(nodes, bnode{id: b.Attribute})
		}
		// A quad whose subject and object are the node is listed twice,
		// as json-gold lists it (and hashes it).
		nodes[i].quads = append(nodes[i].quads, q)
	}
	for i, q := range quads {
		if q.Graph != nil {
			return false, nil
		}
		note(q.Subject, i)
		note(q.Object, i)
	}

	// Hash First Degree Quads: each quad of the node with the node as _:a
	// and every other blank node as _:z, sorted, hashed. Lines are written
	// one after the other into one buffer and sorted as spans of it.
	sb := simpleBufs.Get().(*simpleBuf)
	defer simpleBufs.Put(sb)
	buf, lines, out := sb.buf[:0], sb.lines[:0], sb.out[:0]
	defer func() { sb.buf, sb.lines, sb.out = buf[:0], lines[:0], out[:0] }()
	for i := range nodes {
		n := &nodes[i]
		buf, lines = buf[:0], lines[:0]
		for _, q := range n.quads {
			start := len(buf)
			buf = appendNQuad(buf, quads[q], func(id string) string {
				if id == n.id {
					return "_:a"
				}
				return "_:z"
			})
			lines = append(lines, span{start, len(buf)})
		}
		sortSpans(buf, lines)
		h := sha256.New()
		for _, l := range lines {
			h.Write(buf[l.start:l.end])
		}
		h.Sum(n.hash[:0])
	}
	slices.SortFunc(nodes, func(a, b bnode) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	labels := make(map[string]string, len(nodes))
	for i := range nodes {
		if i > 0 && nodes[i].hash == nodes[i-1].hash {
			return false, nil
		}
		labels[nodes[i].id] = "_:c14n" + strconv.Itoa(i)
	}

	buf, lines = buf[:0], lines[:0]
	for _, q := range quads {
		start := len(buf)
		buf = appendNQuad(buf, q, func(id string) string { return labels[id] })
		lines = append(lines, span{start, len(buf)})
	}
	sortSpans(buf, lines)
	for _, l := range lines {
		out = append(out, buf[l.start:l.end]...)
	}
	_, err = w.Write(out)
	return true, err
}

// simpleBuf is canonicalSimple's scratch space, kept between calls: a
// credential's N-Quads are about 5 KB, written as lines into buf, then in
// their order into out (a Writer keeps nothing it is given). (Made on each
// call buf was an 8 KB array on the stack, which grew every signing
// goroutine's stack, again after each collection shrank it: about 9% of
// signing's CPU in cmd/badgebot BenchmarkProcess's profile.)
type simpleBuf struct {
	buf, out []byte
	lines    []span
}

var simpleBufs = sync.Pool{New: func() any { return &simpleBuf{buf: make([]byte, 0, 8192)} }}

// span is a line of a buffer.
type span struct{ start, end int }

// sortSpans sorts lines of buf by their bytes.
func sortSpans(buf []byte, lines []span) {
	slices.SortFunc(lines, func(a, b span) int { return bytes.Compare(buf[a.start:a.end], buf[b.start:b.end]) })
}

// appendNQuad appends the N-Quads line of a default-graph quad as
// json-gold writes it (toNQuad), with blank nodes named by label.
func appendNQuad(b []byte, q *ld.Quad, label func(id string) string) []byte {
	switch s := q.Subject.(type) {
	case ld.IRI:
		b = appendIRI(b, s.Value)
	case ld.BlankNode:
		b = append(b, label(s.Attribute)...)
	default:
		b = append(b, q.Subject.GetValue()...)
	}
	b = append(b, ' ')
	if p, isIRI := q.Predicate.(ld.IRI); isIRI {
		b = appendIRI(b, p.Value)
	} else {
		b = appendEscaped(b, q.Predicate.GetValue())
	}
	b = append(b, ' ')
	switch o := q.Object.(type) {
	case ld.IRI:
		b = appendIRI(b, o.Value)
	case ld.BlankNode:
		b = append(b, label(o.Attribute)...)
	case ld.Literal:
		b = append(b, '"')
		b = appendEscaped(b, o.Value)
		b = append(b, '"')
		if o.Datatype == ld.RDFLangString {
			b = append(b, '@')
			b = append(b, o.Language...)
		} else if o.Datatype != ld.XSDString {
			b = append(b, "^^"...)
			b = appendIRI(b, o.Datatype)
		}
	}
	return append(b, " .\n"...)
}

func appendIRI(b []byte, iri string) []byte {
	b = append(b, '<')
	b = appendEscaped(b, iri)
	return append(b, '>')
}

// appendEscaped escapes as json-gold's escape does: backslash, double
// quote, newline, carriage return and tab. Runs between them are copied
// whole.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > '"' && c != '\\' {
			continue
		}
		var esc string
		switch c {
		case '\\':
			esc = `\\`
		case '"':
			esc = `\"`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\t':
			esc = `\t`
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	return append(b, s[start:]...)
}
