package bake

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// benchPNG encodes a 256x256 RGBA image with smooth shading and some noise,
// about the size and entropy of real badge artwork.
func benchPNG(b *testing.B) []byte {
	b.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 256, 256))
	seed := uint32(2463534242)
	for y := 0; y < 256; y++ {
		for x := 0; x < 256; x++ {
			seed ^= seed << 13
			seed ^= seed >> 17
			seed ^= seed << 5
			n := uint8(seed & 7)
			img.SetNRGBA(x, y, color.NRGBA{uint8(x) + n, uint8(y) + n, uint8(x+y)/2 + n, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkPNG(b *testing.B) {
	img := benchPNG(b)
	cred := string(fixture(b, "credential.json"))
	b.ReportMetric(float64(len(img)), "png-bytes")
	b.ReportMetric(float64(len(cred)), "text-bytes")
	b.SetBytes(int64(len(img) + len(cred)))
	for b.Loop() {
		if _, err := PNG(img, KeywordOB3, cred); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSVG(b *testing.B) {
	svg := fixture(b, "inkscape.svg")
	cred := string(fixture(b, "credential.json"))
	b.SetBytes(int64(len(svg) + len(cred)))
	for b.Loop() {
		if _, err := SVG(svg, VersionOB3, cred); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExtractPNG(b *testing.B) {
	baked, err := PNG(benchPNG(b), KeywordOB3, string(fixture(b, "credential.json")))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(baked)))
	for b.Loop() {
		if _, err := Extract(baked); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExtractSVG(b *testing.B) {
	baked, err := SVG(fixture(b, "inkscape.svg"), VersionOB3, string(fixture(b, "credential.json")))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(baked)))
	for b.Loop() {
		if _, err := Extract(baked); err != nil {
			b.Fatal(err)
		}
	}
}
