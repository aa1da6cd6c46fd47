package artwork

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/internal/golden"
	"github.com/google/go-cmp/cmp"
)

// svgSummary is what the tests read back from a generated SVG.
type svgSummary struct {
	root    xml.StartElement
	title   string
	text    string
	label   string
	fills   []string
	elemCnt int
}

// parseSVG reads a generated SVG with encoding/xml, failing the test if it
// is not well-formed.
func parseSVG(t *testing.T, doc []byte) svgSummary {
	t.Helper()
	var s svgSummary
	d := xml.NewDecoder(bytes.NewReader(doc))
	var stack []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v\n%s", err, doc)
		}
		switch tt := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				s.root = tt.Copy()
				for _, a := range tt.Attr {
					if a.Name.Local == "aria-label" {
						s.label = a.Value
					}
				}
			}
			for _, a := range tt.Attr {
				if a.Name.Local == "fill" && a.Value != "none" {
					s.fills = append(s.fills, a.Value)
				}
			}
			stack = append(stack, tt.Name.Local)
			s.elemCnt++
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			switch stack[len(stack)-1] {
			case "title":
				s.title += string(tt)
			case "text":
				s.text += string(tt)
			}
		}
	}
	return s
}

func TestSVGGolden(t *testing.T) {
	tests := []struct{ slug, name string }{
		{"first-pr", "First Pull Request"},
		{"bug-squasher", "Bug Squasher"},
		{"helper", "Forum Helper"},
		{"no-name", ""},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			got := SVG(tt.slug, tt.name)
			golden.Check(t, filepath.Join("testdata", tt.slug+".svg"), got)
		})
	}
}

func TestSVGIsDeterministicPerSlug(t *testing.T) {
	a, b := SVG("docs-hero", "Docs Hero"), SVG("docs-hero", "Docs Hero")
	if !bytes.Equal(a, b) {
		t.Fatal("two calls with the same input differ")
	}
	// The slug alone decides the look: renaming keeps shape and colours.
	renamed := parseSVG(t, SVG("docs-hero", "Documentation Hero"))
	if diff := cmp.Diff(parseSVG(t, a).fills, renamed.fills); diff != "" {
		t.Errorf("renaming changed the colours (-before +after):\n%s", diff)
	}
	// Different slugs get different designs.
	seen := map[string]string{}
	for _, slug := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		f := strings.Join(parseSVG(t, SVG(slug, "Same Name")).fills, ",")
		if other, dup := seen[f]; dup {
			t.Errorf("slugs %q and %q got identical colours", other, slug)
		}
		seen[f] = slug
	}
}

func TestSVGShapesAllUsed(t *testing.T) {
	counts := map[int]int{}
	for i := range 200 {
		slug := "badge-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		d := newDesign(slug, "X")
		// The medallion's edge is the fifth element, after two tails of two parts.
		edge := d.elements[4].path
		switch {
		case len(edge) == 21: // M + 20 bumps
			counts[shapeRosette]++
		case len(edge) == 12: // 6 sides + 6 corners
			counts[shapeHexagon]++
		case len(edge) == 7:
			counts[shapeShield]++
		default:
			t.Fatalf("%s: unexpected edge outline of %d segments", slug, len(edge))
		}
	}
	for shape := range shapeCount {
		if counts[shape] < 30 {
			t.Errorf("shape %d used %d times in 200 badges, want a fair share", shape, counts[shape])
		}
	}
}

func TestSVGContent(t *testing.T) {
	tests := []struct {
		name, slug, in          string
		wantTitle, wantInitials string
	}{
		{"two words", "first-pr", "First Pull Request", "First Pull Request", "FP"},
		{"one word", "reviewer", "reviewer", "reviewer", "R"},
		{"markup is escaped", "xss", `<script>alert("x")</script> & 'co'`, `<script>alert("x")</script> & 'co'`, "SA"},
		{"quotes and ampersand", "q", `Tom & "Jerry"`, `Tom & "Jerry"`, "TJ"},
		{"control characters become U+FFFD", "ctl", "Bad\x01Name", "Bad\uFFFDName", "BN"},
		{"non-Latin", "kanji", "漢字 バッジ", "漢字 バッジ", "漢バ"},
		{"digits", "100-commits", "100 commits", "100 commits", "1C"},
		{"no name: initials from the slug", "night-owl", "", "", "NO"},
		{"nothing usable: a star", "---", "!!!", "!!!", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := SVG(tt.slug, tt.in)
			s := parseSVG(t, doc)
			if s.root.Name.Local != "svg" || s.root.Name.Space != "http://www.w3.org/2000/svg" {
				t.Errorf("root is {%s}%s", s.root.Name.Space, s.root.Name.Local)
			}
			if s.title != tt.wantTitle || s.label != tt.wantTitle {
				t.Errorf("title %q, aria-label %q, want %q", s.title, s.label, tt.wantTitle)
			}
			if s.text != tt.wantInitials {
				t.Errorf("initials %q, want %q", s.text, tt.wantInitials)
			}
			if bytes.Contains(doc, []byte("<script")) {
				t.Errorf("unescaped markup in output:\n%s", doc)
			}
		})
	}
}

