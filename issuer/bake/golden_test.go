package bake

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/internal/golden"
)

// goldenCases bake each fixture the way badgebot does; the outputs are
// pinned under testdata/golden and also fed to the independent verifier.
func goldenCases(t testing.TB) []struct{ name, input, version, text string } {
	cred := string(fixture(t, "credential.json"))
	return []struct{ name, input, version, text string }{
		{"plain.ob3-json.png", "plain.png", VersionOB3, cred},
		{"plain.ob3-jwt.png", "plain.png", VersionOB3, sampleJWS},
		{"plain.ob2-url.png", "plain.png", VersionOB2, sampleURL},
		{"inkscape.ob3-json.svg", "inkscape.svg", VersionOB3, cred},
		{"inkscape.ob3-jwt.svg", "inkscape.svg", VersionOB3, sampleJWS},
		{"illustrator.ob2-url.svg", "illustrator.svg", VersionOB2, sampleURL},
		{"illustrator.ob2-json.svg", "illustrator.svg", VersionOB2, sampleJSON},
		{"illustrator.ob2-hosted.svg", "illustrator.svg", VersionOB2, sampleHosted},
		{"prebaked-ob2.ob3-json.svg", "prebaked-ob2.svg", VersionOB3, cred},
		{"empty-root.ob3-jwt.svg", "empty-root.svg", VersionOB3, sampleJWS},
		{"empty-root.ob3-cdata-end.svg", "empty-root.svg", VersionOB3, `{"name":"a]]>b"}`},
	}
}

// bakeFile bakes text into a fixture, choosing PNG or SVG by its name.
func bakeFile(t testing.TB, input, version, text string) []byte {
	t.Helper()
	src := fixture(t, input)
	var out []byte
	var err error
	if strings.HasSuffix(input, ".png") {
		kw := KeywordOB3
		if version == VersionOB2 {
			kw = KeywordOB2
		}
		out, err = PNG(src, kw, text)
	} else {
		out, err = SVG(src, version, text)
	}
	if err != nil {
		t.Fatalf("bake %s: %v", input, err)
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			got := bakeFile(t, tc.input, tc.version, tc.text)
			golden.Check(t, filepath.Join("testdata", "golden", tc.name), got)
		})
	}
}
