package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows how far long work (import, backfill, rules run) has got:
// a bar with counts and rate on a terminal, a plain line at each tenth
// elsewhere (a log, a pipe, CI). It writes to stderr, so that stdout keeps
// only the command's result. A nil *progress shows nothing.
type progress struct {
	bar   *progressbar.ProgressBar // on a terminal
	w     io.Writer                // plain lines otherwise
	what  string
	total int
	shown int // tenths printed
	done  int
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// newProgress returns a progress over total steps, described by what.
func (c *cli) newProgress(total int, what string) *progress {
	p := &progress{w: c.env.Stderr, what: what, total: total}
	if isTerminal(c.env.Stderr) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(c.env.Stderr),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("rows"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// set records that done of total steps are done (total may grow, as a
// backfill learns how much there is).
func (p *progress) set(done, total int) {
	if p == nil {
		return
	}
	p.done = done
	if total != p.total {
		p.total = total
		if p.bar != nil {
			p.bar.ChangeMax(total)
		}
	}
	if p.bar != nil {
		_ = p.bar.Set(done)
		return
	}
	if p.total <= 0 {
		return
	}
	if tenth := done * 10 / p.total; tenth > p.shown {
		p.shown = tenth
		fmt.Fprintf(p.w, "%s: %d/%d\n", p.what, done, p.total)
	}
}

// finish ends the bar (the plain lines need no ending).
func (p *progress) finish() {
	if p != nil && p.bar != nil {
		_ = p.bar.Finish()
	}
}
