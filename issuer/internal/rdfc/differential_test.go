package rdfc

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/piprate/json-gold/ld"
)

// The differential test of the signing fast path: documents shaped like
// the issuer's credentials, built from fuzz input (which fields are there,
// arrays or single values, language maps, numbers, dates, IRIs with odd
// characters, hostile text written with every kind of JSON escape), are
// canonicalised by WriteJSON with one long-lived Canonicalizer and by
// json-gold's own uncached pipeline (JsonLdProcessor.Normalize). Either
// the fast path gives json-gold's N-Quads byte for byte, or it declines
// (Templated is false) and the full path refuses the document too.

// credentialGen turns fuzz input into a credential: each choice takes one
// byte of shape (0 once they run out, so a short shape is the issuer's own
// credential), and text comes from the three fuzz strings and a pool.
type credentialGen struct {
	shape []byte
	text  [3]string
	style int // JSON writing style, see writeJSON
}

// maxFuzzText bounds each fuzz string: json-gold's cost grows with the
// text, and longer strings find nothing shorter ones do not.
const maxFuzzText = 256

func newCredentialGen(shape []byte, a, b, c string) *credentialGen {
	g := &credentialGen{shape: shape, text: [3]string{a, b, c}}
	for i, s := range g.text {
		if len(s) > maxFuzzText {
			g.text[i] = s[:maxFuzzText]
		}
	}
	g.style = g.n(6)
	return g
}

// n returns the next choice, in [0, k).
func (g *credentialGen) n(k int) int {
	if len(g.shape) == 0 {
		return 0
	}
	v := int(g.shape[0]) % k
	g.shape = g.shape[1:]
	return v
}

func (g *credentialGen) maybe() bool { return g.n(4) == 3 } // one in four: an optional part

// hostile are strings that stress JSON and N-Quads escaping, the IRI and
// literal split and the placeholders themselves.
var hostile = []string{
	"", "First Pull Request", "Ünïcödé — “quotes” ✓ 😀 日本語", "He said \"hi\"\nand left", "tab\there",
	`back\slash \" \\n \u0000`, "cr\rlf\r\n", "<script>alert('&amp;')</script>", "\u2028\u2029\u200b\ufeff",
	"\x00\x01\x07\x08\x0c\x1f\x7f", "\xff\xfe invalid \xc3", "\U0010ffff\ud7ff\ue000", "https://looks.like/an/iri",
	"http://x", "  spaces  ", "\ue000p1\ue001", "\ue000p0\ue001", "https://placeholder.invalid/p0",
	"https://placeholder.invalid/p1", "did:example:123", "_:b0", "_:c14n0", "@id", "@type", "42", "-0",
	"1e3", "true", "null", "2026-11-20T09:30:15Z", "en", "<https://x>", "\"^^<http://x>", "a\n.\n",
	"\u202eevil\u202c", "ﬁ ǅ İ ß", "\u0301\u0301\u0301",
}

// str is a string value: one of the fuzz strings, a mix, or from the pool.
func (g *credentialGen) str() string {
	switch g.n(8) {
	case 0:
		return g.text[0]
	case 1:
		return g.text[1]
	case 2:
		return g.text[2]
	case 3:
		return g.text[0] + g.text[1]
	case 4:
		return strings.Repeat(g.text[2], 3)
	default:
		return hostile[g.n(len(hostile))]
	}
}

// iri is an id under base: mostly well formed, sometimes odd.
func (g *credentialGen) iri(base string) string {
	switch g.n(14) {
	case 0:
		return base + "/" + url.PathEscape(g.text[0])
	case 1:
		return base
	case 2:
		return base + "/" + g.text[0] // raw: spaces, '@', unicode, ...
	case 3:
		return base + "?q=" + g.text[1] + "#" + g.text[2]
	case 4:
		return "urn:uuid:" + g.text[1]
	case 5:
		return "did:example:" + g.text[1]
	case 6:
		return g.text[2] // relative, empty, anything
	case 7:
		return "_:" + g.text[0] // a blank node id
	case 8:
		return "https://" + g.text[0] + "/x"
	case 9:
		return "http://例え.jp/パス?q=ü#" + g.text[1]
	case 10:
		return "https://user@example.org/" + g.text[1]
	case 11:
		return "https://example.org:8443" // no path
	case 12:
		return iriPlaceholder + strconv.Itoa(g.n(4))
	default:
		return hostile[g.n(len(hostile))]
	}
}

// number is a JSON number as written, or a boolean or null.
func (g *credentialGen) number() any {
	nums := []string{"0", "-0", "1", "42", "1.5", "-2.5e3", "1e3", "1E-7", "0.1", "3.141592653589793",
		"123456789012345678901234567890", "9007199254740993", "1e308", "1e400", "-0.0", "5e-324"}
	switch g.n(4) {
	case 0:
		return json.Number(nums[g.n(len(nums))])
	case 1:
		return true
	case 2:
		return false
	default:
		return nil
	}
}

