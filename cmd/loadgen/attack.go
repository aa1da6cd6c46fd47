package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// attackBody is the Content-Length every attacking connection claims:
// GitHub's largest delivery.
const attackBody = 25 << 20

// attackLoad makes the memory attack of issue 10 on a real `badgebot
// serve`: conns connections post to /webhooks/github with a well-formed
// but wrong X-Hub-Signature-256 and a Content-Length of 25 MiB. With mode
// "headers" each sends only the headers and "{" (nothing to sign yet, so
// nothing can be checked), with "stream" each sends all but the last byte
// of the 25 MiB as fast as the server takes it; then both hold their
// connections for d. It prints the server's resident memory before, at
// its peak (VmHWM, the kernel's own high-water mark, and the largest
// VmRSS sampled) and after, and what each connection was answered.
func attackLoad(bin, logFile, mode string, conns int, d time.Duration) error {
	if mode != "headers" && mode != "stream" {
		return fmt.Errorf("-attack %q: want headers or stream", mode)
	}
	dir, err := os.MkdirTemp("", "loadgen-attack")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	base, pid, stop, err := startBadgebot(bin, dir, logFile, "")
	if err != nil {
		return err
	}
	defer stop()
	time.Sleep(500 * time.Millisecond) // start-up garbage collected and settled
	before := procStatus(pid, "VmRSS")
	hwm0 := procStatus(pid, "VmHWM")
	fmt.Printf("attack %s: %d connections claiming %d MiB each on /webhooks/github, held %s\n", mode, conns, attackBody>>20, d)
	fmt.Printf("  server RSS before: %s (VmHWM %s since start)\n", mib(before), mib(hwm0))

	addr := strings.TrimPrefix(base, "http://")
	var (
		mu      sync.Mutex
		answers = map[string]int{}
		wg      sync.WaitGroup
		done    = make(chan struct{})
	)
	for range conns {
		wg.Go(func() {
			answer := attackConn(addr, mode, d, done)
			mu.Lock()
			answers[answer]++
			mu.Unlock()
		})
	}
	peak := before
	tick := time.NewTicker(50 * time.Millisecond)
	end := time.After(d)
sample:
	for {
		select {
		case <-tick.C:
			peak = max(peak, procStatus(pid, "VmRSS"))
		case <-end:
			break sample
		}
	}
	tick.Stop()
	close(done)
	wg.Wait()
	hwm := procStatus(pid, "VmHWM")
	time.Sleep(200 * time.Millisecond)
	after := procStatus(pid, "VmRSS")
	fmt.Printf("  server RSS peak:   %s sampled, VmHWM %s (+%s over the RSS before)\n", mib(peak), mib(hwm), mib(max(peak, hwm)-before))
	fmt.Printf("  server RSS after:  %s\n", mib(after))
	for a, n := range answers {
		fmt.Printf("  %3d connections: %s\n", n, a)
	}
	return nil
}

// attackConn makes one attacking connection and returns what it was
// answered (the status line) or what became of it.
func attackConn(addr, mode string, d time.Duration, done <-chan struct{}) string {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer c.Close()
	head := "POST /webhooks/github HTTP/1.1\r\nHost: " + addr + "\r\n" +
		"Content-Type: application/json\r\nX-GitHub-Event: pull_request\r\nX-GitHub-Delivery: attack\r\n" +
		"X-Hub-Signature-256: sha256=" + strings.Repeat("0", 64) + "\r\n" +
		"Content-Length: " + strconv.Itoa(attackBody) + "\r\n\r\n{"
	if _, err := c.Write([]byte(head)); err != nil {
		return "write: " + err.Error()
	}
	answer := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			answer <- "no answer (" + strings.TrimSpace(err.Error()) + ")"
			return
		}
		answer <- strings.TrimSpace(line)
	}()
	if mode == "stream" {
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		for sent := 1; sent < attackBody-1; {
			n := min(len(chunk), attackBody-1-sent)
			_ = c.SetWriteDeadline(time.Now().Add(d))
			if _, err := c.Write(chunk[:n]); err != nil {
				break // answered and closed early
			}
			sent += n
		}
	}
	select {
	case a := <-answer:
		return a
	case <-done:
		return "held open, no answer yet"
	}
}

// procStatus returns a "kB" field of /proc/PID/status in bytes (0 where
// there is none).
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
