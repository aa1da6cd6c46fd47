package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// ImportRow is one award to bring in from a community's history (an
// .all-contributorsrc entry, a CSV row).
type ImportRow struct {
	Row       int // where it came from, for messages: the file line
	Badge     string
	To        string // RECIPIENT as PLATFORM:ID, parsed by the importer
	ToName    string
	At        time.Time // zero: now
	Evidence  []bot.Evidence
	Narrative string
	// Key names the row the same way on every run, so that a re-import is
	// recognised: it becomes the award's SourceRef.
	Key string
	// Err is set when the row could not be read; the importer reports it.
	Err error
}

// RowError is a row the importer refused, with why.
type RowError struct {
	Row int
	Err error
}

// Error names the row.
func (e RowError) Error() string { return fmt.Sprintf("row %d: %s", e.Row, bot.ErrorMessage(e.Err)) }

// ImportReport says what an import did (or, dry, would do).
type ImportReport struct {
	Rows      int
	Awarded   []*bot.Award // awarded now, or that would be with DryRun
	Imported  int          // rows imported by an earlier run
	Held      int          // rows whose person already holds the (not repeatable) badge
	Failed    []RowError
	Announced int // summary announcements queued
}

// Importer turns rows of a community's history into awards: each row once
// (its Key is the award's SourceRef, so a second run awards nothing new),
// bad rows refused with their number while the good ones are imported,
// and one summary announced instead of a post per award.
type Importer struct {
	Service *bot.Service
	Store   bot.ImportStore
	Log     *slog.Logger
	// Progress, when set, is told after each row.
	Progress func(done, total int)
}

// Import imports rows; with dryRun it changes nothing and reports what it
// would award. The error is for the store failing; bad rows are in the
// report.
func (im *Importer) Import(ctx context.Context, rows []ImportRow, dryRun bool) (*ImportReport, error) {
	rep := &ImportReport{Rows: len(rows)}
	seen := map[string]bool{} // keys of this run, for dry runs and duplicate rows
	for i, row := range rows {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if err := im.one(ctx, row, dryRun, seen, rep); err != nil {
			if bot.ErrorCode(err) == bot.EINTERNAL {
				return rep, err
			}
			rep.Failed = append(rep.Failed, RowError{Row: row.Row, Err: err})
		}
		if im.Progress != nil {
			im.Progress(i+1, len(rows))
		}
	}
	if dryRun || len(rep.Awarded) == 0 {
		return rep, nil
	}
	lead := fmt.Sprintf("%d %s from the community's history %s imported:", len(rep.Awarded),
		bot.Plural(len(rep.Awarded), "award", "awards"), bot.Plural(len(rep.Awarded), "was", "were"))
	out, err := awardsSummary(ctx, im.Service, "Badges for earlier contributions", lead, rep.Awarded)
	if err != nil || len(out) == 0 {
		return rep, err
	}
	if err := im.Store.Enqueue(ctx, out); err != nil {
		return rep, err
	}
	rep.Announced = len(out)
	return rep, nil
}

// one imports a row. A user error is the row's fault; anything else stops
// the import.
func (im *Importer) one(ctx context.Context, row ImportRow, dryRun bool, seen map[string]bool, rep *ImportReport) error {
	if row.Err != nil {
		return row.Err
	}
	to, err := bot.ParseRecipient(row.To)
	if err != nil {
		return err
	}
	if strings.TrimSpace(row.Key) == "" {
		return bot.Errorf(bot.EINTERNAL, "import: row %d has no key", row.Row)
	}
	if row.At.After(im.now()) {
		return bot.Errorf(bot.EINVALID, "date %s is in the future", row.At.Format(time.DateOnly))
	}
	req := bot.AwardRequest{Badge: row.Badge, To: to, ToName: row.ToName, Evidence: row.Evidence, Narrative: row.Narrative,
		Source: bot.SourceImport, SourceRef: row.Key, By: "import", At: row.At}
	if err := req.Validate(); err != nil {
		return err
	}
	badge, err := im.Service.Store.Badge(ctx, row.Badge)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return bot.Errorf(bot.EINVALID, "no badge %q (see `badgebot badge list`)", row.Badge)
	}
	if err != nil {
		return err
	}
	if seen[row.Key] {
		rep.Imported++
		return nil
	}
	seen[row.Key] = true
	held, err := im.Service.Store.Awards(ctx, bot.AwardFilter{Badge: badge.Slug, Recipient: to})
	if err != nil && bot.ErrorCode(err) != bot.ENOTFOUND {
		return err
	}
	for _, a := range held {
		if a.Source == bot.SourceImport && a.SourceRef == row.Key {
			rep.Imported++
			return nil
		}
	}
	if !badge.Repeatable {
		for _, a := range held {
			if !a.Revoked {
				rep.Held++
				return nil
			}
		}
	}
	if dryRun {
		rep.Awarded = append(rep.Awarded, &bot.Award{Badge: badge.Slug, Recipient: to, IssuedAt: row.At, Source: bot.SourceImport, SourceRef: row.Key})
		return nil
	}
	a, err := im.Service.AwardQuietly(ctx, req)
	if bot.ErrorCode(err) == bot.ECONFLICT {
		rep.Held++ // awarded meanwhile
		return nil
	}
	if err != nil {
		return err
	}
	rep.Awarded = append(rep.Awarded, a)
	return nil
}

func (im *Importer) now() time.Time {
	if im.Service.Now != nil {
		return im.Service.Now().UTC()
	}
	return time.Now().UTC()
}
