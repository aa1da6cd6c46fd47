package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/issuer"
)

// errInvalid makes `verify` exit 1 after it printed its report.
var errInvalid = errors.New("not valid")

func runVerify(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("verify", true)
	var offline bool
	var recipient string
	fs.BoolVar(&offline, "offline", false, "fetch nothing; checks that need a document are skipped, and a badge whose other checks pass is VALID (offline) with exit 0")
	fs.StringVar(&recipient, "recipient", "", "check that the badge was issued to this e-mail address or URL")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("verify: want one FILE_OR_URL")
	}
	input, err := readVerifyInput(pos[0])
	if err != nil {
		return err
	}
	opt := issuer.VerifyOptions{Recipient: recipient}
	if !offline {
		opt.Client = &http.Client{Timeout: 15 * time.Second}
	}
	rep, err := issuer.Verify(ctx, input, opt)
	if err != nil {
		return bot.Errorf(bot.EINVALID, "%s: %v", pos[0], err)
	}
	outcome, accepted := verifyOutcome(rep, offline)
	if c.json {
		out := struct {
			Valid   bool   `json:"valid"`
			Outcome string `json:"outcome"`
			*issuer.Report
		}{accepted, outcome, rep}
		if err := c.printJSON(out); err != nil {
			return err
		}
	} else {
		c.printf("%s: Open Badges %s, %s\n", pos[0], strings.ToUpper(rep.Version), rep.Format)
		if rep.Issuer != "" {
			c.printf("issuer: %s\n", rep.Issuer)
		}
		for _, ch := range rep.Checks {
			c.printf("%-7s %-12s %s\n", ch.Status, ch.Name, ch.Message)
		}
		c.printf("%s\n", outcome)
	}
	if !accepted {
		return silentError{errInvalid}
	}
	return nil
}

// verifyOutcome is the last line `verify` prints and whether it exits 0.
// A badge is VALID only when every check was made; a check that could not
// be made (a key, status list or hosted copy that could not be read) is
// named, and exits 1, unless --offline accepts checks skipped for want of
// the network.
func verifyOutcome(rep *issuer.Report, offline bool) (string, bool) {
	if !rep.Valid() {
		return "INVALID", false
	}
	skipped := rep.Skipped()
	if len(skipped) == 0 {
		return "VALID", true
	}
	var names []string
	onlyNetwork := true
	for _, s := range skipped {
		names = append(names, s.Name)
		onlyNetwork = onlyNetwork && s.NeedsNetwork
	}
	list := strings.Join(names, ", ")
	if offline && onlyNetwork {
		return "VALID (offline; not checked: " + list + ")", true
	}
	if offline {
		return "NOT VERIFIED: could not check " + list, false
	}
	return "NOT VERIFIED: could not check " + list + " (--offline accepts checks that need the network)", false
}

// readVerifyInput reads a file, or passes an http(s) URL through for
// Verify to fetch.
func readVerifyInput(arg string) ([]byte, error) {
	if strings.HasPrefix(arg, "https://") || strings.HasPrefix(arg, "http://") {
		return []byte(arg), nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return nil, bot.Errorf(bot.EINVALID, "%s: %v", arg, errors.Unwrap(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, issuer.MaxVerifyInput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", arg, err)
	}
	if len(data) > issuer.MaxVerifyInput {
		return nil, bot.Errorf(bot.EINVALID, "%s: larger than %d bytes", arg, issuer.MaxVerifyInput)
	}
	return data, nil
}

// silentError exits 1 without another message: the command has printed
// what went wrong.
type silentError struct{ error }