// lang is a language tag: well formed or not.
func (g *credentialGen) lang() string {
	return []string{"en", "de-CH", "EN-us", "x-private", "", "zh-Hant-TW", g.text[2], "en_US", "ünï"}[g.n(9)]
}

// textValue is the value of a name, description or narrative.
func (g *credentialGen) textValue() any {
	switch g.n(10) {
	case 1:
		return []any{g.str(), g.str()}
	case 2:
		return obj{{"@value", g.str()}, {"@language", g.lang()}}
	case 3:
		return obj{{"@value", g.str()}, {"@language", g.lang()}, {"@direction", []string{"rtl", "ltr", "up"}[g.n(3)]}}
	case 4:
		return []any{obj{{"@value", g.str()}, {"@language", g.lang()}}, g.str()}
	case 5:
		return g.number()
	case 6:
		return []any{}
	case 7:
		return obj{{"@value", g.str()}, {"@type", "http://www.w3.org/2001/XMLSchema#string"}}
	default:
		return g.str()
	}
}

// date is a validFrom-like value.
func (g *credentialGen) date() any {
	switch g.n(8) {
	case 1:
		return g.text[1]
	case 2:
		return "2026-02-30T25:61:00+14:00"
	case 3:
		return "0001-01-01T00:00:00Z"
	case 4:
		return "2026-11-20"
	case 5:
		return obj{{"@value", "2026-11-20T09:30:15Z"}, {"@type", "http://www.w3.org/2001/XMLSchema#dateTime"}}
	case 6:
		return g.number()
	default:
		return "2026-11-20T09:30:15Z"
	}
}

// types is a type value: the expected one, as a list or not, or an odd one.
func (g *credentialGen) types(want ...string) any {
	switch g.n(8) {
	case 1:
		return want[len(want)-1]
	case 2:
		return append([]any{}, "Badge")
	case 3:
		return []any{}
	default:
		l := make([]any, len(want))
		for i, t := range want {
			l[i] = t
		}
		return l
	}
}

// opt appends kv to o when the next choice says so.
func (g *credentialGen) opt(o obj, k string, v func() any) obj {
	if g.maybe() {
		return append(o, kv{k, v()})
	}
	return o
}

func (g *credentialGen) profile(required bool) any {
	if !required && g.n(6) == 5 {
		return g.iri("https://badges.example.org/issuer")
	}
	p := obj{{"id", g.iri("https://badges.example.org/issuer")}, {"type", g.types("Profile")}, {"name", g.textValue()}}
	if g.n(3) != 2 {
		p = append(p, kv{"url", g.iri("https://community.example.org")})
	}
	p = g.opt(p, "email", func() any { return g.str() })
	p = g.opt(p, "description", g.textValue)
	p = g.opt(p, "image", func() any { return obj{{"id", g.iri("https://badges.example.org/logo.png")}, {"type", "Image"}} })
	return p
}

func (g *credentialGen) achievement() obj {
	a := obj{{"id", g.iri("https://badges.example.org/badges")}, {"type", g.types("Achievement")},
		{"name", g.textValue()}, {"description", g.textValue()}}
	crit := obj{{"narrative", g.textValue()}}
	crit = g.opt(crit, "id", func() any { return g.iri("https://badges.example.org/criteria") })
	a = append(a, kv{"criteria", crit}, kv{"image", obj{{"id", g.iri("https://badges.example.org/badges/x/image.png")}, {"type", "Image"}}})
	a = g.opt(a, "creator", func() any { return g.profile(false) })
	a = g.opt(a, "tag", func() any { return []any{g.str(), g.str()} })
	a = g.opt(a, "achievementType", func() any { return []any{"Badge", "Certificate", g.str()}[g.n(3)] })
	return a
}

func (g *credentialGen) subject() obj {
	var s obj
	if g.maybe() {
		s = append(s, kv{"id", g.iri("https://github.com")})
	}
	s = append(s, kv{"type", g.types("AchievementSubject")})
	if g.n(5) != 4 {
		ident := obj{{"type", "IdentityObject"}, {"identityType", []any{"emailAddress", "url", g.str()}[g.n(3)]},
			{"hashed", []any{true, false, json.Number("1")}[g.n(3)]}, {"salt", g.str()},
			{"identityHash", "sha256$" + g.str()}}
		s = append(s, kv{"identifier", []any{ident}})
	}
	s = append(s, kv{"achievement", g.achievement()})
	s = g.opt(s, "narrative", g.textValue)
	s = g.opt(s, "awardedDate", g.date)
	return s
}

