package issuer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits on the JSON documents Verify reads (the input, a VC-JWT payload,
// every fetched document), checked on the raw bytes before they are
// decoded. An Open Badge has a few hundred values nested a few levels
// deep; JSON-LD processing costs some hundred bytes of memory per value,
// so a hostile 8 MB credential of a million values took 590 MB.
const (
	maxJSONValues = 20000 // strings, numbers, literals, objects and arrays
	maxJSONDepth  = 64
)

// errTooComplex is wrapped when a document is over those limits.
var errTooComplex = errors.New("document too complex")

// checkJSONShape reads b as a stream of JSON tokens and fails when it
// holds more than maxJSONValues values or nests deeper than maxJSONDepth.
// Syntax errors are left to the decoder that follows.
func checkJSONShape(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // no float parsing
	values, depth := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if depth++; depth > maxJSONDepth {
				return fmt.Errorf("%w: nested deeper than %d", errTooComplex, maxJSONDepth)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
			continue
		}
		if values++; values > maxJSONValues {
			return fmt.Errorf("%w: more than %d JSON values", errTooComplex, maxJSONValues)
		}
	}
}

// unmarshalBounded is json.Unmarshal after checkJSONShape.
func unmarshalBounded(b []byte, v any) error {
	if err := checkJSONShape(b); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
