package bake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// unboundPrefix is how encoding/xml reports an element written with the
// usual prefix that no xmlns:openbadges declaration binds: Name.Space stays
// the bare prefix.
const unboundPrefix = "openbadges"

// svgDoc is what parseSVG learns about an SVG document: where the root start
// tag is and which Open Badges elements it holds, as byte offsets into the
// source so that baking can edit the document without re-serialising it.
type svgDoc struct {
	rootStart, rootEnd int  // the root start tag is src[rootStart:rootEnd]
	rootEmpty          bool // the root is written <svg .../>
	baked              []svgElem
}

// svgElem is one <openbadges:credential> or <openbadges:assertion> element.
type svgElem struct {
	version    string
	start, end int  // the element is src[start:end]
	bound      bool // its prefix is bound to the Open Badges namespace
	verify     string
	hasVerify  bool
	body       string // character data directly inside it, CDATA included
	hasChild   bool   // it contains elements
}

// bakedVersion says which Open Badges element, if any, an element name is.
func bakedVersion(n xml.Name) (version string, bound bool) {
	switch {
	case n.Local == "credential" && (n.Space == NamespaceOB3 || n.Space == unboundPrefix):
		return VersionOB3, n.Space == NamespaceOB3
	case n.Local == "assertion" && (n.Space == NamespaceOB2 || n.Space == unboundPrefix):
		return VersionOB2, n.Space == NamespaceOB2
	}
	return "", false
}

// looksLikeXML reports whether data, after an optional byte order mark and
// white space, starts with '<'.
func looksLikeXML(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '<'
}

// parseSVG reads src as XML up to the end of its root element, which must be
// <svg> (in any namespace). Entities declared in an internal DTD subset, as
// Adobe Illustrator writes them, are honoured.
func parseSVG(src []byte) (*svgDoc, error) {
	d := xml.NewDecoder(bytes.NewReader(src))
	d.Strict = true
	d.Entity = map[string]string{}
	d.CharsetReader = asciiCharsetReader
	var doc svgDoc
	depth := 0
	for {
		start := int(d.InputOffset())
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("bake: parse SVG: %w: no <svg> element", ErrNotImage)
		}
		if err != nil {
			return nil, fmt.Errorf("bake: parse SVG: %w: %v", ErrCorrupt, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			if depth == 0 {
				addEntities(d.Entity, t)
			}
		case xml.StartElement:
			if depth == 0 {
				if t.Name.Local != "svg" {
					return nil, fmt.Errorf("bake: parse SVG: %w: root element is <%s>, not <svg>", ErrNotImage, t.Name.Local)
				}
				doc.rootStart, doc.rootEnd = start, int(d.InputOffset())
				doc.rootEmpty = src[doc.rootEnd-2] == '/'
				depth = 1
				continue
			}
			if v, bound := bakedVersion(t.Name); v != "" {
				e, err := readBaked(d, t)
				if err != nil {
					return nil, err
				}
				e.version, e.bound = v, bound
				e.start, e.end = start, int(d.InputOffset())
				doc.baked = append(doc.baked, e)
				continue
			}
			if depth++; depth > MaxSVGDepth {
				return nil, fmt.Errorf("bake: parse SVG: %w: elements nested deeper than %d", ErrTooComplex, MaxSVGDepth)
			}
		case xml.EndElement:
			depth--
			if depth == 0 {
				return &doc, nil
			}
		}
	}
}

// readBaked reads the rest of a baked element whose start tag was just read.
func readBaked(d *xml.Decoder, t xml.StartElement) (svgElem, error) {
	var e svgElem
	for _, a := range t.Attr {
		if a.Name.Space == "" && a.Name.Local == "verify" && !e.hasVerify {
			e.verify, e.hasVerify = a.Value, true
		}
	}
	var body strings.Builder
	for depth := 1; depth > 0; {
		tok, err := d.Token()
		if err != nil {
			return e, fmt.Errorf("bake: parse SVG: %w: inside <%s>: %v", ErrCorrupt, t.Name.Local, err)
		}
		switch tt := tok.(type) {
		case xml.StartElement:
			if depth++; depth > MaxSVGDepth {
				return e, fmt.Errorf("bake: parse SVG: %w: elements nested deeper than %d", ErrTooComplex, MaxSVGDepth)
			}
			e.hasChild = true
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 1 {
				body.Write(tt)
			}
		}
	}
	e.body = body.String()
	return e, nil
}

// asciiCharsetReader lets documents that declare encoding="US-ASCII" (a
// subset of UTF-8) through; any other non-UTF-8 encoding is refused, since
// baking edits the document's bytes in place.
func asciiCharsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii":
		return r, nil
	}
	return nil, fmt.Errorf("encoding %q is not supported (want UTF-8)", label)
}

