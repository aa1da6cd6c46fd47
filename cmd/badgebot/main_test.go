package main

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// withGCDefaults paces the collector as the binary does (gcDefaults) until
// tb ends: for benchmarks whose figures should be the binary's.
func withGCDefaults(tb testing.TB) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	debug.SetGCPercent(percent)
	debug.SetMemoryLimit(limit)
	tb.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	gcDefaults(os.Getenv)
}

// TestGCDefaults: the collector's pace is set where the environment leaves
// it, and what GOGC and GOMEMLIMIT say is left alone.
func TestGCDefaults(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	gcDefaults(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != 400 {
		t.Errorf("GC percent %d with GOGC unset, want 400", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != 128<<20 {
		t.Errorf("memory limit %d with GOMEMLIMIT unset, want 128 MiB", got)
	}
	gcDefaults(func(k string) string { return map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent %d with GOGC set, want it left as it was (100)", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("memory limit %d with GOMEMLIMIT set, want it left as it was", got)
	}
}
