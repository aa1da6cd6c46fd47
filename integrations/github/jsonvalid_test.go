package github

import (
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
}