// addEntities records the general entities declared with a literal value in
// a DOCTYPE's internal subset, e.g. <!ENTITY ns_svg "http://www.w3.org/2000/svg">.
func addEntities(m map[string]string, dir xml.Directive) {
	s := string(dir)
	if !strings.HasPrefix(s, "DOCTYPE") {
		return
	}
	for {
		i := strings.Index(s, "<!ENTITY")
		if i < 0 {
			return
		}
		s = strings.TrimLeft(s[i+len("<!ENTITY"):], " \t\r\n")
		if strings.HasPrefix(s, "%") { // parameter entity: not used in content
			continue
		}
		j := strings.IndexAny(s, " \t\r\n")
		if j <= 0 {
			return
		}
		name := s[:j]
		s = strings.TrimLeft(s[j:], " \t\r\n")
		if s == "" || (s[0] != '"' && s[0] != '\'') { // external entity
			continue
		}
		k := strings.IndexByte(s[1:], s[0])
		if k < 0 {
			return
		}
		if _, dup := m[name]; !dup { // the first declaration binds
			m[name] = s[1 : 1+k]
		}
		s = s[k+2:]
	}
}

// extractSVG reads the badge from an SVG; see Extract.
func extractSVG(src []byte) (Baked, error) {
	doc, err := parseSVG(src)
	if err != nil {
		return Baked{}, err
	}
	var ob3, ob2 []svgElem
	for _, e := range doc.baked {
		if e.version == VersionOB3 {
			ob3 = append(ob3, e)
		} else {
			ob2 = append(ob2, e)
		}
	}
	hits, tag := ob3, "credential"
	if len(ob3) == 0 {
		hits, tag = ob2, "assertion"
	}
	switch {
	case len(hits) == 0:
		return Baked{}, fmt.Errorf("bake: extract SVG: %w: no <openbadges:credential> or <openbadges:assertion> element", ErrNoBadge)
	case len(hits) > 1:
		return Baked{}, fmt.Errorf("bake: extract SVG: %w: %d <openbadges:%s> elements", ErrDuplicate, len(hits), tag)
	}
	e := hits[0]
	body, verify := strings.TrimSpace(e.body), strings.TrimSpace(e.verify)
	switch {
	case !e.bound:
		return Baked{}, fmt.Errorf("bake: extract SVG: %w: prefix %q of <openbadges:%s> is not bound to a namespace", ErrInvalid, unboundPrefix, tag)
	case e.hasChild:
		return Baked{}, fmt.Errorf("bake: extract SVG: %w: <openbadges:%s> contains elements", ErrInvalid, tag)
	case e.version == VersionOB3 && e.hasVerify && body != "":
		return Baked{}, fmt.Errorf("bake: extract SVG: %w: <openbadges:credential> has both a verify attribute and a body", ErrInvalid)
	}
	text := body // OB 2.0 may carry both; the body is the assertion itself
	if text == "" {
		text = verify
	}
	if text == "" {
		return Baked{}, fmt.Errorf("bake: extract SVG: %w: empty <openbadges:%s>", ErrInvalid, tag)
	}
	return Baked{Format: FormatSVG, Version: e.version, Text: text}, nil
}

// SVG bakes text into an SVG document. version is VersionOB3 or VersionOB2.
//
// Every existing Open Badges element is removed and one new element is
// inserted as the first child of the root <svg>, whose start tag gets the
// xmlns:openbadges declaration (declarations binding another prefix to an
// Open Badges namespace are dropped). A JSON text goes in a CDATA body; any
// "]]>" in it, which can only occur inside a JSON string, is written as
// "]]\u003e", an equivalent JSON escape, so the CDATA section stays whole;
// an OB 2.0 assertion whose id is an http(s) URL (a hosted assertion) also
// gets that URL in the verify attribute, as Baking 2.0 says. A compact JWS
// (or an OB 2.0 hosted URL) goes in the verify attribute, with no body. The rest of the document is copied byte for byte.
func SVG(svg []byte, version, text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	kind, err := classify(version, text)
	if err != nil {
		return nil, err
	}
	if i := strings.IndexFunc(text, func(r rune) bool { return !isXMLChar(r) }); i >= 0 {
		return nil, fmt.Errorf("bake: SVG: %w: text has a character XML cannot carry at byte %d", ErrInvalid, i)
	}
	if !looksLikeXML(svg) {
		return nil, fmt.Errorf("bake: SVG: %w", ErrNotImage)
	}
	doc, err := parseSVG(svg)
	if err != nil {
		return nil, err
	}
	ns, local := NamespaceOB3, "credential"
	if version == VersionOB2 {
		ns, local = NamespaceOB2, "assertion"
	}
	tag, name, err := rewriteRootTag(svg[doc.rootStart:doc.rootEnd], ns)
	if err != nil {
		return nil, err
	}

	var out bytes.Buffer
	out.Grow(len(svg) + len(text) + 200)
	out.Write(svg[:doc.rootStart])
	out.Write(tag)
	out.WriteString("\n<openbadges:")
	out.WriteString(local)
	if kind == kindJSON {
		if u := hostedAssertionURL(version, text); u != "" {
			out.WriteString(` verify="`)
			if err := xml.EscapeText(&out, []byte(u)); err != nil {
				return nil, fmt.Errorf("bake: SVG: escape verify attribute: %w", err)
			}
			out.WriteString(`"`)
		}
		out.WriteString("><![CDATA[")
		out.WriteString(strings.ReplaceAll(text, "]]>", `]]\u003e`))
		out.WriteString("]]></openbadges:")
		out.WriteString(local)
		out.WriteString(">")
	} else {
		out.WriteString(` verify="`)
		if err := xml.EscapeText(&out, []byte(text)); err != nil {
			return nil, fmt.Errorf("bake: SVG: escape verify attribute: %w", err)
		}
		out.WriteString(`"/>`)
	}
	if doc.rootEmpty {
		out.WriteString("\n</")
		out.WriteString(name)
		out.WriteString(">")
		out.Write(svg[doc.rootEnd:])
		return out.Bytes(), nil
	}
	pos := doc.rootEnd
	for _, e := range doc.baked {
		// Take the white space before an old element with it, so that
		// baking twice gives the same document as baking once.
		s := e.start
		for s > pos && isXMLSpace(svg[s-1]) {
			s--
		}
		out.Write(svg[pos:s])
		pos = e.end
	}
	out.Write(svg[pos:])
	return out.Bytes(), nil
}

