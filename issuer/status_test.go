package issuer

import (
	"bytes"
	"testing"
)

func TestStatusListEncoding(t *testing.T) {
	set := []int{0, 7, 8, 42, StatusListSize - 1}
	enc, err := encodeStatusList(set)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := decodeStatusList(enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw)*8 != StatusListSize {
		t.Fatalf("%d entries, want %d", len(raw)*8, StatusListSize)
	}
	// index 0 is the most significant bit of the first byte
	if raw[0] != 0x81 || raw[1] != 0x80 || raw[len(raw)-1] != 0x01 {
		t.Fatalf("bytes %08b %08b … %08b", raw[0], raw[1], raw[len(raw)-1])
	}
	want := map[int]bool{}
	for _, i := range set {
		want[i] = true
	}
	for i := range StatusListSize {
		got, err := statusBit(raw, i)
		if err != nil || got != want[i] {
			t.Fatalf("bit %d = %v, %v", i, got, err)
		}
	}
	if _, err := statusBit(raw, StatusListSize); err == nil {
		t.Fatal("bit past the end")
	}
	if _, err := encodeStatusList([]int{StatusListSize}); err == nil {
		t.Fatal("encoded an index past the end")
	}
	for _, bad := range []string{"", "z123", "u!!!", "uAAAA", "u" + enc[1:10]} {
		if _, err := decodeStatusList(bad); err == nil {
			t.Errorf("decodeStatusList(%q) succeeded", bad)
		}
	}
}

func TestStatusListSignedAndCached(t *testing.T) {
	is := newTestIssuer(t)
	first, err := is.StatusList(1, []int{42, 7, 42, StatusListSize + 3})
	if err != nil {
		t.Fatal(err)
	}
	goldenFile(t, "status-1.json", indentJSON(t, first))
	again, err := is.StatusList(1, []int{7, 42})
	if err != nil {
		t.Fatal(err)
	}
	if &first[0] != &again[0] {
		t.Error("the same revoked set was signed again instead of served from the cache")
	}
	changed, err := is.StatusList(1, []int{7})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first, changed) {
		t.Error("a changed revoked set gave the same list")
	}
	second, err := is.StatusList(2, []int{42, StatusListSize + 3})
	if err != nil {
		t.Fatal(err)
	}
	doc := readJSONObject(t, second)
	raw, err := decodeStatusList(str(obj(doc, "credentialSubject"), "encodedList"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := statusBit(raw, 3); !b {
		t.Error("list 2 lacks bit 3 (status index 131075)")
	}
	if b, _ := statusBit(raw, 42); b {
		t.Error("list 2 has bit 42, which belongs to list 1")
	}
	if _, err := is.StatusList(0, nil); err == nil {
		t.Error("list 0 accepted")
	}
}

// encodeStatusList encodes one list with a fresh encoder.
func encodeStatusList(set []int) (string, error) {
	return new(statusEncoder).encode(set)
}
