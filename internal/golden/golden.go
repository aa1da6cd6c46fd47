// Package golden compares what a test produced with a file under
// testdata, and rewrites the file when the tests run with -update:
//
//	go test ./... -update
//
// It is imported by tests only.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Update reports whether the tests run with -update.
func Update() bool { return *update }

// Check compares got with the file at path, first rewriting the file (and
// making its directory) under -update.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !utf8.Valid(want) || !utf8.Valid(got) {
		if !bytes.Equal(want, got) {
			t.Errorf("%s differs: got %d bytes, want %d (run go test -update if intended)", path, len(got), len(want))
		}
		return
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
