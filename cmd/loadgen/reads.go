package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// browser is what Chromium sends for a page: it takes gzip, as every
// browser does.
var browser = []string{
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
	"Accept-Encoding: gzip, deflate, br, zstd",
}

// readLoad measures hosted reads (DESIGN §7): GET /awards/{id} as the
// OB 2.0 assertion (Accept: application/ld+json) and as the HTML page, and
// /awards/{id}/credential.json, from a real server and database over
// awards made first with the CLI, against the read limit: a bare net/http
// handler serving a small JSON body from memory, in its own process
// (-serve-read). Every server runs for the whole measurement; each round
// loads them one after another, so a ratio compares loads seconds apart.
// The senders write HTTP/1.1 themselves (getter), and their CPU is
// reported, since on a small machine it is taken from the servers'.
func readLoad(bin, logFile string, senders, rounds int, d time.Duration) error {
	if bin == "" {
		return fmt.Errorf("-reads needs -badgebot")
	}
	dir, err := os.MkdirTemp("", "loadgen-reads")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ref, refPID, stopRef, err := startChild(exec.Command(mustExecutable(), "-serve-read", "127.0.0.1:0"))
	if err != nil {
		return fmt.Errorf("reference server: %w", err)
	}
	defer stopRef()
	ref = strings.TrimSuffix(ref, "/")
	base, pid, stop, err := startBadgebot(bin, dir, logFile, "")
	if err != nil {
		return err
	}
	defer stop()
	var ids []string
	for i := range 20 {
		out, err := exec.Command(bin, "--config", filepath.Join(dir, "badgebot.toml"), "award", "--badge", "first-pr",
			"--to", fmt.Sprintf("github:reader-%d", i), "--narrative", "Read-load fixture", "--json").Output()
		if err != nil {
			return fmt.Errorf("award: %w", err)
		}
		var a struct{ ID string }
		if err := json.Unmarshal(out, &a); err != nil {
			return err
		}
		ids = append(ids, a.ID)
	}
	paths := func(suffix string) []string {
		var ps []string
		for _, id := range ids {
			ps = append(ps, "/awards/"+id+suffix)
		}
		return ps
	}
	type target struct {
		name    string
		base    string
		paths   []string
		headers []string
		pid     int
		res     []*result
	}
	refT := &target{name: "read limit (bare handler)", base: ref, paths: paths(""), headers: []string{"Accept: application/json"}, pid: refPID}
	targets := []*target{
		refT,
		{name: "/awards/{id} JSON-LD", base: base, paths: paths(""), headers: []string{"Accept: application/ld+json"}, pid: pid},
		{name: "/awards/{id} HTML", base: base, paths: paths(""), headers: browser, pid: pid},
		{name: "/awards/{id}/credential.json", base: base, paths: paths("/credential.json"), headers: []string{"Accept: application/ld+json"}, pid: pid},
	}
	fmt.Printf("hosted reads: %d connections, %s per load, %d rounds, %d awards, loopback, %d CPUs, load average %s\n",
		senders, d, rounds, len(ids), runtime.NumCPU(), loadAverage())
	for _, t := range targets {
		size, enc, err := bodySize(t.base+t.paths[0], t.headers)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		if enc != "" {
			enc = " (" + enc + ")"
		}
		fmt.Printf("  %-30s %6d-byte body%s; request: %s\n", t.name+":", size, enc, strings.Join(t.headers, ", "))
	}
	for _, t := range targets { // warm every server alike
		getLoad(t.base, t.paths, t.headers, senders, min(d, time.Second))
	}
	for r := range rounds {
		fmt.Printf("round %d (load average %s)\n", r+1, loadAverage())
		for _, t := range targets {
			cpu0, self0 := cpuTime(t.pid), cpuTime(os.Getpid())
			res := getLoad(t.base, t.paths, t.headers, senders, d)
			res.cpu, res.selfCPU = cpuTime(t.pid)-cpu0, cpuTime(os.Getpid())-self0
			printRead("  "+t.name, res)
			t.res = append(t.res, res)
		}
	}
	fmt.Printf("median of the rounds (load average %s):\n", loadAverage())
	for _, t := range targets {
		var rates []float64
		var all result
		for _, res := range t.res {
			rates = append(rates, res.rate())
			all.lat = append(all.lat, res.lat...)
			all.errors += res.errors
			all.cpu += res.cpu
			all.selfCPU += res.selfCPU
			all.accepted += res.accepted
		}
		line := fmt.Sprintf("  %-30s %7.0f req/s  errors %d  p99 %s  CPU µs/req: server %.1f, client %.1f", t.name+":",
			median(rates), all.errors, sortedPercentile(all.lat, 0.99),
			float64(all.cpu.Nanoseconds())/1e3/float64(max(all.accepted, 1)),
			float64(all.selfCPU.Nanoseconds())/1e3/float64(max(all.accepted, 1)))
		if t != refT {
			var ratios []float64
			for r := range rounds {
				ratios = append(ratios, t.res[r].rate()/refT.res[r].rate())
			}
			line += fmt.Sprintf("  ratio %.2fx (rounds %s)", median(ratios), fmtRatios(ratios))
		}
		fmt.Println(line)
	}
	return nil
}

