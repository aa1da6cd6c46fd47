// Command loadgen measures webhook ingestion: 64 concurrent senders post
// distinct, signed merged-pull-request deliveries, first to a bare net/http
// handler that only checks the HMAC (the reference), then to that handler
// followed by the least durable storage (durable.go), then to a real
// `badgebot serve` on a fresh database, in the same run on the same
// machine. It reports throughput and latency percentiles for both, then
// waits until badgebot has turned every acknowledged delivery into an award
// and checks that it did.
//
//	go build -o /tmp/badgebot ./cmd/badgebot
//	go run ./cmd/loadgen -badgebot /tmp/badgebot -duration 10s
//
// It only ever sends to 127.0.0.1, and stops by itself.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const secret = "loadgen-secret"

func main() {
	var (
		badgebot = flag.String("badgebot", "", "path to a built badgebot binary (empty: only the reference)")
		payload  = flag.String("payload", "integrations/github/testdata/pull_request.closed.merged.json", "merged pull_request delivery to vary")
		senders  = flag.Int("senders", 64, "concurrent senders")
		duration = flag.Duration("duration", 10*time.Second, "how long each load runs")
		wait     = flag.Duration("wait", 10*time.Minute, "how long to wait, after a round, for every delivery to become an award")
		rounds   = flag.Int("rounds", 3, "rounds of loads; ratios are the median of the rounds'")
		octokit  = flag.String("octokit", "", "also measure @octokit/webhooks: the folder of server.mjs, after npm ci there")
		nethttp  = flag.Bool("nethttp", false, "senders use net/http's client (which costs them more CPU) instead of writing HTTP/1.1 themselves")
		serve    = flag.String("serve-hmac", "", "serve the reference handler on this address (and nothing else)")
		serveDur = flag.String("serve-durable", "", "serve the durable reference (the reference handler, then the body journaled to -journal and synced) on this address (and nothing else)")
		jpath    = flag.String("journal", "", "with -serve-durable: the journal file")
		only     = flag.String("target", "", "instead: only send to this URL for -duration and report (run two to see whether one saturates a server)")
		serveRd  = flag.String("serve-read", "", "serve the read limit (a small JSON body from memory) on this address (and nothing else)")
		logFile  = flag.String("log", "", "write badgebot's log to this file")
		slackN   = flag.Int("slack", 0, "instead: this many concurrent Slack users send /badge commands (needs -badgebot)")
		reads    = flag.Bool("reads", false, "instead: hosted reads of awards, pages and credentials against the read limit (needs -badgebot)")
		attack   = flag.String("attack", "", "instead: the Content-Length memory attack, headers or stream, on -senders connections held for -duration (needs -badgebot)")
		pg       = flag.String("pg", "", "also load -replicas `badgebot serve` on this PostgreSQL database (URL; it must be empty or hold only earlier loadgen runs)")
		replicas = flag.Int("replicas", 2, "with -pg: how many replicas share the database")
	)
	flag.Parse()
	if *serve != "" {
		serveHMAC(*serve)
		return
	}
	if *serveDur != "" {
		serveDurable(*serveDur, *jpath)
		return
	}
	if *only != "" {
		if err := targetLoad(*only, *payload, *senders, *duration, *nethttp); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		return
	}
	if *serveRd != "" {
		serveRead(*serveRd)
		return
	}
	if *attack != "" {
		if err := attackLoad(*badgebot, *logFile, *attack, *senders, *duration); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		return
	}
	if *reads {
		if err := readLoad(*badgebot, *logFile, *senders, *rounds, *duration); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		return
	}
	if *slackN > 0 {
		if err := slackLoad(*badgebot, *logFile, *slackN, *duration); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*badgebot, *octokit, *logFile, *payload, *pg, *replicas, *senders, *rounds, *duration, *wait, *nethttp); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(badgebot, octokit, logFile, payloadPath, pg string, replicas, senders, rounds int, d, wait time.Duration, netHTTP bool) error {
	tmpl, err := os.ReadFile(payloadPath)
	if err != nil {
		return err
	}
	gen, err := newGenerator(tmpl)
	if err != nil {
		return err
	}
	fmt.Printf("payload: %d bytes, %d senders, %s per load, %d rounds, loopback\n", len(tmpl), senders, d, rounds)

	// Every server runs for the whole measurement, each in its own
	// process; a round loads them one after another, so a ratio compares
	// loads a few seconds apart on the same machine.
	type target struct {
		name string
		urls []string // the senders spread over them
		pids []int
		dir  string // badgebot's: where its config is
		base string // badgebot's: its URL, for counting awards
		res  []*result
	}
	ref, refPID, stopRef, err := startChild(exec.Command(mustExecutable(), "-serve-hmac", "127.0.0.1:0"))
	if err != nil {
		return fmt.Errorf("reference server: %w", err)
	}
	defer stopRef()
	targets := []*target{{name: "bare HMAC handler", urls: []string{ref}, pids: []int{refPID}}}
	jdir, err := os.MkdirTemp("", "loadgen-journal")
	if err != nil {
		return err
	}
	defer os.RemoveAll(jdir)
	dur, durPID, stopDur, err := startChild(exec.Command(mustExecutable(), "-serve-durable", "127.0.0.1:0",
		"-journal", filepath.Join(jdir, "journal")))
	if err != nil {
		return fmt.Errorf("durable reference server: %w", err)
	}
	defer stopDur()
	targets = append(targets, &target{name: "HMAC + durable append", urls: []string{dur}, pids: []int{durPID}})
	if octokit != "" {
		cmd := exec.Command("node", filepath.Join(octokit, "server.mjs"), "127.0.0.1:0")
		cmd.Env = append(os.Environ(), "LOADGEN_SECRET="+secret)
		url, pid, stop, err := startChild(cmd)
		if err != nil {
			return fmt.Errorf("octokit server (npm ci in %s first): %w", octokit, err)
		}
		defer stop()
		targets = append(targets, &target{name: "@octokit/webhooks", urls: []string{url}, pids: []int{pid}})
	}
	var bb *target
	var dir string
	if badgebot != "" {
		dir, err = os.MkdirTemp("", "loadgen")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		base, pid, stop, err := startBadgebot(badgebot, dir, logFile, "")
		if err != nil {
			return err
		}
		defer stop()
		bb = &target{name: "badgebot serve", urls: []string{base + "/webhooks/github"}, pids: []int{pid}, dir: dir, base: base}
		targets = append(targets, bb)
	}
	// Several replicas on PostgreSQL, measured beside the SQLite instance
	// (DESIGN §7 "Several replicas"): the senders spread over them, as a
	// load balancer would.
	var pgt *target
	if badgebot != "" && pg != "" {
		pgt = &target{name: fmt.Sprintf("%d replicas on PG", replicas)}
		storage := fmt.Sprintf("driver = \"postgres\"\nurl = %q\n", pg)
		for i := range replicas {
			rdir := filepath.Join(dir, fmt.Sprintf("replica-%d", i))
			if err := os.MkdirAll(rdir, 0o700); err != nil {
				return err
			}
			base, pid, stop, err := startBadgebotWith(badgebot, rdir, filepath.Join(dir, "pg-keys"), "", storage, "")
			if err != nil {
				return err
			}
			defer stop()
			pgt.urls, pgt.pids = append(pgt.urls, base+"/webhooks/github"), append(pgt.pids, pid)
		}
		pgt.dir = filepath.Join(dir, "replica-0")
		pgt.base = strings.TrimSuffix(pgt.urls[0], "/webhooks/github")
		targets = append(targets, pgt)
	}

	// A short unmeasured load first warms every server alike (Node's JIT
	// most of all).
	accepted := map[*target]int{}
	if pgt != nil {
		// Awards from earlier runs on the same database count too.
		n, err := countAwards(pgt.base)
		if err != nil {
			return err
		}
		accepted[pgt] = n
	}
	for _, t := range targets {
		res := load(t.urls, gen, senders, min(d, 2*time.Second), netHTTP)
		if t.dir != "" {
			accepted[t] += res.accepted
			if err := waitAwards(t.base, t.pids, accepted[t], wait); err != nil {
				return err
			}
		}
	}
	for r := range rounds {
		fmt.Printf("round %d (load average %s)\n", r+1, loadAverage())
		for _, t := range pgOrder(targets, pgt, bb, r) {
			var dbPIDs []int
			if t == pgt {
				dbPIDs = pgServerPIDs(pg)
			}
			cpu0, self0, db0 := cpuTimes(t.pids), cpuTime(os.Getpid()), cpuTimes(dbPIDs)
			res := load(t.urls, gen, senders, d, netHTTP)
			res.cpu, res.selfCPU = cpuTimes(t.pids)-cpu0, cpuTime(os.Getpid())-self0
			res.print("  " + t.name)
			if len(dbPIDs) > 0 {
				printPGCPU(cpuTimes(dbPIDs)-db0, res.accepted)
			}
			t.res = append(t.res, res)
			if pgt != nil && t.dir != "" {
				// SQLite beside PostgreSQL: each turns its deliveries
				// into awards before the other is loaded, so neither's
				// load competes with the other's processing.
				accepted[t] += res.accepted
				if err := waitAwards(t.base, t.pids, accepted[t], wait); err != nil {
					return err
				}
			}
		}
		// badgebot turns deliveries into awards once they pause; that
		// work must end before the next round loads the others.
		for _, t := range targets {
			if t.dir == "" || pgt != nil {
				continue
			}
			accepted[t] += t.res[r].accepted
			if err := waitAwards(t.base, t.pids, accepted[t], wait); err != nil {
				return err
			}
		}
	}

	fmt.Println("median of the rounds:")
	medians := map[*target]float64{}
	for _, t := range targets {
		var rates []float64
		var all result
		for _, res := range t.res {
			rates = append(rates, res.rate())
			all.lat = append(all.lat, res.lat...)
			all.errors += res.errors
		}
		medians[t] = median(rates)
		slices.Sort(all.lat)
		var cpu time.Duration
		n := 0
		for _, res := range t.res {
			cpu += res.cpu
			n += res.accepted
		}
		fmt.Printf("  %-20s %7.0f deliveries/s  errors %d  p50 %s  p99 %s  server CPU %.0f µs/delivery (all rounds)\n", t.name+":",
			medians[t], all.errors, all.percentile(0.50), all.percentile(0.99), float64(cpu.Microseconds())/float64(max(n, 1)))
	}
	if pgt != nil {
		var ratios []float64
		for r := range rounds {
			ratios = append(ratios, pgt.res[r].rate()/bb.res[r].rate())
		}
		fmt.Printf("ratio: %s %.2fx one SQLite badgebot (median of the rounds' ratios; each round %s)\n", pgt.name, median(ratios), fmtRatios(ratios))
	}
	if bb != nil {
		for _, t := range targets {
			if t.dir != "" {
				continue
			}
			var ratios []float64
			for r := range rounds {
				ratios = append(ratios, bb.res[r].rate()/t.res[r].rate())
			}
			fmt.Printf("ratio: %.2fx %s (median of the rounds' ratios; each round %s)\n", median(ratios), t.name, fmtRatios(ratios))
		}
	}
	return nil
}

// targetLoad loads one URL with signed deliveries and reports the rate
// and this process's CPU per delivery: two of these at once against one
// server tell whether one sender process saturates it.
func targetLoad(url, payloadPath string, senders int, d time.Duration, netHTTP bool) error {
	tmpl, err := os.ReadFile(payloadPath)
	if err != nil {
		return err
	}
	gen, err := newGenerator(tmpl)
	if err != nil {
		return err
	}
	// Distinct delivery numbers across processes started together.
	gen.next.Store(int64(os.Getpid()) << 32)
	self0 := cpuTime(os.Getpid())
	res := load([]string{url}, gen, senders, d, netHTTP)
	res.selfCPU = cpuTime(os.Getpid()) - self0
	res.print(fmt.Sprintf("%s (load average %s)", url, loadAverage()))
	return nil
}

// waitAwards waits until badgebot reports want awards, and reports how
// long after the load ended that was and at what rate the last awards
// were made, with the server's CPU time per award (steadier than the
// rate on a busy machine). It asks four times a second: the count is a
// few cheap queries.
func waitAwards(base string, pids []int, want int, wait time.Duration) error {
	start, cpu0 := time.Now(), cpuTimes(pids)
	var first counts
	read := false
	for {
		c, err := readCounts(base)
		n := c.awards
		if err != nil {
			fmt.Println("  (retrying)", err)
			n = -1
		} else if !read {
			first, read = c, true
		}
		if n >= want {
			took, cpu := time.Since(start).Seconds(), cpuTimes(pids)-cpu0
			made := n - first.awards
			writer := ""
			if c.writerBusy >= 0 && first.writerBusy >= 0 && made > 0 {
				busy := c.writerBusy - first.writerBusy
				writer = fmt.Sprintf(", the one writer busy %.0f µs each, %.0f%% of the time", busy*1e6/float64(made), 100*busy/max(took, 0.1))
			}
			fmt.Printf("  awards: %d of %d acknowledged deliveries, all processed %.1fs after the load ended (%d made then: %.0f awards/s, server CPU %.0f µs each%s; load average %s)\n",
				n, want, took, made, float64(made)/max(took, 0.1), float64(cpu.Microseconds())/float64(max(made, 1)), writer, loadAverage())
			return nil
		}
		if time.Since(start) > wait {
			return fmt.Errorf("only %d awards for %d acknowledged deliveries after %s", n, want, wait)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// loadAverage is the 1-minute load average, from /proc.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtRatios(xs []float64) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%.2f", x)
	}
	return b.String()
}

// generator makes distinct deliveries from one real payload: each has its
// own pull request number, author and delivery id. The template is split
// once at the places that vary, so a body costs one copy.
type generator struct {
	parts [][]byte // text between the varying places
	kinds []byte   // what goes after parts[i]: 'l' login, 'n' number, 'p' /pull/N
	next  atomic.Int64
}

func newGenerator(tmpl []byte) (*generator, error) {
	marks := map[string]byte{`"login": "Codertocat"`: 'l', `"number": 2,`: 'n', `/pull/2`: 'p'}
	g := &generator{}
	rest := tmpl
	for {
		at, which := -1, ""
		for m := range marks {
			if i := bytes.Index(rest, []byte(m)); i >= 0 && (at < 0 || i < at) {
				at, which = i, m
			}
		}
		if at < 0 {
			g.parts = append(g.parts, rest)
			break
		}
		g.parts = append(g.parts, rest[:at])
		g.kinds = append(g.kinds, marks[which])
		rest = rest[at+len(which):]
	}
	if !slices.Contains(g.kinds, 'l') || !slices.Contains(g.kinds, 'n') {
		return nil, errors.New("payload is not the expected merged pull request example")
	}
	return g, nil
}

// delivery makes the next distinct delivery and returns its number n: no
// two in a run share an author, so each is a first merged pull request,
// nor an n, which the delivery id carries.
func (g *generator) delivery(b []byte) ([]byte, int64) {
	n := g.next.Add(1)
	b = b[:0]
	for i, part := range g.parts {
		b = append(b, part...)
		if i < len(g.kinds) {
			switch g.kinds[i] {
			case 'l':
				b = append(b, `"login": "user-`...)
				b = strconv.AppendInt(b, n, 10)
				b = append(b, '"')
			case 'n':
				b = append(b, `"number": `...)
				b = strconv.AppendInt(b, n, 10)
				b = append(b, ',')
			case 'p':
				b = append(b, `/pull/`...)
				b = strconv.AppendInt(b, n, 10)
			}
		}
	}
	return b, n
}

type result struct {
	cpu      time.Duration // the server's CPU time during the load
	selfCPU  time.Duration // the senders' (this process's)
	accepted int
	errors   int
	elapsed  time.Duration
	lat      []time.Duration
	firstErr string
}

// tally is one sender's count of its requests, added to the load's
// result when the sender is done.
type tally struct {
	ok, bad  int
	lat      []time.Duration
	firstErr string
}

// add counts one request by its status (2xx: accepted) or its error.
func (t *tally) add(status int, err error, took time.Duration) {
	t.lat = append(t.lat, took)
	switch {
	case err != nil:
		t.fail(err.Error())
	case status/100 == 2:
		t.ok++
	default:
		t.fail(fmt.Sprintf("HTTP %d", status))
	}
}

// fail counts a failed request, keeping the first reason.
func (t *tally) fail(reason string) {
	t.bad++
	if t.firstErr == "" {
		t.firstErr = reason
	}
}

// addTo adds the tally to res, which the senders share under mu.
func (t *tally) addTo(res *result, mu *sync.Mutex) {
	mu.Lock()
	defer mu.Unlock()
	res.accepted += t.ok
	res.errors += t.bad
	res.lat = append(res.lat, t.lat...)
	if res.firstErr == "" {
		res.firstErr = t.firstErr
	}
}

func (r *result) rate() float64 { return float64(r.accepted) / r.elapsed.Seconds() }

// percentile of the sorted latencies.
func (r *result) percentile(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[int(q*float64(len(r.lat)-1))].Round(10 * time.Microsecond)
}

func (r *result) print(name string) {
	slices.Sort(r.lat)
	fmt.Printf("%-22s %7.0f deliveries/s  acknowledged %d  errors %d  p50 %s  p99 %s  max %s  CPU µs each: server %.0f, senders %.0f\n",
		name+":", r.rate(), r.accepted, r.errors, r.percentile(0.50), r.percentile(0.99), r.percentile(1),
		float64(r.cpu.Microseconds())/float64(max(r.accepted, 1)), float64(r.selfCPU.Microseconds())/float64(max(r.accepted, 1)))
	if r.firstErr != "" {
		fmt.Printf("  first error: %s\n", r.firstErr)
	}
}

// poster sends one signed delivery and returns the response status.
type poster interface {
	post(id string, body []byte) (int, error)
	close()
}

// appendDeliveryID appends the id of a delivery sent at t, in the form
// GitHub's X-GitHub-Delivery takes: a version 1 (time-based) UUID such as
// 72d3162e-cc78-11e3-81ab-4c9367dc0958, its time in 100 ns steps since
// 1582-10-15. Its last 62 bits (clock sequence and node) are seq, so that
// deliveries sent in the same 100 ns still differ.
func appendDeliveryID(b []byte, t time.Time, seq int64) []byte {
	const gregorian = 0x01B21DD213814000 // 100 ns steps from 1582-10-15 to 1970-01-01
	ts := uint64(t.UnixNano()/100) + gregorian
	var u [16]byte
	binary.BigEndian.PutUint32(u[0:], uint32(ts))                   // time_low
	binary.BigEndian.PutUint16(u[4:], uint16(ts>>32))               // time_mid
	binary.BigEndian.PutUint16(u[6:], uint16(ts>>48)&0x0fff|0x1000) // version 1
	binary.BigEndian.PutUint64(u[8:], uint64(seq)&(1<<62-1)|1<<63)  // RFC 4122 variant
	h := hex.EncodeToString(u[:])
	return append(b, h[0:8]+"-"+h[8:12]+"-"+h[12:16]+"-"+h[16:20]+"-"+h[20:]...)
}

// load runs senders until d has passed. Making and signing a body costs
// the senders the same against either server.
func load(urls []string, g *generator, senders int, d time.Duration, netHTTP bool) *result {
	newPoster := func(i int) (poster, error) {
		s, err := newSender(urls[i%len(urls)])
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	if netHTTP {
		client := &http.Client{
			Transport: &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders},
			Timeout:   30 * time.Second,
		}
		newPoster = func(i int) (poster, error) { return &netHTTPSender{client: client, url: urls[i%len(urls)]}, nil }
	}
	const maxPerSender = 1 << 20
	var wg sync.WaitGroup
	res := &result{}
	var mu sync.Mutex
	stop := time.Now().Add(d)
	start := time.Now()
	for i := range senders {
		wg.Go(func() {
			var t tally
			var body, id []byte
			p, err := newPoster(i)
			if err != nil {
				t.fail(err.Error())
			} else {
				defer p.close()
			}
			for i := 0; p != nil && time.Now().Before(stop) && i < maxPerSender; i++ {
				var n int64
				body, n = g.delivery(body)
				id = appendDeliveryID(id[:0], time.Now(), n)
				t0 := time.Now()
				status, err := p.post(string(id), body)
				t.add(status, err, time.Since(t0))
			}
			t.addTo(res, &mu)
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// netHTTPSender posts with net/http's client.
type netHTTPSender struct {
	client *http.Client
	url    string
}

// signature is body's X-Hub-Signature-256 under the load's secret.
func signature(body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (s *netHTTPSender) post(id string, body []byte) (int, error) {
	// The transport may still be writing the body when Do returns (an
	// early error reply): it gets its own copy.
	hr, err := http.NewRequest("POST", s.url, bytes.NewReader(bytes.Clone(body)))
	if err != nil {
		return 0, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("X-GitHub-Event", "pull_request")
	hr.Header.Set("X-GitHub-Delivery", id)
	hr.Header.Set("X-Hub-Signature-256", signature(body))
	resp, err := s.client.Do(hr)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (s *netHTTPSender) close() {}

// serveHMAC is the reference: read the body, check the HMAC, answer 202.
func serveHMAC(addr string) { serveOn(addr, hmacHandler()) }

// serveOn serves h on addr (a reference handler in a process of its own)
// and prints the address it listens on, which the parent reads.
func serveOn(addr string, h http.Handler) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("listening", ln.Addr())
	http.Serve(ln, h)
}

// hmacHandler is the DESIGN §7 reference: read the body, check its
// X-Hub-Signature-256 against the secret, 202. It does what a careful
// handler does, so that it is the limit and not a straw man: the body is
// read into a pooled buffer sized by Content-Length (no growing and
// copying as io.ReadAll does), the HMAC is made once per pooled state and
// Reset, and the header's hex is decoded and compared without allocating.
func hmacHandler() http.Handler { return signedHandler(nil) }

// signedHandler is hmacHandler, and then, when keep is not nil, keep is
// given the signed body (which it must not retain) before the 202: a 503
// when it fails.
func signedHandler(keep func(body []byte) error) http.Handler {
	key := []byte(secret)
	const limit = 25 << 20
	macs := sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}
	bufs := sync.Pool{New: func() any { return new([]byte) }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		bp := bufs.Get().(*[]byte)
		defer bufs.Put(bp)
		var body []byte
		if n := int(r.ContentLength); n >= 0 {
			if cap(*bp) < n {
				*bp = make([]byte, n)
			}
			body = (*bp)[:n]
			if _, err := io.ReadFull(r.Body, body); err != nil {
				http.Error(w, "short body", http.StatusBadRequest)
				return
			}
		} else { // chunked: grow the pooled buffer
			buf := bytes.NewBuffer((*bp)[:0])
			if _, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1)); err != nil || buf.Len() > limit {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
			body, *bp = buf.Bytes(), buf.Bytes()
		}
		var got, want [sha256.Size]byte
		sig, ok := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=")
		if !ok || len(sig) != 2*sha256.Size {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if _, err := hex.Decode(got[:], []byte(sig)); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mac := macs.Get().(hash.Hash)
		mac.Reset()
		mac.Write(body)
		mac.Sum(want[:0])
		macs.Put(mac)
		if !hmac.Equal(got[:], want[:]) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if keep != nil {
			if err := keep(body); err != nil {
				http.Error(w, "not stored", http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

// startChild starts a reference server that prints "listening ADDR"
// once ready, and returns its URL.
func startChild(cmd *exec.Cmd) (string, int, func(), error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return "", 0, nil, err
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "listening "))
	return "http://" + addr + "/", cmd.Process.Pid, func() { cmd.Process.Kill(); cmd.Wait() }, nil
}

// cpuTime is the user and system CPU time process pid has used, from
// /proc (0 where there is none): a steadier figure than throughput on a
// busy machine.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on Linux.
const clockTicks = 100

func mustExecutable() string {
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return self
}

// startBadgebot runs `badgebot serve` on a SQLite database in dir with
// extra config appended and returns its base URL and process id.
func startBadgebot(bin, dir, logFile, extra string) (string, int, func(), error) {
	return startBadgebotWith(bin, dir, filepath.Join(dir, "keys"), logFile,
		fmt.Sprintf("path = %q\n", filepath.Join(dir, "badgebot.db")), extra)
}

// startBadgebotWith runs `badgebot serve` with its config in dir, the
// given [storage] lines and key_dir, and extra config appended.
func startBadgebotWith(bin, dir, keyDir, logFile, storage, extra string) (string, int, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", 0, nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf(`[server]
listen = %q
public_url = "http://%s"
[storage]
%s[issuer]
name = "Load Test"
url = "https://example.org"
key_dir = %q
[github]
webhook_secret = %q
[[badges]]
slug = "first-pr"
name = "First Pull Request"
description = "Had a first pull request merged."
criteria = "Get one pull request merged."
[[rules]]
name = "first-merged-pr"
badge = "first-pr"
event = "github.pull_request.merged"
`, addr, addr, storage, keyDir, secret) + extra
	cfgPath := filepath.Join(dir, "badgebot.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return "", 0, nil, err
	}
	cmd := exec.Command(bin, "--config", cfgPath, "serve")
	cmd.Stderr = io.Discard
	if logFile != "" {
		f, err := os.Create(logFile)
		if err != nil {
			return "", 0, nil, err
		}
		cmd.Stderr = f
	}
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return "http://" + addr, cmd.Process.Pid, stop, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return "", 0, nil, errors.New("badgebot did not get ready in 30s")
}

// countAwards asks badgebot how many awards its rules made: the
// badgebot_awards{source="rule"} gauge of /metrics (one count query,
// where listing every award cost more than the processing it waited for).
func countAwards(base string) (int, error) {
	c, err := readCounts(base)
	return c.awards, err
}

// counts is what waitAwards reads of badgebot's /metrics.
type counts struct {
	awards     int
	writerBusy float64 // SQLite's writer, seconds; -1 when not exposed (PostgreSQL)
}

func readCounts(base string) (counts, error) {
	c := counts{writerBusy: -1}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("metrics: HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), `badgebot_awards{source="rule"} `); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return c, err
			}
			c.awards = int(f)
		}
		if v, ok := strings.CutPrefix(sc.Text(), "badgebot_storage_writer_busy_seconds_total "); ok {
			if c.writerBusy, err = strconv.ParseFloat(v, 64); err != nil {
				return c, err
			}
		}
	}
	return c, sc.Err() // no award yet: 0
}

// cpuTimes sums the CPU time of processes.
func cpuTimes(pids []int) time.Duration {
	var sum time.Duration
	for _, pid := range pids {
		sum += cpuTime(pid)
	}
	return sum
}
