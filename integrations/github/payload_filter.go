package github

import (
	"encoding"
	"reflect"
	"strings"
	"sync"
)

// A merged pull request's delivery is about 30 KB, and its payload struct
// reads a few hundred bytes of it. Decoding it whole, even skipping what the
// struct does not name, cost most of normalising (BenchmarkNormalize:
// 67 µs). So decodePayload first copies out the members the struct may
// read, checking the JSON as it goes, and decodes that copy: 414 of the
// 29,888 bytes of testdata's merged pull request.
//
// The copy is the same document for the decoder, only without members it
// would ignore: an object the struct reads keeps, in their order,
// duplicates included, the members whose names may match one of its
// fields. Names are matched loosely (ASCII case, '_' and '-' ignored), and
// a name with an escape or a byte outside ASCII is always kept, so every
// member the decoder could match is there; a kept member of a struct
// field's type is itself filtered, any other value is copied byte for
// byte. A body that is neither one valid JSON object nor null is decoded
// whole, for the decoder's own error.

// members is what a payload struct reads of an object: for each loosely
// matched name, what it reads of that member's value (nil: all of it).
type members map[string]members

// membersFor returns what decoding into P reads, derived from its struct
// tags once, so that a field added there is never filtered out here.
func membersFor[P any]() members {
	t := reflect.TypeFor[P]()
	if m, ok := payloadMembers.Load(t); ok {
		return m.(members)
	}
	m, _ := payloadMembers.LoadOrStore(t, membersOf(t, 0))
	return m.(members)
}

var payloadMembers sync.Map // reflect.Type → members

var (
	unmarshalerType     = reflect.TypeFor[interface{ UnmarshalJSON([]byte) error }]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// membersOf lists what decoding into t reads, or nil when it reads the whole
// value: t is not a plain struct, decodes itself (gh.Timestamp), or lies
// deeper than any payload needs (a type that holds itself).
func membersOf(t reflect.Type, depth int) members {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if pt := reflect.PointerTo(t); depth > 4 || t.Kind() != reflect.Struct || pt.Implements(unmarshalerType) || pt.Implements(textUnmarshalerType) {
		return nil
	}
	m := members{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil // embedded fields' names are the decoder's to work out
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || name == "-":
			continue
		case name == "":
			name = f.Name
		}
		m[looseName(name)] = membersOf(f.Type, depth+1)
	}
	return m
}

// appendLoose appends name with ASCII case folded and '_' and '-' dropped.
// ok is false for a name with an escape or a byte outside ASCII, which the
// decoder unescapes and folds further.
func appendLoose(dst []byte, name []byte) (_ []byte, ok bool) {
	for _, c := range name {
		switch {
		case c == '\\' || c >= 0x80:
			return dst, false
		case c == '_' || c == '-':
		case 'A' <= c && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		default:
			dst = append(dst, c)
		}
	}
	return dst, true
}

// looseName is a struct field's JSON name as lookup matches it.
func looseName(s string) string {
	b, _ := appendLoose(nil, []byte(s))
	return string(b)
}

// lookup reports whether the member named by the raw string key (quotes
// included) may be read, and what of it is.
func (m members) lookup(key []byte) (sub members, read bool) {
	var buf [32]byte
	name, ok := appendLoose(buf[:0], key[1:len(key)-1])
	if !ok {
		return nil, true // keep it all
	}
	sub, read = m[string(name)]
	return sub, read
}

// filterPayload appends to dst the members of the JSON object b that m
// reads, or null when b is null. ok is false when b is neither one valid
// JSON object nor null.
func filterPayload(dst, b []byte, m members) (_ []byte, ok bool) {
	i := skipSpace(b, 0)
	switch {
	case i < len(b) && b[i] == '{':
		if dst, i, ok = filterObject(dst, b, i, m); !ok {
			return dst, false
		}
	case i < len(b) && b[i] == 'n':
		if i, ok = skipLiteral(b, i, "null"); !ok {
			return dst, false
		}
		dst = append(dst, "null"...)
	default:
		return dst, false
	}
	return dst, skipSpace(b, i) == len(b)
}

// filterObject filters the object at b[i] to the members m reads, appending
// them to dst, and returns where the object ends.
func filterObject(dst, b []byte, i int, m members) (_ []byte, end int, ok bool) {
	dst = append(dst, '{')
	first := true
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return append(dst, '}'), i + 1, true
	}
	for {
		if i = skipSpace(b, i); i >= len(b) || b[i] != '"' {
			return dst, i, false
		}
		keyStart := i
		if i, ok = skipString(b, i); !ok {
			return dst, i, false
		}
		key := b[keyStart:i]
		if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
			return dst, i, false
		}
		i = skipSpace(b, i+1)
		sub, read := m.lookup(key)
		switch {
		case !read:
			if i, ok = skipValue(b, i); !ok {
				return dst, i, false
			}
		default:
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(append(dst, key...), ':')
			if sub != nil && i < len(b) && b[i] == '{' {
				if dst, i, ok = filterObject(dst, b, i, sub); !ok {
					return dst, i, false
				}
				break
			}
			start := i
			if i, ok = skipValue(b, i); !ok {
				return dst, i, false
			}
			dst = append(dst, b[start:i]...)
		}
		if i = skipSpace(b, i); i >= len(b) {
			return dst, i, false
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return append(dst, '}'), i + 1, true
		default:
			return dst, i, false
		}
	}
}
