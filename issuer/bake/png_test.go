package bake

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Sample badge texts shared by the tests.
const (
	sampleJWS = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImtleS0xIiwidHlwIjoiSldUIn0" +
		".eyJpc3MiOiJodHRwczovL2JhZGdlcy5leGFtcGxlLm9yZy9pc3N1ZXIifQ" +
		".c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
	sampleURL  = "https://badges.example.org/awards/01J9ZK4Q7M3V8XKQ2N6P0R5T1W?format=ob2&v=2"
	sampleJSON = `{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","name":"Zoë’s first ✓"}`
	// a hosted OB 2.0 assertion: its id is where it is hosted
	sampleHosted = `{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","id":"https://badges.example.org/awards/a1?x=1&y=2","verification":{"type":"HostedBadge"}}`
)

// fixture reads a file from testdata.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mkChunk encodes one PNG chunk with a correct CRC.
func mkChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// itxt builds iTXt chunk data.
func itxt(keyword string, flag byte, text []byte) []byte {
	d := append([]byte(keyword), 0, flag, 0, 0, 0)
	return append(d, text...)
}

// pngWith returns testdata/plain.png with extra chunks inserted after IHDR
// (before) and before IEND (after).
func pngWith(t testing.TB, before, after [][]byte) []byte {
	t.Helper()
	src := fixture(t, "plain.png")
	chunks, err := readChunks(src)
	if err != nil {
		t.Fatal(err)
	}
	out := []byte(pngSignature)
	out = append(out, chunks[0].raw...)
	for _, c := range before {
		out = append(out, c...)
	}
	for _, c := range chunks[1 : len(chunks)-1] {
		out = append(out, c.raw...)
	}
	for _, c := range after {
		out = append(out, c...)
	}
	return append(out, chunks[len(chunks)-1].raw...)
}

// chunkTypes lists a PNG's chunks as "type" or "type:keyword".
func chunkTypes(t testing.TB, b []byte) []string {
	t.Helper()
	chunks, err := readChunks(b)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range chunks {
		if kw := textKeyword(c); kw != "" {
			got = append(got, c.typ+":"+kw)
		} else {
			got = append(got, c.typ)
		}
	}
	return got
}

func TestPNGRoundTrip(t *testing.T) {
	cred := string(fixture(t, "credential.json"))
	tests := []struct {
		name, keyword, text, version string
	}{
		{"ob3 json", KeywordOB3, cred, VersionOB3},
		{"ob3 vc-jwt", KeywordOB3, sampleJWS, VersionOB3},
		{"ob2 hosted url", KeywordOB2, sampleURL, VersionOB2},
		{"ob2 json, non-ASCII", KeywordOB2, sampleJSON, VersionOB2},
		{"ob2 signed", KeywordOB2, sampleJWS, VersionOB2},
		{"surrounding white space is trimmed", KeywordOB3, "\n  " + sampleJWS + " \n", VersionOB3},
	}
	src := fixture(t, "plain.png")
	want, err := png.Decode(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := PNG(src, tt.keyword, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Extract(out)
			if err != nil {
				t.Fatal(err)
			}
			wantBaked := Baked{Format: FormatPNG, Version: tt.version, Text: strings.TrimSpace(tt.text)}
			if diff := cmp.Diff(wantBaked, got); diff != "" {
				t.Errorf("Extract (-want +got):\n%s", diff)
			}
			wantTypes := []string{"IHDR", "iTXt:" + tt.keyword, "gAMA", "tEXt:Software", "IDAT", "IEND"}
			if diff := cmp.Diff(wantTypes, chunkTypes(t, out)); diff != "" {
				t.Errorf("chunks (-want +got):\n%s", diff)
			}
			chunks, _ := readChunks(out)
			wantData := append([]byte(tt.keyword), 0, 0, 0, 0, 0)
			wantData = append(wantData, strings.TrimSpace(tt.text)...)
			if !bytes.Equal(chunks[1].data, wantData) {
				t.Errorf("iTXt data = %q, want %q", chunks[1].data, wantData)
			}
			img, err := png.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("baked PNG does not decode: %v", err)
			}
			if img.Bounds() != want.Bounds() || img.At(3, 2) != want.At(3, 2) {
				t.Errorf("baked image differs from the original")
			}
		})
	}
}

