package bake

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// extractScript runs obverify's own extraction (lib/extract.mjs) over the
// files named on the command line and prints, per file, what it found and
// every check it reported. argv: verifier directory, then the files.
const extractScript = `
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
const [dir, ...files] = process.argv.slice(1);
const {extract} = await import(pathToFileURL(path.join(dir, 'lib', 'extract.mjs')).href);
const out = [];
for (const file of files) {
  const items = [];
  const add = level => (check, msg) => items.push({level, check, msg});
  const r = {pass: add('PASS'), fail: add('FAIL'), warn: add('WARN'), info: add('INFO')};
  try {
    const {format, ob, text} = extract(fs.readFileSync(file), r);
    out.push({file, format, ob, text, items});
  } catch (e) {
    out.push({file, error: e.message, items});
  }
}
console.log(JSON.stringify(out));
`

// obverifyDir finds an installed copy of shared/tools/obverify: the
// OBVERIFY_DIR environment variable, else the shared checkout beside the
// repository. It must have run npm ci.
func obverifyDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed; skipping the independent verifier")
	}
	dir := os.Getenv("OBVERIFY_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "tools", "obverify")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "png-chunks-extract")); err != nil {
		t.Skipf("no installed verifier in %s (run npm ci there, or set OBVERIFY_DIR to a copy that has): %v", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestIndependentVerifierExtraction feeds every golden baked file to
// obverify's extraction and requires the same text back and no failed or
// warned png.* / svg.* check.
func TestIndependentVerifierExtraction(t *testing.T) {
	dir := obverifyDir(t)
	tmp := t.TempDir()
	cases := goldenCases(t)
	args := []string{"--input-type=module", "-e", extractScript, dir}
	for _, tc := range cases {
		p := filepath.Join(tmp, tc.name)
		if err := os.WriteFile(p, bakeFile(t, tc.input, tc.version, tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	var results []struct {
		File, Format, Ob, Text, Error string
		Items                         []struct{ Level, Check, Msg string }
	}
	if err := json.Unmarshal(stdout, &results); err != nil {
		t.Fatalf("verifier output: %v\n%s", err, stdout)
	}
	if len(results) != len(cases) {
		t.Fatalf("verifier reported %d files, want %d", len(results), len(cases))
	}
	for i, tc := range cases {
		res := results[i]
		t.Run(tc.name, func(t *testing.T) {
			if res.Error != "" {
				t.Fatalf("verifier could not extract: %s", res.Error)
			}
			ours, err := Extract(fixtureOrTemp(t, res.File))
			if err != nil {
				t.Fatal(err)
			}
			// obverify returns attribute values without decoding entities.
			theirs := strings.ReplaceAll(res.Text, "&amp;", "&")
			if res.Format != ours.Format || res.Ob != ours.Version || theirs != ours.Text {
				t.Errorf("verifier found %s/%s %.60q, we found %s/%s %.60q", res.Format, res.Ob, theirs, ours.Format, ours.Version, ours.Text)
			}
			passed := 0
			for _, it := range res.Items {
				if it.Level == "FAIL" || it.Level == "WARN" {
					t.Errorf("%s %s: %s", it.Level, it.Check, it.Msg)
				}
				if it.Level == "PASS" {
					passed++
				}
			}
			if passed == 0 {
				t.Errorf("verifier passed no baking check: %+v", res.Items)
			}
		})
	}
}

// fixtureOrTemp reads a file by absolute path.
func fixtureOrTemp(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