// hostedAssertionURL returns the id of an OB 2.0 assertion given as JSON
// when it is an http(s) URL (a hosted assertion), else "". Baking 2.0
// puts it in the verify attribute of <openbadges:assertion>, beside the
// assertion in the body.
func hostedAssertionURL(version, text string) string {
	if version != VersionOB2 {
		return ""
	}
	var a struct {
		ID string `json:"id"`
	}
	if json.Unmarshal([]byte(text), &a) != nil || !isHTTPURL(a.ID) {
		return ""
	}
	return a.ID
}

// rewriteRootTag returns the root start tag with xmlns:openbadges bound to
// ns and no other prefix bound to an Open Badges namespace (a verifier may
// look for the first such declaration), written as a non-empty start tag,
// and the root's qualified name. A root that binds openbadges to some other
// namespace is refused. tag has already been accepted by encoding/xml, so it
// is a well-formed start tag.
func rewriteRootTag(tag []byte, ns string) ([]byte, string, error) {
	malformed := func() error { return fmt.Errorf("bake: SVG: %w: cannot parse the root start tag", ErrCorrupt) }
	i := 1
	for i < len(tag) && !isXMLSpace(tag[i]) && tag[i] != '/' && tag[i] != '>' {
		i++
	}
	name := string(tag[1:i])
	out := make([]byte, 0, len(tag)+len(ns)+40)
	out = append(out, tag[:i]...)
	sep := []byte(" ")
	have := false
	for {
		wsStart := i
		for i < len(tag) && isXMLSpace(tag[i]) {
			i++
		}
		if i >= len(tag) {
			return nil, "", malformed()
		}
		if tag[i] == '/' || tag[i] == '>' {
			if !have {
				out = append(out, sep...)
				out = append(out, `xmlns:openbadges="`...)
				out = append(out, ns...)
				out = append(out, '"')
			}
			out = append(out, tag[wsStart:i]...)
			return append(out, '>'), name, nil
		}
		nameStart := i
		for i < len(tag) && tag[i] != '=' && !isXMLSpace(tag[i]) {
			i++
		}
		attr := string(tag[nameStart:i])
		for i < len(tag) && isXMLSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || tag[i] != '=' {
			return nil, "", malformed()
		}
		i++
		for i < len(tag) && isXMLSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || (tag[i] != '"' && tag[i] != '\'') {
			return nil, "", malformed()
		}
		q := bytes.IndexByte(tag[i+1:], tag[i])
		if q < 0 {
			return nil, "", malformed()
		}
		value := string(tag[i+1 : i+1+q])
		i += q + 2
		if wsStart < nameStart {
			sep = tag[wsStart:nameStart]
		}
		switch {
		case attr == "xmlns:openbadges" && value == ns && !have:
			have = true
		case attr == "xmlns:openbadges" && value != NamespaceOB3 && value != NamespaceOB2:
			// Rebinding it would pull the document's own openbadges:*
			// elements into the Open Badges namespace.
			return nil, "", fmt.Errorf("bake: SVG: %w: the root binds the prefix openbadges to %q", ErrInvalid, value)
		case attr == "xmlns:openbadges",
			strings.HasPrefix(attr, "xmlns:") && (value == NamespaceOB3 || value == NamespaceOB2):
			continue // dropped, with the white space before it
		}
		if wsStart == nameStart { // encoding/xml lets attributes touch: a="1"b="2"
			out = append(out, ' ')
		}
		out = append(out, tag[wsStart:i]...)
	}
}

// isXMLSpace reports whether c is XML white space.
func isXMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// isXMLChar reports whether r may appear in an XML 1.0 document.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
