package artwork

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
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

// TestInitialsFallBackToStarInPNG: initials the font cannot draw become a
// star, and initials it can (accented and Cyrillic capitals too) do not.
func TestInitialsFallBackToStarInPNG(t *testing.T) {
	if ok, err := new(painter).initials("漢", 1); ok || err != nil {
		t.Fatalf("initials drew a letter the font lacks (ok %v, err %v)", ok, err)
	}
	const size = 128
	k := float64(size) / canvas
	// The star: centred 6 below the medallion's, outer radius 30, inner
	// corners at 0.42 x 30. A point at angle a (clockwise from up), radius r:
	c := centre().add(pt{0, 6})
	at := func(a, r float64) pt { return c.add(pt{r * math.Sin(a), -r * math.Cos(a)}) }
	pixel := func(img image.Image, p pt) rgb {
		got := color.NRGBAModel.Convert(img.At(int(p.x*k), int(p.y*k))).(color.NRGBA)
		return rgb{got.R, got.G, got.B}
	}
	for _, tt := range []struct {
		slug, name string
		star       bool
	}{
		{"kanji", "漢字", true},
		{"mixed", "Ärger 漢字", true}, // one initial missing is enough
		{"umlaut", "Über", false},
		{"cyrillic", "Жук", false},
	} {
		t.Run(tt.slug, func(t *testing.T) {
			b, err := PNG(tt.slug, tt.name, size)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			pal := newDesign(tt.slug, tt.name).pal
			if !tt.star {
				// The upper right arm's tip lies beside a centred capital.
				if got := pixel(img, at(2*math.Pi/5, 25)); got != pal.face {
					t.Errorf("a star where the initials should be: %v at its right arm", got)
				}
				return
			}
			for i := range 5 {
				a := float64(i) * 2 * math.Pi / 5
				if got := pixel(img, at(a, 22)); got != pal.ink {
					t.Errorf("arm %d: %v, want the star's ink %v", i, got, pal.ink)
				}
				if got := pixel(img, at(a+math.Pi/5, 22)); got != pal.face {
					t.Errorf("between arms %d and %d: %v, want the face %v", i, i+1, got, pal.face)
				}
			}
			if got := pixel(img, c); got != pal.ink {
				t.Errorf("star's centre: %v, want ink %v", got, pal.ink)
			}
		})
	}
}

// checkPNGGolden compares the pixels of a PNG with testdata/name, allowing
// each channel to differ by 2 (rounding in another rasteriser build), and
// rewrites the file under -update. Comparing pixels rather than bytes lets
// a new zlib leave the goldens alone.
func checkPNGGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if golden.Update() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantB, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	want, err := png.Decode(bytes.NewReader(wantB))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != want.Bounds() {
		t.Fatalf("%s: bounds %v, want %v", path, img.Bounds(), want.Bounds())
	}
	bad, first := 0, ""
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			w := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA)
			d := max(absDiff(g.R, w.R), absDiff(g.G, w.G), absDiff(g.B, w.B), absDiff(g.A, w.A))
			if g.A == 0 && w.A == 0 {
				d = 0 // transparent is transparent, whatever its colour
			}
			if d > 2 {
				if bad == 0 {
					first = fmt.Sprintf("(%d,%d) is %v, want %v", x, y, g, w)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d pixels differ, first %s (run go test -update if intended)", path, bad, first)
	}
}

func absDiff(a, b uint8) uint8 { return max(a, b) - min(a, b) }

func TestPNGGolden(t *testing.T) {
	tests := []struct {
		slug, name string
		size       int
	}{
		{"first-pr", "First Pull Request", 256},
		{"bug-squasher", "Bug Squasher", 256},
		{"helper", "Forum Helper", 256},
		{"no-name", "", 256},
		{"kanji", "漢字", 256},               // a star: the font has no kanji
		{"100-commits", "100 commits", 64}, // digits, small
		{"umlaut", "Über Élan", 128},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			got, err := PNG(tt.slug, tt.name, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			checkPNGGolden(t, fmt.Sprintf("%s-%d.png", tt.slug, tt.size), got)
		})
	}
}

