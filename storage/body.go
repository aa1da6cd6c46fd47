package storage

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/klauspost/compress/s2"
)

// Delivery bodies are stored S2-compressed (migration 006). Compressing
// happens in the caller's goroutine, before the write is queued, so the
// one writer only copies the smaller body.

// bodyS2 is the body_encoding of an S2 block; an empty one is a raw body.
const bodyS2 = "s2"

// encodeBody returns the body to store, its encoding and a release to call
// once the stored body is written (SQLite copies what it binds). Bodies
// too small to gain are stored raw. Compressed bodies go to pooled
// buffers: S2 wants room for the worst case, more than the body itself.
func encodeBody(body []byte) (stored []byte, encoding string, release func()) {
	if len(body) < 512 {
		if body == nil {
			body = []byte{}
		}
		return body, "", func() {}
	}
	need := s2.MaxEncodedLen(len(body))
	if need < 0 || need > keepEncoded {
		return s2.Encode(nil, body), bodyS2, func() {}
	}
	bp := encoded.Get().(*[]byte)
	if cap(*bp) < need {
		*bp = make([]byte, need)
	}
	return s2.Encode((*bp)[:need], body), bodyS2, func() { encoded.Put(bp) }
}

// encoded pools the buffers of compressed bodies up to keepEncoded, and
// decoded those of bodies decompressed for processing.
var (
	encoded = sync.Pool{New: func() any { return new([]byte) }}
	decoded = sync.Pool{New: func() any { return new([]byte) }}
)

const keepEncoded = 1 << 20

// decodeBody returns the body a stored one encodes, in a buffer of its
// own.
func decodeBody(stored []byte, encoding string) ([]byte, error) {
	body, release, err := decodePooled(stored, encoding)
	if release != nil {
		body = bytes.Clone(body)
		release()
	}
	return body, err
}

// decodePooled returns the body a stored one encodes, decompressed into a
// pooled buffer when release is not nil: release gives the buffer back,
// once nothing reads the body any more. Processing a delivery decompressed
// each body into a new buffer, a sixth of the bytes it allocated.
func decodePooled(stored []byte, encoding string) (body []byte, release func(), err error) {
	switch encoding {
	case "":
		return stored, nil, nil
	case bodyS2:
		n, err := s2.DecodedLen(stored)
		if err != nil {
			return nil, nil, fmt.Errorf("storage: stored body: %w", err)
		}
		if n > keepEncoded {
			b, err := s2.Decode(nil, stored)
			if err != nil {
				return nil, nil, fmt.Errorf("storage: stored body: %w", err)
			}
			return b, nil, nil
		}
		bp := decoded.Get().(*[]byte)
		if cap(*bp) < n {
			*bp = make([]byte, n)
		}
		b, err := s2.Decode((*bp)[:n], stored)
		if err != nil {
			decoded.Put(bp)
			return nil, nil, fmt.Errorf("storage: stored body: %w", err)
		}
		return b, func() { decoded.Put(bp) }, nil
	case bodyDropped:
		return nil, nil, fmt.Errorf("storage: stored body was deleted after privacy.delivery_retention")
	}
	return nil, nil, fmt.Errorf("storage: stored body has unknown encoding %q", encoding)
}
