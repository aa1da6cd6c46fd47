// Package cputime reads the CPU time this process has used, for the
// benchmarks that report CPU per operation: on a shared machine it holds
// better than wall time, which depends on what else runs.
//
// It is imported by tests only.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// Self returns the CPU time, user and system, this process has used.
func Self(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
