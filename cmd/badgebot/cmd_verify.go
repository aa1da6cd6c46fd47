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
	fs.BoolVar(&offline, "offline", false, "fetch nothing; checks that need a document are skipped")
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
	if c.json {
		out := struct {
			Valid bool `json:"valid"`
			*issuer.Report
		}{rep.Valid(), rep}
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
		if rep.Valid() {
			c.printf("VALID\n")
		} else {
			c.printf("INVALID\n")
		}
	}
	if !rep.Valid() {
		return silentError{errInvalid}
	}
	return nil
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
