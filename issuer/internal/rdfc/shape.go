package rdfc

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// shape is what the template path reads off a JSON document in one pass,
// without decoding it into maps: the signature (the document with every
// string value that becomes a placeholder replaced by 'U' or 'L', white
// space dropped) and those strings, decoded, in document order.
type shape struct {
	sig    []byte
	values []shapeValue
	ok     bool // false: the document must take the full path
}

// shapeValue is one string value of a document.
type shapeValue struct {
	s          string
	kind       slotKind // slotIRI (http/https) or slotLiteral
	start, end int      // where its JSON string token lies in the document
}

// verbatimKey reports whether the string values under key belong to the
// shape rather than being placeholders: types, and keywords other than
// @id and @value (language tags, @vocab, container mappings, ...).
func verbatimKey(key string) bool {
	return key == "type" || (strings.HasPrefix(key, "@") && key != "@id" && key != "@value")
}

// isHTTPIRI reports whether s gets an IRI placeholder.
func isHTTPIRI(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// mentionsPlaceholder reports whether s contains a placeholder's marks.
func mentionsPlaceholder(s string) bool {
	return strings.Contains(s, "placeholder.invalid") || strings.ContainsRune(s, '\ue000') || strings.ContainsRune(s, '\ue001')
}

// maxShapeDepth bounds nesting; deeper documents take the full path.
const maxShapeDepth = 32

// scanFrame is one open object or array.
type scanFrame struct {
	object   bool
	verbatim bool // array: its elements are verbatim
	context  bool // inside a @context value
}

// What the scanner expects next.
const (
	wantValue     = iota // a value (or ']' right after '[')
	wantKey              // a key (or '}' right after '{')
	wantColon            // ':' after a key
	wantSeparator        // ',' or the closing bracket
)

// scanShape reads the shape of a JSON object, appending its signature to
// sig. Anything it does not expect (invalid JSON, an inline @context
// object, deep nesting) gives ok false, and the document takes the full
// path.
func scanShape(doc string, sig []byte) shape {
	s := shape{sig: sig[:0], values: make([]shapeValue, 0, 32), ok: true}
	var stack [maxShapeDepth]scanFrame
	depth, want, opened := 0, wantValue, false
	keyVerbatim, keyContext := false, false
	for i := 0; i < len(doc); {
		c := doc[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		closing := c == '}' || c == ']'
		switch {
		case want == wantSeparator && (c == ',' || closing), opened && closing:
			if depth == 0 || (closing && stack[depth-1].object != (c == '}')) {
				return s.fail()
			}
			s.sig = append(s.sig, c)
			i++
			opened = false
			if c == ',' {
				want = wantValue
				if stack[depth-1].object {
					want = wantKey
				}
				continue
			}
			depth--
			want = wantSeparator
			if depth == 0 {
				for ; i < len(doc); i++ {
					if c := doc[i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' {
						return s.fail() // bytes after the top-level object
					}
				}
				return s
			}
			continue
		case want == wantColon:
			if c != ':' {
				return s.fail()
			}
			s.sig = append(s.sig, c)
			i++
			want = wantValue
			continue
		case want == wantKey:
			if c != '"' {
				return s.fail()
			}
			end, key, ok := jsonString(doc, i)
			if !ok {
				return s.fail()
			}
			s.sig = append(s.sig, doc[i:end]...)
			keyVerbatim, keyContext = verbatimKey(key), key == "@context"
			i, want, opened = end, wantColon, false
			continue
		case want != wantValue || (depth == 0 && c != '{'):
			return s.fail()
		}
		// a value: what it holds is verbatim, or in a @context, by its key
		// or by the array it is in
		verbatim, inContext := keyVerbatim, keyContext
		if depth > 0 && !stack[depth-1].object {
			verbatim, inContext = stack[depth-1].verbatim, stack[depth-1].context
		}
		opened = false
		switch c {
		case '{', '[':
			if depth == maxShapeDepth || (c == '{' && inContext) {
				return s.fail()
			}
			stack[depth] = scanFrame{object: c == '{', verbatim: verbatim, context: inContext}
			depth++
			want, opened = wantValue, true
			if c == '{' {
				want = wantKey
			}
			s.sig = append(s.sig, c)
			i++
			continue
		case '"':
			end, str, ok := jsonString(doc, i)
			if !ok {
				return s.fail()
			}
			switch {
			case verbatim || inContext:
				if mentionsPlaceholder(str) {
					return s.fail()
				}
				s.sig = append(s.sig, doc[i:end]...)
			default:
				kind, mark := slotLiteral, byte('L')
				if isHTTPIRI(str) {
					kind, mark = slotIRI, 'U'
				}
				s.sig = append(s.sig, mark)
				s.values = append(s.values, shapeValue{s: str, kind: kind, start: i, end: end})
			}
			i = end
		default: // number, true, false or null, kept as it is
			end := jsonLiteral(doc, i)
			if end < 0 {
				return s.fail()
			}
			s.sig = append(s.sig, doc[i:end]...)
			i = end
		}
		want = wantSeparator
	}
	return s.fail() // unterminated
}

// fail is the shape of a document that takes the full path; it keeps the
// signature buffer for reuse.
func (s *shape) fail() shape { return shape{sig: s.sig[:0]} }

// jsonLiteral returns the index after the number, true, false or null at
// doc[i], or -1.
func jsonLiteral(doc string, i int) int {
	for _, w := range [...]string{"true", "false", "null"} {
		if strings.HasPrefix(doc[i:], w) {
			return i + len(w)
		}
	}
	// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
	j := i
	if j < len(doc) && doc[j] == '-' {
		j++
	}
	digits := func() int {
		k := j
		for k < len(doc) && doc[k] >= '0' && doc[k] <= '9' {
			k++
		}
		return k - j
	}
	switch n := digits(); {
	case n == 0:
		return -1
	case doc[j] == '0' && n > 1:
		return -1
	default:
		j += n
	}
	if j < len(doc) && doc[j] == '.' {
		j++
		n := digits()
		if n == 0 {
			return -1
		}
		j += n
	}
	if j < len(doc) && (doc[j] == 'e' || doc[j] == 'E') {
		j++
		if j < len(doc) && (doc[j] == '+' || doc[j] == '-') {
			j++
		}
		n := digits()
		if n == 0 {
			return -1
		}
		j += n
	}
	return j
}

// jsonString reads the JSON string token that starts at doc[i] (a quote)
// and returns the index after it and its value, decoded as encoding/json
// decodes it.
func jsonString(doc string, i int) (end int, value string, ok bool) {
	plain := true // no escapes, no control or non-ASCII bytes
	for j := i + 1; j < len(doc); j++ {
		switch c := doc[j]; {
		case c == '\\':
			plain = false
			j++
		case c == '"':
			tok := doc[i : j+1]
			if plain || utf8.ValidString(tok) && !hasControl(tok) && strings.IndexByte(tok, '\\') < 0 {
				return j + 1, tok[1 : len(tok)-1], true
			}
			// escapes, control or invalid bytes: let encoding/json decide
			// (into a variable of this branch: value's address would put
			// every call's result on the heap)
			var v string
			if err := json.Unmarshal([]byte(tok), &v); err != nil {
				return 0, "", false
			}
			return j + 1, v, true
		case c < 0x20 || c >= 0x80:
			plain = false
		}
	}
	return 0, "", false
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 {
			return true
		}
	}
	return false
}

// withPlaceholders returns doc with each value token of s replaced by its
// placeholder, numbered in document order.
func withPlaceholders(doc string, s *shape) []byte {
	out := make([]byte, 0, len(doc)+16*len(s.values))
	last := 0
	for i, v := range s.values {
		out = append(out, doc[last:v.start]...)
		b, _ := json.Marshal(placeholderFor(v.kind, i)) // a string: cannot fail
		out = append(out, b...)
		last = v.end
	}
	return append(out, doc[last:]...)
}