func TestPNGReplacesExistingBadges(t *testing.T) {
	src := pngWith(t,
		[][]byte{mkChunk("tEXt", []byte("openbadges\x00https://old.example.org/a/1"))},
		[][]byte{
			mkChunk("iTXt", itxt(KeywordOB3, 0, []byte(sampleJWS))),
			mkChunk("zTXt", []byte("OpenBadges\x00\x00x")),
			mkChunk("iTXt", itxt("Comment", 0, []byte("keep me"))),
		})
	out, err := PNG(src, KeywordOB3, sampleJSON)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"IHDR", "iTXt:openbadgecredential", "gAMA", "tEXt:Software", "IDAT", "iTXt:Comment", "IEND"}
	if diff := cmp.Diff(want, chunkTypes(t, out)); diff != "" {
		t.Errorf("chunks (-want +got):\n%s", diff)
	}
	again, err := PNG(out, KeywordOB3, sampleJSON)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, out) {
		t.Errorf("baking twice differs from baking once")
	}
}

func TestPNGDropsDataAfterIEND(t *testing.T) {
	src := append(fixture(t, "plain.png"), "trailing junk"...)
	out, err := PNG(src, KeywordOB3, sampleJWS)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out, mkChunk("IEND", nil)) {
		t.Errorf("baked PNG does not end with IEND")
	}
}