func (g *credentialGen) evidence() obj {
	e := obj{}
	if g.n(5) != 4 {
		e = append(e, kv{"id", g.iri("https://github.com/example/app/pull")})
	}
	e = append(e, kv{"type", g.types("Evidence")})
	e = g.opt(e, "name", g.textValue)
	e = g.opt(e, "description", g.textValue)
	e = g.opt(e, "narrative", g.textValue)
	e = g.opt(e, "genre", func() any { return g.str() })
	e = g.opt(e, "audience", func() any { return g.str() })
	return e
}

// credential builds the document.
func (g *credentialGen) credential() obj {
	ctx := []any{ContextCredentialsV2, ContextOB303, ContextOBExtensions}
	switch g.n(8) {
	case 1:
		ctx = ctx[:2]
	case 2:
		ctx = append(ctx, map[string]any{"@vocab": "https://example.org/vocab#"}) // inline: the full path
	case 3:
		ctx = []any{ContextCredentialsV2}
	}
	c := obj{{"@context", ctx}, {"id", g.iri("https://badges.example.org/awards")},
		{"type", g.types("VerifiableCredential", "OpenBadgeCredential")}, {"name", g.textValue()}}
	c = g.opt(c, "description", g.textValue)
	c = append(c, kv{"issuer", g.profile(false)}, kv{"validFrom", g.date()})
	c = g.opt(c, "validUntil", g.date)
	c = append(c, kv{"credentialSubject", g.subject()})
	if n := g.n(5); n > 0 || !g.maybe() {
		ev := make([]any, 0, n)
		for range max(n, 1) {
			ev = append(ev, g.evidence())
		}
		if n == 1 && g.maybe() {
			ev = append(ev, ev[0]) // the same evidence twice: one node
		}
		c = append(c, kv{"evidence", ev})
	}
	c = append(c, kv{"credentialSchema", []any{obj{
		{"id", "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"},
		{"type", "1EdTechJsonSchemaValidator2019"}}}})
	if g.n(4) != 3 {
		list := g.iri("https://badges.example.org/status")
		i := strconv.Itoa(g.n(256))
		var index any = i
		if g.maybe() {
			index = g.number()
		}
		if g.maybe() {
			i = g.str()
		}
		c = append(c, kv{"credentialStatus", obj{{"id", list + "#" + i}, {"type", "BitstringStatusListEntry"},
			{"statusPurpose", "revocation"}, {"statusListIndex", index}, {"statusListCredential", list}}})
	}
	switch g.n(16) {
	case 1:
		c = append(c, kv{g.text[0], g.str()}) // any key, most undefined
	case 2:
		c = append(c, kv{"name", g.str()}) // a duplicate key: the last counts
	case 3:
		c = append(c, kv{"@id", g.iri("https://badges.example.org/awards")})
	}
	if g.n(4) == 3 {
		for i, j := 0, len(c)-1; i < j; i, j = i+1, j-1 {
			c[i], c[j] = c[j], c[i]
		}
	}
	return c
}

// obj is a JSON object in the order written; kv is one of its members.
type (
	obj []kv
	kv  struct {
		k string
		v any
	}
)

// writeJSON writes v in one of six styles: encoding/json's escaping
// (0), without HTML escapes (1), every non-ASCII rune and '/' escaped,
// surrogate pairs and all (2), only the escapes JSON requires, invalid
// UTF-8 left raw (3), and 0 or 1 spread over lines and tabs (4, 5).
func (g *credentialGen) writeJSON(b *bytes.Buffer, v any) {
	space := func(s string) {
		if g.style >= 4 {
			b.WriteString(s)
		}
	}
	switch x := v.(type) {
	case obj:
		b.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			space("\n\t")
			g.writeString(b, m.k)
			b.WriteByte(':')
			space(" ")
			g.writeJSON(b, m.v)
		}
		space("\r\n")
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
				space(" ")
			}
			g.writeJSON(b, e)
		}
		b.WriteByte(']')
	case string:
		g.writeString(b, x)
	default: // numbers, booleans, null, inline contexts
		j, _ := json.Marshal(x)
		b.Write(j)
	}
}

func (g *credentialGen) writeString(b *bytes.Buffer, s string) {
	switch g.style {
	case 1, 5:
		e := json.NewEncoder(b)
		e.SetEscapeHTML(false)
		_ = e.Encode(s) // a string: cannot fail
		b.Truncate(b.Len() - 1)
	case 2:
		b.WriteByte('"')
		for _, r := range s { // invalid bytes come as U+FFFD, as encoding/json reads them
			switch {
			case r == '"' || r == '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case r == '/':
				b.WriteString(`\/`)
			case r < 0x80 && r >= 0x20:
				b.WriteRune(r)
			case r > 0xffff:
				r1, r2 := utf16Pair(r)
				b.WriteString(`\u` + hex4(r1) + `\u` + hex4(r2))
			default:
				b.WriteString(`\u` + hex4(r))
			}
		}
		b.WriteByte('"')
	case 3:
		b.WriteByte('"')
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c < 0x20:
				b.WriteString(`\u00` + hex4(rune(c))[2:])
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
	default:
		j, _ := json.Marshal(s)
		b.Write(j)
	}
}

