// Command badgebot is a self-hosted Open Badges issuer that lives in chat:
// members nominate each other in Slack or Discord, GitHub and Bugzilla
// events award badges through rules, and every award is a verifiable
// Open Badge. See DESIGN.md for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Environ: os.Environ()})
	stop()
	os.Exit(code)
}
