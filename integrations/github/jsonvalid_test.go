package github

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var jsonCases = []string{
	``, ` `, `{}`, `[]`, ` {"a" : [1, -0.5e+10, "x\u00e9\n", true, false, null, {}]} `, `"\ud83d\ude00"`,
	`{`, `}`, `[1,]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{1:2}`, `[1 2]`, `01`, `-`, `1.`, `1e`, `1e+`, `.5`, `+1`,
	`"abc`, `"\x"`, `"\u12g4"`, `"a` + "\x01" + `"`, "\"\xff\xfe\"", `tru`, `nul`, `falsey`, `[]]`, `{}{}`, `[{]}`,
	`{"a":[}`, `"\/"`, "\t[\r\n]\t", `-0`, `-01`, `0.0e-0`, `1E5`, `[` + strings.Repeat(`[`, 9998) + strings.Repeat(`]`, 9999),
	strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10001), strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000),
}

func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range jsonCases {
		if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("validJSON(%.40q) = %v, json.Valid says %v", c, got, want)
		}
	}
	for file := range payloadFiles(t) {
		if b := readTestdata(t, file); !validJSON(b) {
			t.Errorf("validJSON(%s) = false", file)
		}
	}
}

// skipString reads strings eight bytes at a time: every byte that ends,
// escapes or breaks a string must be found at every offset in a word, with
// ordinary bytes on either side (high bytes too, which must not be taken
// for control characters), and at the end of the input.
func TestValidJSONStringsAtEveryOffset(t *testing.T) {
	for _, special := range []string{`"`, `\"`, `\\`, `\n`, `\u00e9`, `\u00g9`, `\x`, `\`, "\x00", "\x1f", "\x7f", "\x80", "\xff", " "} {
		for _, filler := range []string{"a", "\xe9", "\x20"} {
			for before := range 18 {
				for after := range 18 {
					s := `"` + strings.Repeat(filler, before) + special + strings.Repeat(filler, after)
					for _, c := range []string{s, s + `"`, `[` + s + `"]`, `{` + s + `":1}`} {
						if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
							t.Errorf("validJSON(%q) = %v, json.Valid says %v", c, got, want)
						}
					}
				}
			}
		}
	}
}

// Runs of whitespace (indentation) are skipped eight bytes at a time.
func TestValidJSONWhitespaceRuns(t *testing.T) {
	for n := range 20 {
		for _, ws := range []string{" ", "\n", "\t", "\r", " \n", "\x0b", "\x00"} {
			pad := strings.Repeat(" ", n) + ws + strings.Repeat(" ", n%9)
			for _, c := range []string{pad + `1`, `[` + pad + `1` + pad + `]`, `{` + pad + `"a"` + pad + `:` + pad + `1` + pad + `}` + pad, pad} {
				if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
					t.Errorf("validJSON(%q) = %v, json.Valid says %v", c, got, want)
				}
			}
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, c := range jsonCases {
		f.Add([]byte(c))
	}
	f.Add(readTestdata(f, "issue_comment.created.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	body := readTestdata(b, "pull_request.closed.merged.json")
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			json.Valid(body)
		}
	})
	b.Run("validJSON", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			validJSON(body)
		}
	})
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		b.Fatal(err)
	}
	b.Run("validJSON-compact", func(b *testing.B) {
		b.SetBytes(int64(compact.Len()))
		for b.Loop() {
			validJSON(compact.Bytes())
		}
	})
}
