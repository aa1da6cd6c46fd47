package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		t.Skipf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		m.Close()
		t.Skipf("ptsname: %v", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open pts: %v", err)
	}
	return m, s
}

func TestProgressIsABarOnATerminal(t *testing.T) {
	master, slave := openPTY(t)
	defer master.Close()
	var screen bytes.Buffer
	copied := make(chan struct{})
	go func() {
		io.Copy(&screen, master) // ends with EIO once the slave is closed
		close(copied)
	}()
	c := &cli{env: &Env{Stderr: slave}}
	p := c.newProgress(3, "importing")
	for i := 1; i <= 3; i++ {
		p.set(i, 3)
	}
	p.finish()
	slave.Close()
	<-copied
	out := screen.String()
	if !strings.Contains(out, "importing") || !strings.Contains(out, "/3, ") || !strings.Contains(out, "rows/s") {
		t.Errorf("terminal shows no bar with counts and rate: %q", out)
	}
	if strings.Contains(out, "importing: 1/3\n") {
		t.Errorf("plain lines on a terminal: %q", out)
	}
}

func TestProgressIsPlainLinesElsewhere(t *testing.T) {
	var buf bytes.Buffer
	c := &cli{env: &Env{Stderr: &buf}}
	p := c.newProgress(20, "importing")
	for i := 1; i <= 20; i++ {
		p.set(i, 20)
	}
	p.finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 10 || lines[0] != "importing: 2/20" || lines[9] != "importing: 20/20" {
		t.Errorf("plain progress: %q", buf.String())
	}
	if strings.Contains(buf.String(), "\x1b") || strings.Contains(buf.String(), "\r") {
		t.Errorf("terminal codes in plain progress: %q", buf.String())
	}
}
