package bake

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFiles returns every fixture and golden file, the fuzzers' seed corpus.
func seedFiles(f *testing.F) [][]byte {
	f.Helper()
	var seeds [][]byte
	for _, pattern := range []string{"testdata/*.png", "testdata/*.svg", "testdata/golden/*"} {
		names, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, b)
		}
	}
	if len(seeds) == 0 {
		f.Fatal("no seed files")
	}
	return seeds
}

// sentinels are the errors every failure must wrap.
var sentinels = []error{ErrNotImage, ErrCorrupt, ErrNoBadge, ErrDuplicate, ErrCompressed, ErrInvalid, ErrTooComplex}

func checkSentinel(t *testing.T, err error) {
	t.Helper()
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}

// FuzzExtractPNG unbakes hostile PNGs (seeds: every PNG fixture and
// golden file, and testdata/fuzz/FuzzExtractPNG).
func FuzzExtractPNG(f *testing.F) {
	for _, s := range seedFiles(f) {
		if bytes.HasPrefix(s, []byte(pngSignature)) {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkExtract(t, data) })
}

// FuzzExtractSVG unbakes hostile SVGs (seeds: every SVG fixture and
// golden file, and testdata/fuzz/FuzzExtractSVG, deeply nested ones
// among them).
func FuzzExtractSVG(f *testing.F) {
	for _, s := range seedFiles(f) {
		if !bytes.HasPrefix(s, []byte(pngSignature)) {
			f.Add(s)
		}
	}
	f.Add([]byte(`<svg xmlns:o="http://openbadges.org"><o:assertion verify="https://e.org/a"><![CDATA[{]]]]><![CDATA[>}]]></o:assertion></svg>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkExtract(t, data)
		if bytes.Count(data, []byte("<")) <= MaxSVGDepth {
			return
		}
		if _, err := Extract(data); err == nil && svgDepth(data) > MaxSVGDepth+1 {
			t.Fatalf("an SVG nested %d deep was read", svgDepth(data))
		}
	})
}

// svgDepth is how deeply a well-formed prefix of data nests elements.
func svgDepth(data []byte) int {
	d := xml.NewDecoder(bytes.NewReader(data))
	depth, most := 0, 0
	for {
		tok, err := d.Token()
		if err != nil {
			return most
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			most = max(most, depth)
		case xml.EndElement:
			depth--
		}
	}
}

// checkExtract: Extract fails with a sentinel or returns a sane badge.
func checkExtract(t *testing.T, data []byte) {
	t.Helper()
	got, err := Extract(data)
	if err != nil {
		checkSentinel(t, err)
		return
	}
	if got.Format != FormatPNG && got.Format != FormatSVG {
		t.Fatalf("format %q", got.Format)
	}
	if got.Version != VersionOB3 && got.Version != VersionOB2 {
		t.Fatalf("version %q", got.Version)
	}
	if got.Text == "" || got.Text != strings.TrimSpace(got.Text) {
		t.Fatalf("text %q is empty or untrimmed", got.Text)
	}
}

func FuzzPNG(f *testing.F) {
	cred := string(fixture(f, "credential.json"))
	for i, s := range seedFiles(f) {
		texts := []string{cred, sampleJWS, sampleURL, sampleJSON}
		f.Add(s, i%2 == 0, texts[i%len(texts)])
	}
	f.Fuzz(func(t *testing.T, img []byte, ob2 bool, text string) {
		kw, version := KeywordOB3, VersionOB3
		if ob2 {
			kw, version = KeywordOB2, VersionOB2
		}
		out, err := PNG(img, kw, text)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		got, err := Extract(out)
		if err != nil {
			t.Fatalf("Extract of a baked PNG: %v", err)
		}
		if want := (Baked{FormatPNG, version, strings.TrimSpace(text)}); got != want {
			t.Fatalf("Extract = %+v, want %+v", got, want)
		}
		again, err := PNG(out, kw, text)
		if err != nil {
			t.Fatalf("baking a baked PNG: %v", err)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("baking twice differs from baking once")
		}
	})
}

func FuzzSVG(f *testing.F) {
	cred := string(fixture(f, "credential.json"))
	for i, s := range seedFiles(f) {
		texts := []string{cred, sampleJWS, sampleURL, sampleJSON, `{"a":"]]>"}`}
		f.Add(s, i%2 == 1, texts[i%len(texts)])
	}
	f.Fuzz(func(t *testing.T, svg []byte, ob2 bool, text string) {
		version := VersionOB3
		if ob2 {
			version = VersionOB2
		}
		out, err := SVG(svg, version, text)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		got, err := Extract(out)
		if err != nil {
			t.Fatalf("Extract of a baked SVG: %v\n%s", err, out)
		}
		wantText := strings.ReplaceAll(strings.TrimSpace(text), "]]>", `]]\u003e`)
		if want := (Baked{FormatSVG, version, wantText}); got != want {
			t.Fatalf("Extract = %+v, want %+v\n%s", got, want, out)
		}
		if _, err := parseSVG(out); err != nil {
			t.Fatalf("baked SVG does not parse: %v", err)
		}
		again, err := SVG(out, version, text)
		if err != nil {
			t.Fatalf("baking a baked SVG: %v", err)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("baking twice differs from baking once:\n%s\n----\n%s", out, again)
		}
		// The whole output, not only up to the root's end, must stay as
		// well-formed as the input was.
		if wellFormed(svg) && !wellFormed(out) {
			t.Fatalf("baking broke the document:\n%s", out)
		}
	})
}

// wellFormed reports whether encoding/xml reads b to the end without error.
func wellFormed(b []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.CharsetReader = asciiCharsetReader
	for {
		_, err := d.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
}
