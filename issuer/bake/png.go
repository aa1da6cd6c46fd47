package bake

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
	"unicode/utf8"
)

// pngSignature opens every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// maxChunkLen is the largest chunk length the PNG specification allows.
const maxChunkLen = 1<<31 - 1

// chunk is one PNG chunk, pointing into the file it came from.
type chunk struct {
	typ  string
	data []byte // chunk data, without length, type and CRC
	raw  []byte // the whole chunk: length, type, data, CRC
}

// readChunks checks the PNG signature, every chunk's length, type and CRC,
// that IHDR comes first and is sane, that there is image data and that the
// file ends with IEND. Bytes after IEND are not part of the image and are
// dropped.
func readChunks(png []byte) ([]chunk, error) {
	if !bytes.HasPrefix(png, []byte(pngSignature)) {
		return nil, fmt.Errorf("bake: read PNG: %w: bad signature", ErrNotImage)
	}
	var chunks []chunk
	sawIDAT := false
	for off := len(pngSignature); ; {
		if len(png)-off < 12 {
			return nil, fmt.Errorf("bake: read PNG: %w: truncated after %d chunks, no IEND", ErrCorrupt, len(chunks))
		}
		n := binary.BigEndian.Uint32(png[off:])
		if n > maxChunkLen || int64(n) > int64(len(png)-off-12) {
			return nil, fmt.Errorf("bake: read PNG: %w: chunk %d length %d overruns the file", ErrCorrupt, len(chunks), n)
		}
		end := off + 12 + int(n)
		typ := png[off+4 : off+8]
		if !validChunkType(typ) {
			return nil, fmt.Errorf("bake: read PNG: %w: chunk %d has invalid type %q", ErrCorrupt, len(chunks), typ)
		}
		want := binary.BigEndian.Uint32(png[end-4:])
		if got := crc32.ChecksumIEEE(png[off+4 : end-4]); got != want {
			return nil, fmt.Errorf("bake: read PNG: %w: chunk %d (%s) CRC %08x, want %08x", ErrCorrupt, len(chunks), typ, want, got)
		}
		c := chunk{typ: string(typ), data: png[off+8 : end-4], raw: png[off:end]}
		switch {
		case len(chunks) == 0 && c.typ != "IHDR":
			return nil, fmt.Errorf("bake: read PNG: %w: first chunk is %s, not IHDR", ErrCorrupt, c.typ)
		case len(chunks) > 0 && c.typ == "IHDR":
			return nil, fmt.Errorf("bake: read PNG: %w: second IHDR at chunk %d", ErrCorrupt, len(chunks))
		case c.typ == "IHDR":
			if err := checkIHDR(c.data); err != nil {
				return nil, err
			}
		case c.typ == "IDAT":
			sawIDAT = true
		}
		chunks = append(chunks, c)
		off = end
		if c.typ == "IEND" {
			if !sawIDAT {
				return nil, fmt.Errorf("bake: read PNG: %w: no IDAT chunk", ErrCorrupt)
			}
			return chunks, nil
		}
	}
}

// validChunkType reports whether t is four ASCII letters.
func validChunkType(t []byte) bool {
	for _, c := range t {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// checkIHDR checks the image header's size, dimensions and pixel format.
func checkIHDR(d []byte) error {
	if len(d) != 13 {
		return fmt.Errorf("bake: read PNG: %w: IHDR is %d bytes, want 13", ErrCorrupt, len(d))
	}
	w, h := binary.BigEndian.Uint32(d[0:]), binary.BigEndian.Uint32(d[4:])
	if w == 0 || h == 0 || w > maxChunkLen || h > maxChunkLen {
		return fmt.Errorf("bake: read PNG: %w: image size %dx%d", ErrCorrupt, w, h)
	}
	depth, colour := d[8], d[9]
	var ok bool
	switch colour {
	case 0: // grey
		ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16
	case 3: // palette
		ok = depth == 1 || depth == 2 || depth == 4 || depth == 8
	case 2, 4, 6: // RGB, grey+alpha, RGBA
		ok = depth == 8 || depth == 16
	}
	if !ok {
		return fmt.Errorf("bake: read PNG: %w: bit depth %d with colour type %d", ErrCorrupt, depth, colour)
	}
	if d[10] != 0 || d[11] != 0 || d[12] > 1 {
		return fmt.Errorf("bake: read PNG: %w: unknown compression, filter or interlace method", ErrCorrupt)
	}
	return nil
}

// textKeyword returns the keyword of a tEXt, zTXt or iTXt chunk, or "" for
// any other chunk or a text chunk without the NUL after its keyword.
func textKeyword(c chunk) string {
	if c.typ != "iTXt" && c.typ != "tEXt" && c.typ != "zTXt" {
		return ""
	}
	i := bytes.IndexByte(c.data, 0)
	if i < 0 {
		return ""
	}
	return string(c.data[:i])
}

// isBadgeKeyword reports whether a text chunk keyword belongs to Open
// Badges. Near misses such as "OpenBadges" count too, so that baking
// replaces them instead of leaving a second, conflicting chunk behind.
func isBadgeKeyword(kw string) bool {
	return len(kw) >= len("openbadge") && strings.EqualFold(kw[:len("openbadge")], "openbadge")
}

// PNG bakes text into a PNG image under keyword (KeywordOB3 or KeywordOB2):
// it checks the image, drops every existing Open Badges text chunk and
// inserts one uncompressed iTXt chunk, with empty language tag and
// translated keyword, right after IHDR. The other chunks are copied
// unchanged. text is trimmed of surrounding white space; it must be a JSON
// document or a compact JWS, or for OB 2.0 also an http(s) URL.
func PNG(img []byte, keyword, text string) ([]byte, error) {
	version := VersionOB3
	switch keyword {
	case KeywordOB3:
	case KeywordOB2:
		version = VersionOB2
	default:
		return nil, fmt.Errorf("bake: PNG: %w: keyword %q (want %q or %q)", ErrInvalid, keyword, KeywordOB3, KeywordOB2)
	}
	text = strings.TrimSpace(text)
	if _, err := classify(version, text); err != nil {
		return nil, err
	}
	chunks, err := readChunks(img)
	if err != nil {
		return nil, err
	}
	// iTXt data: keyword NUL, compression flag 0, method 0, empty language
	// tag NUL, empty translated keyword NUL, text.
	dataLen := len(keyword) + 5 + len(text)
	if dataLen > maxChunkLen {
		return nil, fmt.Errorf("bake: PNG: %w: text too long for one chunk", ErrInvalid)
	}
	size := len(pngSignature) + 12 + dataLen
	for _, c := range chunks {
		size += len(c.raw)
	}
	out := make([]byte, 0, size)
	out = append(out, pngSignature...)
	out = append(out, chunks[0].raw...)
	start := len(out)
	out = binary.BigEndian.AppendUint32(out, uint32(dataLen))
	out = append(out, "iTXt"...)
	out = append(out, keyword...)
	out = append(out, 0, 0, 0, 0, 0)
	out = append(out, text...)
	out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start+4:]))
	for _, c := range chunks[1:] {
		if isBadgeKeyword(textKeyword(c)) {
			continue
		}
		out = append(out, c.raw...)
	}
	return out, nil
}

