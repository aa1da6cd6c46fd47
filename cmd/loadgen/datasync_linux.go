package main

import (
	"os"
	"syscall"
)

// datasync is fdatasync(2): what a careful journal (and SQLite) syncs
// with, without the file's times.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