func TestPNGErrors(t *testing.T) {
	plain := fixture(t, "plain.png")
	corruptCRC := bytes.Clone(plain)
	corruptCRC[len(corruptCRC)-20] ^= 0xff // inside IDAT
	ihdr := plain[8:33]
	idat := mkChunk("IDAT", []byte{1, 2, 3})
	iend := mkChunk("IEND", nil)
	sig := []byte(pngSignature)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	badIHDR := bytes.Clone(ihdr[8:21])
	badIHDR[9] = 5 // colour type 5 does not exist
	hugeLen := cat(sig, ihdr, []byte{0xff, 0xff, 0xff, 0xff}, []byte("IDAT"))

	tests := []struct {
		name    string
		img     []byte
		keyword string
		text    string
		want    error
	}{
		{"empty", nil, KeywordOB3, sampleJWS, ErrNotImage},
		{"SVG", fixture(t, "empty-root.svg"), KeywordOB3, sampleJWS, ErrNotImage},
		{"signature only", sig, KeywordOB3, sampleJWS, ErrCorrupt},
		{"truncated", plain[:len(plain)-5], KeywordOB3, sampleJWS, ErrCorrupt},
		{"bad CRC", corruptCRC, KeywordOB3, sampleJWS, ErrCorrupt},
		{"IDAT first", cat(sig, idat, ihdr, iend), KeywordOB3, sampleJWS, ErrCorrupt},
		{"two IHDR", cat(sig, ihdr, ihdr, idat, iend), KeywordOB3, sampleJWS, ErrCorrupt},
		{"no IDAT", cat(sig, ihdr, iend), KeywordOB3, sampleJWS, ErrCorrupt},
		{"no IEND", cat(sig, ihdr, idat), KeywordOB3, sampleJWS, ErrCorrupt},
		{"bad IHDR", cat(sig, mkChunk("IHDR", badIHDR), idat, iend), KeywordOB3, sampleJWS, ErrCorrupt},
		{"short IHDR", cat(sig, mkChunk("IHDR", ihdr[8:20]), idat, iend), KeywordOB3, sampleJWS, ErrCorrupt},
		{"bad chunk type", cat(sig, ihdr, mkChunk("ID4T", nil), idat, iend), KeywordOB3, sampleJWS, ErrCorrupt},
		{"length overruns file", hugeLen, KeywordOB3, sampleJWS, ErrCorrupt},
		{"unknown keyword", plain, "OpenBadges", sampleJWS, ErrInvalid},
		{"empty text", plain, KeywordOB3, " \n", ErrInvalid},
		{"OB3 text is a URL", plain, KeywordOB3, sampleURL, ErrInvalid},
		{"broken JSON", plain, KeywordOB3, `{"a":`, ErrInvalid},
		{"not UTF-8", plain, KeywordOB2, "{\"a\":\"\xff\"}", ErrInvalid},
		{"JWS with padding", plain, KeywordOB3, sampleJWS + "=", ErrInvalid},
		{"relative URL", plain, KeywordOB2, "/awards/1", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := PNG(tt.img, tt.keyword, tt.text)
			if !errors.Is(err, tt.want) {
				t.Fatalf("PNG error = %v, want %v", err, tt.want)
			}
			if out != nil {
				t.Errorf("PNG returned %d bytes with an error", len(out))
			}
			if !strings.HasPrefix(err.Error(), "bake: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestExtractPNG(t *testing.T) {
	var deflated bytes.Buffer
	zw := zlib.NewWriter(&deflated)
	zw.Write([]byte(sampleJSON))
	zw.Close()
	latin1 := []byte("openbadges\x00https://example.org/caf\xe9")

	tests := []struct {
		name        string
		before      [][]byte // chunks after IHDR
		after       [][]byte // chunks before IEND
		want        Baked
		wantErr     error
		errContains string
	}{
		{name: "OB3 after IDAT still found",
			after: [][]byte{mkChunk("iTXt", itxt(KeywordOB3, 0, []byte(sampleJWS)))},
			want:  Baked{FormatPNG, VersionOB3, sampleJWS}},
		{name: "legacy OB2 tEXt, Latin-1",
			before: [][]byte{mkChunk("tEXt", latin1)},
			want:   Baked{FormatPNG, VersionOB2, "https://example.org/café"}},
		{name: "OB3 preferred over OB2",
			before: [][]byte{
				mkChunk("iTXt", itxt(KeywordOB2, 0, []byte(sampleURL))),
				mkChunk("iTXt", itxt(KeywordOB3, 0, []byte(sampleJWS))),
			},
			want: Baked{FormatPNG, VersionOB3, sampleJWS}},
		{name: "language tag and translated keyword are skipped",
			before: [][]byte{mkChunk("iTXt", []byte("openbadgecredential\x00\x00\x00en\x00Abzeichen\x00"+sampleJWS))},
			want:   Baked{FormatPNG, VersionOB3, sampleJWS}},
		{name: "no badge", wantErr: ErrNoBadge},
		{name: "near-miss keyword is not a badge",
			before:  [][]byte{mkChunk("iTXt", itxt("OpenBadgeCredential", 0, []byte(sampleJWS)))},
			wantErr: ErrNoBadge},
		{name: "duplicate iTXt",
			before: [][]byte{
				mkChunk("iTXt", itxt(KeywordOB3, 0, []byte(sampleJWS))),
				mkChunk("iTXt", itxt(KeywordOB3, 0, []byte(sampleJSON))),
			},
			wantErr: ErrDuplicate, errContains: `2 "openbadgecredential"`},
		{name: "duplicate OB2 across tEXt and iTXt",
			before: [][]byte{
				mkChunk("tEXt", []byte("openbadges\x00"+sampleURL)),
				mkChunk("iTXt", itxt(KeywordOB2, 0, []byte(sampleURL))),
			},
			wantErr: ErrDuplicate},
		{name: "compressed iTXt",
			before:  [][]byte{mkChunk("iTXt", itxt(KeywordOB3, 1, deflated.Bytes()))},
			wantErr: ErrCompressed},
		{name: "zTXt",
			before:  [][]byte{mkChunk("zTXt", append([]byte("openbadges\x00\x00"), deflated.Bytes()...))},
			wantErr: ErrCompressed},
		{name: "OB3 in tEXt",
			before:  [][]byte{mkChunk("tEXt", []byte("openbadgecredential\x00"+sampleJWS))},
			wantErr: ErrInvalid, errContains: "must be iTXt"},
		{name: "iTXt truncated after keyword",
			before:  [][]byte{mkChunk("iTXt", []byte("openbadgecredential\x00"))},
			wantErr: ErrCorrupt},
		{name: "iTXt unknown compression flag",
			before:  [][]byte{mkChunk("iTXt", itxt(KeywordOB3, 7, []byte(sampleJWS)))},
			wantErr: ErrCorrupt},
		{name: "iTXt language tag unterminated",
			before:  [][]byte{mkChunk("iTXt", []byte("openbadgecredential\x00\x00\x00en"))},
			wantErr: ErrCorrupt},
		{name: "iTXt not UTF-8",
			before:  [][]byte{mkChunk("iTXt", itxt(KeywordOB3, 0, []byte("\xff\xfe")))},
			wantErr: ErrInvalid},
		{name: "empty iTXt",
			before:  [][]byte{mkChunk("iTXt", itxt(KeywordOB3, 0, []byte(" \n")))},
			wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Extract(pngWith(t, tt.before, tt.after))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Extract error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.errContains) {
					t.Errorf("Extract error %q does not mention %q", err, tt.errContains)
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