// extractPNG reads the badge from a PNG; see Extract.
func extractPNG(png []byte) (Baked, error) {
	chunks, err := readChunks(png)
	if err != nil {
		return Baked{}, err
	}
	var ob3, ob2 []chunk
	for _, c := range chunks {
		switch textKeyword(c) {
		case KeywordOB3:
			ob3 = append(ob3, c)
		case KeywordOB2:
			ob2 = append(ob2, c)
		}
	}
	version, hits := VersionOB3, ob3
	if len(ob3) == 0 {
		version, hits = VersionOB2, ob2
	}
	switch {
	case len(hits) == 0:
		return Baked{}, fmt.Errorf("bake: extract PNG: %w: no %q or %q text chunk", ErrNoBadge, KeywordOB3, KeywordOB2)
	case len(hits) > 1:
		return Baked{}, fmt.Errorf("bake: extract PNG: %w: %d %q text chunks", ErrDuplicate, len(hits), textKeyword(hits[0]))
	}
	c := hits[0]
	var text string
	switch c.typ {
	case "zTXt":
		return Baked{}, fmt.Errorf("bake: extract PNG: %w: zTXt chunk", ErrCompressed)
	case "tEXt":
		if version == VersionOB3 {
			return Baked{}, fmt.Errorf("bake: extract PNG: %w: OB 3.0 credential in a tEXt chunk; it must be iTXt", ErrInvalid)
		}
		text = latin1ToUTF8(c.data[len(KeywordOB2)+1:])
	default:
		text, err = itxtText(c.data)
		if err != nil {
			return Baked{}, err
		}
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return Baked{}, fmt.Errorf("bake: extract PNG: %w: empty %s chunk", ErrInvalid, c.typ)
	}
	return Baked{Format: FormatPNG, Version: version, Text: text}, nil
}

// itxtText returns the text of an iTXt chunk, refusing compressed or
// malformed ones.
func itxtText(d []byte) (string, error) {
	k := bytes.IndexByte(d, 0)
	rest := d[k+1:]
	if len(rest) < 2 {
		return "", fmt.Errorf("bake: extract PNG: %w: iTXt chunk truncated", ErrCorrupt)
	}
	switch flag, method := rest[0], rest[1]; {
	case flag == 1:
		return "", fmt.Errorf("bake: extract PNG: %w: iTXt compression flag 1", ErrCompressed)
	case flag != 0 || method != 0:
		return "", fmt.Errorf("bake: extract PNG: %w: iTXt compression flag %d, method %d", ErrCorrupt, flag, method)
	}
	rest = rest[2:]
	for _, field := range []string{"language tag", "translated keyword"} {
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			return "", fmt.Errorf("bake: extract PNG: %w: iTXt %s not terminated", ErrCorrupt, field)
		}
		rest = rest[i+1:]
	}
	if !utf8.Valid(rest) {
		return "", fmt.Errorf("bake: extract PNG: %w: iTXt text is not valid UTF-8", ErrInvalid)
	}
	return string(rest), nil
}

// latin1ToUTF8 decodes ISO 8859-1, the encoding of tEXt chunks.
func latin1ToUTF8(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}