func TestCardGolden(t *testing.T) {
	art, err := PNG("first-pr", "First Pull Request", CardArtSize)
	if err != nil {
		t.Fatal(err)
	}
	small, err := PNG("helper", "Forum Helper", 64) // scaled up to CardArtSize
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, slug string
		art        []byte
		lines      []CardLine
	}{
		{"card", "first-pr", art, []CardLine{
			{Text: "First Pull Request", CapHeight: 44},
			{Text: "awarded to @github:octocat", CapHeight: 30},
			{Text: "by Example Community", CapHeight: 24, Muted: true},
		}},
		{"card-long", "helper", small, []CardLine{
			{Text: "An   Extraordinarily Long Badge Name That Will Not Fit On One Card Line", CapHeight: 44},
			{Text: "awarded to Zoë 漢字 Ångström", CapHeight: 30}, // kanji left out
			{Text: "by Example Community", CapHeight: 24, Muted: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			art, err := png.Decode(bytes.NewReader(tt.art))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Card(tt.slug, art, tt.lines)
			if err != nil {
				t.Fatal(err)
			}
			checkPNGGolden(t, tt.name+".png", got)
		})
	}
}

func TestCardCutsLongLines(t *testing.T) {
	tf, err := boldFace()
	if err != nil {
		t.Fatal(err)
	}
	runes := func(l textLine) string {
		var b strings.Builder
		for _, g := range l.glyphs {
			b.WriteRune(g.r)
		}
		return b.String()
	}
	long, err := tf.layout("An Extraordinarily Long Name")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		width float64
		want  string
	}{
		{100, "An Extraordinarily Long Name"}, // fits: unchanged
		{long.width - 0.01, "An Extraordinarily Long…"},
		{3, "An…"},
		{5, "An…"},
		{2, "A…"}, // the first word does not fit: cut inside it
	}
	for _, tt := range tests {
		got, err := tf.cut(long, tt.width)
		if err != nil {
			t.Fatal(err)
		}
		if runes(got) != tt.want {
			t.Errorf("cut to %.2f em: %q, want %q", tt.width, runes(got), tt.want)
		}
		if got.width > tt.width {
			t.Errorf("cut to %.2f em: %.2f em wide", tt.width, got.width)
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

func BenchmarkCard(b *testing.B) {
	artPNG, err := PNG("first-pr", "First Pull Request", CardArtSize)
	if err != nil {
		b.Fatal(err)
	}
	art, err := png.Decode(bytes.NewReader(artPNG))
	if err != nil {
		b.Fatal(err)
	}
	lines := []CardLine{
		{Text: "First Pull Request", CapHeight: 44},
		{Text: "awarded to @github:octocat", CapHeight: 30},
		{Text: "by Example Community", CapHeight: 24, Muted: true},
	}
	for b.Loop() {
		if _, err := Card("first-pr", art, lines); err != nil {
			b.Fatal(err)
		}
	}
}

func TestColorSetsTheMedallionHue(t *testing.T) {
	o := Color("#0b6e4f")
	if !o.ok || o.hue < 161 || o.hue > 162 {
		t.Fatalf("Color(#0b6e4f) = %+v, want hue about 161.5", o)
	}
	if short, long := Color("#fff"), Color("#ffffff"); short != long {
		t.Errorf("#fff gives %+v, #ffffff %+v", short, long)
	}
	for _, bad := range []string{"", "red", "#12345", "#gggggg", "0b6e4f;x"} {
		if Color(bad).ok {
			t.Errorf("Color(%q) is a colour", bad)
		}
	}
	want := hsl(o.hue, sat(o.hue, 0.58), 0.45).hex() // the medallion body
	if got := string(SVG("first-pr", "First PR", o)); !strings.Contains(got, `fill="`+want+`"`) {
		t.Errorf("SVG with Color has no body in %s:\n%s", want, got)
	}
	if got := string(SVG("first-pr", "First PR", Color("nonsense"))); got != string(SVG("first-pr", "First PR")) {
		t.Error("a bad colour changed the artwork")
	}
	plain, _ := PNG("first-pr", "First PR", 64)
	tinted, _ := PNG("first-pr", "First PR", 64, o)
	if bytes.Equal(plain, tinted) {
		t.Error("PNG with Color is the PNG without")
	}
}