func hex4(r rune) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[r>>12&15], digits[r>>8&15], digits[r>>4&15], digits[r&15]})
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

// generateCredential returns the document that shape and the three strings
// make.
func generateCredential(shape []byte, a, b, c string) []byte {
	g := newCredentialGen(shape, a, b, c)
	var buf bytes.Buffer
	g.writeJSON(&buf, g.credential())
	return buf.Bytes()
}

// jsonGoldNormalize is json-gold's whole pipeline, uncached, with the
// options Canonicalize uses.
func jsonGoldNormalize(doc []byte) (string, error) {
	m, err := decodeObject(doc)
	if err != nil {
		return "", err
	}
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = offlineLoader{}
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.SafeMode = true
	opts.Algorithm = ld.AlgorithmURDNA2015
	opts.Format = "application/n-quads"
	var out any
	func() {
		defer recoverJSONGold(&err)
		out, err = ld.NewJsonLdProcessor().Normalize(m, opts)
	}()
	if err != nil {
		return "", err
	}
	s, _ := out.(string)
	return s, nil
}

// checkAgainstJSONGold is the differential check of one document; it
// reports whether the fast path took it.
func checkAgainstJSONGold(t testing.TB, c *Canonicalizer, doc []byte) bool {
	t.Helper()
	templated := c.Templated(doc)
	got, gotErr := c.canonicalizeForSigning(doc)
	if gotErr != nil {
		if templated {
			t.Fatalf("the fast path took a document and failed: %v\n%s", gotErr, doc)
		}
		// declined and fell back: the full path refuses it too
		if m, err := decodeObject(doc); err == nil {
			if _, err := New().Canonicalize(m); err == nil {
				t.Fatalf("WriteJSON failed (%v) where the full path succeeds\n%s", gotErr, doc)
			}
		}
		return false
	}
	want, err := jsonGoldNormalize(doc)
	if err != nil {
		t.Fatalf("WriteJSON gave N-Quads (fast path %v) where json-gold fails: %v\n%s\n%s", templated, err, doc, got)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("fast path %v: N-Quads differ from json-gold's (-json-gold +WriteJSON):\n%s\n%s", templated, diff, doc)
	}
	if h, err := c.HashJSON(doc); err != nil || h != sha256.Sum256([]byte(want)) {
		t.Fatalf("HashJSON = %x, %v; want sha256 of json-gold's N-Quads", h, err)
	}
	return templated
}

// FuzzCanonicalMatchesJSONGold is the differential fuzz of the signing
// fast path against json-gold (seeds: testdata/fuzz and below).
func FuzzCanonicalMatchesJSONGold(f *testing.F) {
	f.Add([]byte{}, "First Pull Request", "Merged a first pull request.", "en")
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, "Ünï 😀", "a b@c", "\ue000p0\ue001")
	f.Add(bytes.Repeat([]byte{3}, 64), "x", "https://placeholder.invalid/p1", "\xff")
	c := New()
	f.Fuzz(func(t *testing.T, shape []byte, a, b, s string) {
		checkAgainstJSONGold(t, c, generateCredential(shape, a, b, s))
	})
}

// TestGeneratedCredentials runs the differential check on a fixed sample
// of generated documents, and checks that the generator is worth fuzzing
// with: the issuer's own shape takes the fast path, as do many others,
// and many do not.
func TestGeneratedCredentials(t *testing.T) {
	c := New()
	if !checkAgainstJSONGold(t, c, generateCredential(nil, "First Pull Request", "x", "y")) {
		t.Fatal("the generator's base credential did not take the fast path")
	}
	r := rand.New(rand.NewPCG(5, 6))
	n, templated := 300, 0
	if testing.Short() {
		n = 60
	}
	for range n {
		shape := make([]byte, r.IntN(120))
		for i := range shape {
			if r.IntN(4) == 0 { // else 0: the common form
				shape[i] = byte(r.Uint32())
			}
		}
		text := func() string {
			if r.IntN(2) == 0 {
				return hostile[r.IntN(len(hostile))]
			}
			return strings.ToValidUTF8(string(shape[:min(len(shape), r.IntN(12))]), "?")
		}
		if checkAgainstJSONGold(t, c, generateCredential(shape, text(), text(), text())) {
			templated++
		}
	}
	t.Logf("%d of %d generated documents took the fast path", templated, n)
	if templated < n/10 || templated > n*9/10 {
		t.Errorf("%d of %d generated documents took the fast path: the generator has lost its mix", templated, n)
	}
}
