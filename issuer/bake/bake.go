// Package bake embeds Open Badges into images and reads them back out
// ("baking", OB 3.0 §5.3 and OB 2.0 Baking).
//
// A PNG carries the badge in one uncompressed iTXt chunk placed right after
// IHDR, with the keyword "openbadgecredential" (OB 3.0) or "openbadges"
// (OB 2.0). An SVG carries it in an <openbadges:credential> element
// (namespace https://purl.imsglobal.org/ob/v3p0) or an <openbadges:assertion>
// element (namespace http://openbadges.org) placed as the first child of the
// root <svg>.
//
// The baked text is a JSON credential or assertion, a compact JWS (VC-JWT or
// signed OB 2.0 assertion), or, for OB 2.0 only, the URL of a hosted
// assertion. The package uses only the standard library.
package bake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// PNG text chunk keywords.
const (
	KeywordOB3 = "openbadgecredential" // OB 3.0
	KeywordOB2 = "openbadges"          // OB 2.0
)

// Versions, as Baked.Version and the version argument of SVG.
const (
	VersionOB3 = "ob3"
	VersionOB2 = "ob2"
)

// Formats, as Baked.Format.
const (
	FormatPNG = "png"
	FormatSVG = "svg"
)

// SVG namespaces of the baked element.
const (
	NamespaceOB3 = "https://purl.imsglobal.org/ob/v3p0"
	NamespaceOB2 = "http://openbadges.org"
)

// Baked is what Extract found in an image.
type Baked struct {
	Format  string // FormatPNG or FormatSVG
	Version string // VersionOB3 or VersionOB2
	Text    string // JSON, compact JWS or (OB 2.0) URL, without surrounding white space
}

// Error is the type of the sentinel errors below; every error the package
// returns wraps one of them, so callers can test with errors.Is.
type Error string

// Error implements error.
func (e Error) Error() string { return string(e) }

// Sentinel errors.
const (
	// ErrNotImage: the input is neither a PNG nor an SVG document.
	ErrNotImage Error = "not a PNG or SVG image"
	// ErrCorrupt: the input looks like a PNG or SVG but is damaged or malformed.
	ErrCorrupt Error = "corrupt image"
	// ErrNoBadge: a valid image with no Open Badge baked in.
	ErrNoBadge Error = "no Open Badge baked in the image"
	// ErrDuplicate: the badge keyword or element occurs more than once.
	ErrDuplicate Error = "Open Badge baked in more than once"
	// ErrCompressed: the badge text chunk is compressed (iTXt flag 1 or zTXt),
	// which the baking specifications forbid.
	ErrCompressed Error = "compressed Open Badges text chunk (compression must not be used)"
	// ErrInvalid: the baked element or chunk, or the text given to bake, is
	// not a well-formed Open Badge.
	ErrInvalid Error = "invalid Open Badge"
	// ErrTooComplex: an SVG nests elements deeper than MaxSVGDepth. No
	// badge artwork does; a hostile file that did would make the XML
	// parser hold a frame per level (a 7 MB file, 250 MB).
	ErrTooComplex Error = "image too complex"
)

// MaxSVGDepth is how deeply an SVG may nest its elements.
const MaxSVGDepth = 256

// textKind says what a badge text is; it decides how an SVG carries it.
type textKind int

const (
	kindJSON textKind = iota + 1
	kindJWS
	kindURL
)

// classify checks that text is something a baked badge of the given version
// may carry and says which kind it is. text must already be trimmed.
func classify(version, text string) (textKind, error) {
	if version != VersionOB3 && version != VersionOB2 {
		return 0, fmt.Errorf("bake: %w: unknown version %q (want %q or %q)", ErrInvalid, version, VersionOB3, VersionOB2)
	}
	if text == "" {
		return 0, fmt.Errorf("bake: %w: empty text", ErrInvalid)
	}
	if !utf8.ValidString(text) {
		return 0, fmt.Errorf("bake: %w: text is not valid UTF-8", ErrInvalid)
	}
	switch {
	case text[0] == '{':
		if !json.Valid([]byte(text)) {
			return 0, fmt.Errorf("bake: %w: text starts with '{' but is not valid JSON", ErrInvalid)
		}
		return kindJSON, nil
	case isCompactJWS(text):
		return kindJWS, nil
	case version == VersionOB2 && isHTTPURL(text):
		return kindURL, nil
	case version == VersionOB3:
		return 0, fmt.Errorf("bake: %w: OB 3.0 text must be a JSON credential or a compact JWS (VC-JWT)", ErrInvalid)
	default:
		return 0, fmt.Errorf("bake: %w: OB 2.0 text must be a JSON assertion, a compact JWS or an http(s) URL", ErrInvalid)
	}
}

// isCompactJWS reports whether s has the shape header.payload.signature,
// each part non-empty base64url without padding.
func isCompactJWS(s string) bool {
	parts := 0
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if n == 0 {
				return false
			}
			parts++
			n = 0
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			n++
		default:
			return false
		}
	}
	return parts == 2 && n > 0
}

// isHTTPURL reports whether s is an absolute http or https URL with a host
// and no white space or control characters.
func isHTTPURL(s string) bool {
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Extract reads the Open Badge baked into a PNG or SVG image.
//
// For PNG it reads the iTXt chunk with the keyword "openbadgecredential"
// (preferred) or "openbadges"; for OB 2.0 the legacy tEXt form is accepted
// too. For SVG it reads <openbadges:credential> (preferred) or
// <openbadges:assertion>, whatever prefix the namespace is bound to, from its
// verify attribute or its (CDATA) body. The file must be well-formed: bad
// PNG chunk CRCs or malformed XML are errors. Errors wrap ErrNotImage,
// ErrCorrupt, ErrNoBadge, ErrDuplicate, ErrCompressed, ErrInvalid or
// ErrTooComplex.
func Extract(data []byte) (Baked, error) {
	if bytes.HasPrefix(data, []byte(pngSignature)) {
		return extractPNG(data)
	}
	if looksLikeXML(data) {
		return extractSVG(data)
	}
	return Baked{}, fmt.Errorf("bake: extract: %w", ErrNotImage)
}