// getLoad runs senders connections, each GETting paths in turn, until d
// has passed. A 2xx counts as accepted, anything else as an error.
func getLoad(base string, paths []string, headers []string, senders int, d time.Duration) *result {
	var wg sync.WaitGroup
	var mu sync.Mutex
	res := &result{}
	stop := time.Now().Add(d)
	start := time.Now()
	for s := range senders {
		wg.Go(func() {
			t := tally{lat: make([]time.Duration, 0, 1<<14)}
			g, err := newGetter(base, paths, headers)
			if err != nil {
				t.fail(err.Error())
			} else {
				defer g.close()
			}
			for i := s; g != nil; i++ {
				t0 := time.Now()
				if !t0.Before(stop) {
					break
				}
				status, err := g.get(i)
				t.add(status, err, time.Since(t0))
			}
			t.addTo(res, &mu)
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// printRead prints one load's figures: throughput, latency, and the CPU
// the server and the client (this process) used, per request and in
// cores, so that a client short of CPU shows.
func printRead(name string, r *result) {
	slices.Sort(r.lat)
	sec := r.elapsed.Seconds()
	fmt.Printf("%-32s %7.0f req/s  errors %d  p50 %s  p99 %s  CPU µs/req: server %.1f, client %.1f; cores busy: server %.2f, client %.2f\n",
		name+":", r.rate(), r.errors, r.percentile(0.50), r.percentile(0.99),
		float64(r.cpu.Nanoseconds())/1e3/float64(max(r.accepted, 1)), float64(r.selfCPU.Nanoseconds())/1e3/float64(max(r.accepted, 1)),
		r.cpu.Seconds()/sec, r.selfCPU.Seconds()/sec)
	if r.firstErr != "" {
		fmt.Printf("  first error: %s\n", r.firstErr)
	}
}

func sortedPercentile(lat []time.Duration, q float64) time.Duration {
	slices.Sort(lat)
	return (&result{lat: lat}).percentile(q)
}

// bodySize fetches url once and returns the length of its body as sent
// and its Content-Encoding; it must come with a 200.
func bodySize(url string, headers []string) (int, string, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, "", err
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Set(name, strings.TrimSpace(value))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, "", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return len(b), resp.Header.Get("Content-Encoding"), err
}

// readLimitBody is what the read limit serves: a small JSON document, an
// OB 2.0 assertion's shape and size, kept in memory.
var readLimitBody = []byte(`{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","id":"http://127.0.0.1/awards/reference","recipient":{"type":"url","hashed":true,"salt":"0123456789abcdef","identity":"sha256$0000000000000000000000000000000000000000000000000000000000000000"},"badge":"http://127.0.0.1/badges/first-pr?format=ob2","verification":{"type":"hosted"},"issuedOn":"2026-01-01T00:00:00Z","narrative":"Read-load fixture"}`)

// serveRead is the read limit of DESIGN §7: a bare handler serving a small
// JSON body from memory.
func serveRead(addr string) { serveOn(addr, readLimitHandler()) }

func readLimitHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(readLimitBody)
	})
}