func TestPNG(t *testing.T) {
	for _, size := range []int{0, 16, 64, 256, 333} {
		want := size
		if size == 0 {
			want = DefaultSize
		}
		b, err := PNG("first-pr", "First Pull Request", size)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if got := img.Bounds(); got != image.Rect(0, 0, want, want) {
			t.Errorf("size %d: bounds %v, want %dx%d", size, got, want, want)
		}
		if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
			t.Errorf("size %d: corner not transparent", size)
		}
	}
}

func TestPNGIsDeterministic(t *testing.T) {
	a, err := PNG("docs-hero", "Docs Hero", 128)
	if err != nil {
		t.Fatal(err)
	}
	b, err := PNG("docs-hero", "Docs Hero", 128)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two renders of the same badge differ")
	}
	c, err := PNG("other-badge", "Docs Hero", 128)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, c) {
		t.Fatal("two slugs render the same PNG")
	}
}

// TestPNGMatchesSVG samples points whose colour the design fixes and
// checks that the PNG shows the palette the SVG names.
func TestPNGMatchesSVG(t *testing.T) {
	for _, slug := range []string{"first-pr", "bug-squasher", "helper", "translator", "qa-wizard", "kudos"} {
		t.Run(slug, func(t *testing.T) {
			d := newDesign(slug, "Quality Assurance")
			doc := string(SVG(slug, "Quality Assurance"))
			b, err := PNG(slug, "Quality Assurance", 256)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			samples := []struct {
				what string
				x, y int
				want rgb
			}{
				{"face, left of the initials", centreX - 42, centreY, d.pal.face},
				{"body, above the face", centreX, centreY - 76, d.pal.body},
				{"ink, inside the letter Q", centreX - 13, centreY + 6 - 15, d.pal.ink},
			}
			for _, s := range samples {
				if !strings.Contains(doc, s.want.hex()) {
					t.Errorf("%s: SVG does not use %s", s.what, s.want.hex())
				}
				got := color.NRGBAModel.Convert(img.At(s.x, s.y)).(color.NRGBA)
				if got != (color.NRGBA{s.want.r, s.want.g, s.want.b, 255}) {
					t.Errorf("%s at (%d,%d): PNG has %v, want %s", s.what, s.x, s.y, got, s.want.hex())
				}
			}
		})
	}
}

func TestPNGSizeErrors(t *testing.T) {
	for _, size := range []int{-1, 8, 15, MaxSize + 1} {
		if b, err := PNG("x", "X", size); err == nil || b != nil {
			t.Errorf("PNG size %d: got %d bytes, err %v; want an error", size, len(b), err)
		}
	}
}

func TestGlyphs(t *testing.T) {
	for _, r := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" {
		g, ok := glyphFor(r)
		if !ok {
			t.Errorf("no glyph for %q", r)
			continue
		}
		for _, s := range g.strokes {
			for _, p := range s {
				if p.x < -0.05 || p.x > g.width+0.6 || p.y < -0.05 || p.y > 6.5 {
					t.Errorf("%q: point %v outside its %.1f x 6 box", r, p, g.width)
				}
			}
		}
	}
	for _, r := range "a€漢 " {
		if _, ok := glyphFor(r); ok {
			t.Errorf("unexpected glyph for %q", r)
		}
	}
}

func TestFoldLatin(t *testing.T) {
	got := string(func() []rune {
		var out []rune
		for _, r := range "ÜÉÅÇŁØŽßA漢" {
			out = append(out, foldLatin(r))
		}
		return out
	}())
	if want := "UEACLOZßA漢"; got != want {
		t.Errorf("foldLatin = %q, want %q", got, want)
	}
}

func TestInitialsFallBackToStarInPNG(t *testing.T) {
	if _, ok := initialsRings("漢", 1); ok {
		t.Fatal("initialsRings drew a letter the font lacks")
	}
	const size = 128
	b, err := PNG("kanji", "漢字", size)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// The star is filled with ink where the initials would be: its
	// centre, and a point on its upper arm.
	d := newDesign("kanji", "漢字")
	k := float64(size) / canvas
	for _, p := range []pt{centre().add(pt{0, 6}), centre().add(pt{0, 6 - 20})} {
		got := color.RGBAModel.Convert(img.At(int(p.x*k), int(p.y*k))).(color.RGBA)
		if want := d.pal.ink; got.R != want.r || got.G != want.g || got.B != want.b {
			t.Errorf("pixel at %v is %v, want the star's ink %v", p, got, want)
		}
	}
}

func BenchmarkPNG(b *testing.B) {
	for b.Loop() {
		if _, err := PNG("first-pr", "First Pull Request", DefaultSize); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSVG(b *testing.B) {
	for b.Loop() {
		SVG("first-pr", "First Pull Request")
	}
}
