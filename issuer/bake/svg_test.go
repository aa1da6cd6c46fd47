package bake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// svgFixtures are the sample documents under testdata.
var svgFixtures = []string{"inkscape.svg", "illustrator.svg", "prebaked-ob2.svg", "empty-root.svg"}

// firstChild parses a whole SVG with encoding/xml and returns the first
// element child of the root and the root's namespace declarations.
func firstChild(t *testing.T, doc []byte) (xml.StartElement, map[string]string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Entity = map[string]string{"ns_svg": "http://www.w3.org/2000/svg", "ns_xlink": "http://www.w3.org/1999/xlink"}
	var first *xml.StartElement
	decls := map[string]string{}
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("baked SVG is not well-formed XML: %v\n%s", err, doc)
		}
		switch tt := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				for _, a := range tt.Attr {
					if a.Name.Space == "xmlns" {
						decls[a.Name.Local] = a.Value
					}
				}
			}
			if depth == 1 && first == nil {
				e := tt.Copy()
				first = &e
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 1 && first == nil && len(bytes.TrimSpace(tt)) > 0 {
				t.Errorf("text %q before the baked element", tt)
			}
		}
	}
	if first == nil {
		t.Fatalf("root has no child element")
	}
	return *first, decls
}

func TestSVGRoundTrip(t *testing.T) {
	cred := string(fixture(t, "credential.json"))
	tests := []struct {
		name, version, text string
		wantLocal, wantNS   string
		wantVerify          bool
	}{
		{"ob3 json", VersionOB3, cred, "credential", NamespaceOB3, false},
		{"ob3 vc-jwt", VersionOB3, sampleJWS, "credential", NamespaceOB3, true},
		{"ob2 hosted url", VersionOB2, sampleURL, "assertion", NamespaceOB2, true},
		{"ob2 json", VersionOB2, sampleJSON, "assertion", NamespaceOB2, false},
	}
	for _, file := range svgFixtures {
		for _, tt := range tests {
			t.Run(file+"/"+tt.name, func(t *testing.T) {
				out, err := SVG(fixture(t, file), tt.version, tt.text)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Extract(out)
				if err != nil {
					t.Fatal(err)
				}
				want := Baked{Format: FormatSVG, Version: tt.version, Text: strings.TrimSpace(tt.text)}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Extract (-want +got):\n%s", diff)
				}
				el, decls := firstChild(t, out)
				if el.Name.Space != tt.wantNS || el.Name.Local != tt.wantLocal {
					t.Errorf("first child is {%s}%s, want {%s}%s", el.Name.Space, el.Name.Local, tt.wantNS, tt.wantLocal)
				}
				if decls["openbadges"] != tt.wantNS {
					t.Errorf("root declares xmlns:openbadges=%q, want %q", decls["openbadges"], tt.wantNS)
				}
				if n := bytes.Count(out, []byte("://openbadges.org")) + bytes.Count(out, []byte("imsglobal.org/ob/v3p0")); n != 1 {
					t.Errorf("Open Badges namespaces named %d times, want 1 (the declaration, nothing stale):\n%s", n, out)
				}
				if hasVerify := len(el.Attr) > 0; hasVerify != tt.wantVerify {
					t.Errorf("verify attribute present = %v, want %v", hasVerify, tt.wantVerify)
				}
				again, err := SVG(out, tt.version, tt.text)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(out), string(again)); diff != "" {
					t.Errorf("baking twice differs from baking once (-once +twice):\n%s", diff)
				}
			})
		}
	}
}

func TestSVGRebakeOtherVersion(t *testing.T) {
	src := fixture(t, "inkscape.svg")
	ob2, err := SVG(src, VersionOB2, sampleURL)
	if err != nil {
		t.Fatal(err)
	}
	viaOB2, err := SVG(ob2, VersionOB3, sampleJWS)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := SVG(src, VersionOB3, sampleJWS)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(direct), string(viaOB2)); diff != "" {
		t.Errorf("OB 3.0 over OB 2.0 differs from OB 3.0 alone (-direct +rebaked):\n%s", diff)
	}
}

