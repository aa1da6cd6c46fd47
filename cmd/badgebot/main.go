// Command badgebot is a self-hosted Open Badges issuer that lives in chat:
// members nominate each other in Slack or Discord, GitHub and Bugzilla
// events award badges through rules, and every award is a verifiable
// Open Badge. See DESIGN.md for the commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
)

func main() {
	gcDefaults(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := cpuProfile(os.Getenv("BADGEBOT_CPUPROFILE"))
	code := run(ctx, os.Args[1:], &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Environ: os.Environ()})
	stopProfile()
	stop()
	os.Exit(code)
}

// gcDefaults paces the collector where the environment does not (GOGC,
// GOMEMLIMIT). Processing a delivery allocates about 40 KB and keeps
// little of it, so under load the live heap is a few MB, and at GOGC=100
// the collector ran once every 120 awards or so, 9% of the CPU
// (GODEBUG=gctrace=1 over a drain of 30,000 deliveries). GOGC=400 lets
// the heap grow to five times what is live between collections: once
// every 600 awards, 2%. The soft limit keeps a large live heap (a sweep,
// an import) from growing past 128 MiB: the nearer the limit, the more
// often the collector runs.
func gcDefaults(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}

// cpuProfile writes a CPU profile of the whole run to path, when set: how
// the figures of cmd/loadgen are looked into (`go tool pprof`).
func cpuProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "badgebot: BADGEBOT_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