func TestSVGCDATATerminatorInJSON(t *testing.T) {
	text := `{"name":"a]]>b","note":"x]]]>y","]]>":["]]>"]}`
	out, err := SVG(fixture(t, "inkscape.svg"), VersionOB3, text)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(out, []byte("]]>")); n != 1 {
		t.Errorf("%d CDATA terminators in the output, want 1:\n%s", n, out)
	}
	got, err := Extract(out)
	if err != nil {
		t.Fatal(err)
	}
	var want, have any
	if err := json.Unmarshal([]byte(text), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(got.Text), &have); err != nil {
		t.Fatalf("extracted text is not JSON: %v\n%s", err, got.Text)
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("extracted JSON value (-want +got):\n%s", diff)
	}
}

func TestSVGErrors(t *testing.T) {
	ink := fixture(t, "inkscape.svg")
	tests := []struct {
		name, svg, version, text string
		want                     error
	}{
		{"empty", "", VersionOB3, sampleJWS, ErrNotImage},
		{"no root", "<?xml version=\"1.0\"?>\n<!-- nothing -->\n", VersionOB3, sampleJWS, ErrNotImage},
		{"HTML root", "<html><body/></html>", VersionOB3, sampleJWS, ErrNotImage},
		{"PNG", string(fixture(t, "plain.png")), VersionOB3, sampleJWS, ErrNotImage},
		{"unclosed", "<svg xmlns='http://www.w3.org/2000/svg'><g>", VersionOB3, sampleJWS, ErrCorrupt},
		{"mismatched tags", "<svg><g></svg></g>", VersionOB3, sampleJWS, ErrCorrupt},
		{"undeclared entity", "<svg><text>&nbsp;</text></svg>", VersionOB3, sampleJWS, ErrCorrupt},
		{"Latin-1 document", "<?xml version='1.0' encoding='ISO-8859-1'?><svg/>", VersionOB3, sampleJWS, ErrCorrupt},
		{"root binds openbadges elsewhere", `<svg xmlns:openbadges="http://example.org/x"><openbadges:credential/></svg>`, VersionOB3, sampleJWS, ErrInvalid},
		{"unknown version", string(ink), "ob4", sampleJWS, ErrInvalid},
		{"OB3 URL", string(ink), VersionOB3, sampleURL, ErrInvalid},
		{"broken JSON", string(ink), VersionOB3, `{"a"}`, ErrInvalid},
		{"non-XML character in JSON", string(ink), VersionOB3, "{\"a\":\"\uFFFE\"}", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := SVG([]byte(tt.svg), tt.version, tt.text)
			if !errors.Is(err, tt.want) {
				t.Fatalf("SVG error = %v, want %v", err, tt.want)
			}
			if out != nil {
				t.Errorf("SVG returned %d bytes with an error", len(out))
			}
		})
	}
}

func TestExtractSVG(t *testing.T) {
	const ns3 = `xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`
	const ns2 = `xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"`
	tests := []struct {
		name    string
		svg     string
		want    Baked
		wantErr error
	}{
		{name: "split CDATA sections are joined",
			svg:  `<svg ` + ns3 + `><openbadges:credential><![CDATA[{"a":"]]]]><![CDATA[>"}]]></openbadges:credential></svg>`,
			want: Baked{FormatSVG, VersionOB3, `{"a":"]]>"}`}},
		{name: "escaped JSON without CDATA, padded with white space",
			svg:  "<svg " + ns3 + ">\n <openbadges:credential>\n  {&quot;a&quot;:&quot;&lt;b&gt;&quot;}\n </openbadges:credential></svg>",
			want: Baked{FormatSVG, VersionOB3, `{"a":"<b>"}`}},
		{name: "any prefix bound to the namespace",
			svg:  `<svg xmlns:ob="https://purl.imsglobal.org/ob/v3p0"><ob:credential verify="` + sampleJWS + `"/></svg>`,
			want: Baked{FormatSVG, VersionOB3, sampleJWS}},
		{name: "default namespace on the element, deep in the tree",
			svg:  `<svg><g><credential xmlns="https://purl.imsglobal.org/ob/v3p0" verify="` + sampleJWS + `"></credential></g></svg>`,
			want: Baked{FormatSVG, VersionOB3, sampleJWS}},
		{name: "OB2 verify attribute with entity",
			svg:  `<svg ` + ns2 + `><openbadges:assertion verify="https://e.org/a?x=1&amp;y=2"/></svg>`,
			want: Baked{FormatSVG, VersionOB2, "https://e.org/a?x=1&y=2"}},
		{name: "OB2 with both verify and body: the body wins",
			svg:  `<svg ` + ns2 + `><openbadges:assertion verify="https://e.org/a"><![CDATA[{"id":"https://e.org/a"}]]></openbadges:assertion></svg>`,
			want: Baked{FormatSVG, VersionOB2, `{"id":"https://e.org/a"}`}},
		{name: "OB3 preferred over OB2",
			svg: `<svg xmlns:a="http://openbadges.org" xmlns:b="https://purl.imsglobal.org/ob/v3p0">` +
				`<a:assertion verify="https://e.org/a"/><b:credential verify="` + sampleJWS + `"/></svg>`,
			want: Baked{FormatSVG, VersionOB3, sampleJWS}},
		{name: "byte order mark",
			svg:  "\uFEFF<?xml version=\"1.0\"?><svg " + ns3 + `><openbadges:credential verify="` + sampleJWS + `"/></svg>`,
			want: Baked{FormatSVG, VersionOB3, sampleJWS}},
		{name: "no badge", svg: string(fixture(t, "inkscape.svg")), wantErr: ErrNoBadge},
		{name: "namespace declared but no element", svg: `<svg ` + ns3 + `/>`, wantErr: ErrNoBadge},
		{name: "other namespace is not a badge",
			svg:     `<svg xmlns:openbadges="http://example.org/x"><openbadges:credential verify="` + sampleJWS + `"/></svg>`,
			wantErr: ErrNoBadge},
		{name: "unbound prefix",
			svg:     `<svg><openbadges:credential verify="` + sampleJWS + `"/></svg>`,
			wantErr: ErrInvalid},
		{name: "duplicate",
			svg:     `<svg ` + ns3 + `><openbadges:credential verify="` + sampleJWS + `"/><openbadges:credential verify="` + sampleJWS + `"/></svg>`,
			wantErr: ErrDuplicate},
		{name: "OB3 with verify and body",
			svg:     `<svg ` + ns3 + `><openbadges:credential verify="` + sampleJWS + `"><![CDATA[{}]]></openbadges:credential></svg>`,
			wantErr: ErrInvalid},
		{name: "child element",
			svg:     `<svg ` + ns3 + `><openbadges:credential><g/></openbadges:credential></svg>`,
			wantErr: ErrInvalid},
		{name: "empty element",
			svg:     `<svg ` + ns3 + `><openbadges:credential>  </openbadges:credential></svg>`,
			wantErr: ErrInvalid},
		{name: "malformed element",
			svg:     `<svg ` + ns3 + `><openbadges:credential><![CDATA[{}</svg>`,
			wantErr: ErrCorrupt},
		{name: "not an image", svg: `{"@context":[]}`, wantErr: ErrNotImage},
		{name: "compact JWS alone", svg: sampleJWS, wantErr: ErrNotImage},
		{name: "nothing", svg: "", wantErr: ErrNotImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Extract([]byte(tt.svg))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Extract error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Extract (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddEntities(t *testing.T) {
	dir := xml.Directive(`DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd" [
	<!ENTITY % param "ignored">
	<!ENTITY ext SYSTEM "file.txt">
	<!ENTITY ns_svg "http://www.w3.org/2000/svg">
	<!ENTITY ns_svg "second declaration loses">
	<!ENTITY quote 'single "quoted"'>
]`)
	got := map[string]string{}
	addEntities(got, dir)
	want := map[string]string{"ns_svg": "http://www.w3.org/2000/svg", "quote": `single "quoted"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entities (-want +got):\n%s", diff)
	}
	addEntities(got, xml.Directive(`ELEMENT x (#PCDATA) <!ENTITY y "z">`))
	if len(got) != 2 {
		t.Errorf("a non-DOCTYPE directive added entities: %v", got)
	}
}

// TestSVGHostedAssertionVerify: Baking 2.0 puts a hosted assertion's URL
// in the verify attribute of <openbadges:assertion>, the assertion itself
// in its body; unbaking gives the assertion.
func TestSVGHostedAssertionVerify(t *testing.T) {
	out, err := SVG(fixture(t, "inkscape.svg"), VersionOB2, sampleHosted)
	if err != nil {
		t.Fatal(err)
	}
	want := `<openbadges:assertion verify="https://badges.example.org/awards/a1?x=1&amp;y=2"><![CDATA[` + sampleHosted + `]]></openbadges:assertion>`
	if !bytes.Contains(out, []byte(want)) {
		t.Fatalf("baked SVG lacks %s:\n%s", want, out)
	}
	got, err := Extract(out)
	if err != nil || got != (Baked{FormatSVG, VersionOB2, sampleHosted}) {
		t.Fatalf("Extract = %+v, %v", got, err)
	}
	// Not for OB 3.0, nor for an assertion whose id is not a URL.
	for _, c := range []struct{ version, text string }{{VersionOB3, cred(t)}, {VersionOB2, sampleJSON}} {
		out, err := SVG(fixture(t, "inkscape.svg"), c.version, c.text)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out, []byte(" verify=")) {
			t.Errorf("%s %.40s: verify attribute added", c.version, c.text)
		}
	}
}

func cred(t *testing.T) string { return string(fixture(t, "credential.json")) }

// hostileSVG is 7 MB of nested <g> elements. Unbounded, reading it held
// a parser frame per level: 250 MB of heap.
func hostileSVG() []byte {
	return append([]byte(`<svg xmlns="http://www.w3.org/2000/svg">`), bytes.Repeat([]byte("<g>"), 7<<20/3)...)
}

// TestExtractRefusesDeepSVG: an SVG nested deeper than MaxSVGDepth is
// refused with ErrTooComplex, also inside the baked element; artwork
// nested up to the limit is read.
func TestExtractRefusesDeepSVG(t *testing.T) {
	for name, svg := range map[string][]byte{
		"7 MB of <g>": hostileSVG(),
		"in the credential element": []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential>` +
			strings.Repeat("<a>", MaxSVGDepth+1) + strings.Repeat("</a>", MaxSVGDepth+1) + `</openbadges:credential></svg>`),
	} {
		if _, err := Extract(svg); !errors.Is(err, ErrTooComplex) {
			t.Errorf("%s: %v, want ErrTooComplex", name, err)
		}
	}
	deep := []byte(`<svg xmlns="http://www.w3.org/2000/svg">` + strings.Repeat("<g>", MaxSVGDepth-1) + strings.Repeat("</g>", MaxSVGDepth-1) + `</svg>`)
	baked, err := SVG(deep, VersionOB3, sampleJWS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Extract(baked); err != nil {
		t.Errorf("SVG nested %d deep: %v", MaxSVGDepth, err)
	}
}

// BenchmarkExtractHostileSVG reports what refusing the 7 MB nested SVG
// costs (B/op; 250 MB of heap before the depth limit).
func BenchmarkExtractHostileSVG(b *testing.B) {
	svg := hostileSVG()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Extract(svg); !errors.Is(err, ErrTooComplex) {
			b.Fatal(err)
		}
	}
}
