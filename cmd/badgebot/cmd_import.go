package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/jobs"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

func runImport(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("import", false)
	var dryRun bool
	var maps stringList
	fs.BoolVar(&dryRun, "dry-run", false, "award nothing; list what would be awarded")
	fs.Var(&maps, "map", "TYPE=SLUG: award SLUG for an all-contributors contribution TYPE (repeatable)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("import: want FORMAT FILE, FORMAT all-contributors or csv")
	}
	format, file := pos[0], pos[1]
	if format != "all-contributors" && format != "csv" {
		return usagef("import: unknown format %q: want all-contributors or csv", format)
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return bot.Errorf(bot.EINVALID, "import: %v", err)
	}
	var rows []jobs.ImportRow
	switch format {
	case "all-contributors":
		mapping := cfg.Import.AllContributors.Mapping()
		known := config.ContributionTypes()
		for _, m := range maps {
			typ, slug, ok := strings.Cut(m, "=")
			if !ok || typ == "" || slug == "" {
				return usagef("import: --map %q: want TYPE=SLUG, e.g. code=first-pr", m)
			}
			if !contains(known, typ) {
				return usagef("import: --map %q: %q is not an all-contributors type (%s)", m, typ, strings.Join(known, ", "))
			}
			mapping[typ] = slug
		}
		if len(mapping) == 0 {
			return usagef("import: map contribution types to badges with --map TYPE=SLUG or [import.all_contributors] in the config")
		}
		if rows, err = allContributorsRows(data, mapping); err != nil {
			return err
		}
	case "csv":
		if len(maps) > 0 {
			return usagef("import: --map is for all-contributors; a CSV names its badges")
		}
		if rows, err = csvRows(data); err != nil {
			return err
		}
	}

	app, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer app.Close()
	progress := c.newProgress(len(rows), "importing")
	im := &jobs.Importer{Service: app.Service, Store: app.DB, Log: c.log, Progress: progress.set}
	rep, err := im.Import(ctx, rows, dryRun)
	progress.finish()
	if err != nil {
		return err
	}
	if !dryRun {
		app.DeliverNow(ctx)
	}
	c.printImport(rep, dryRun)
	if len(rep.Failed) > 0 {
		for _, f := range rep.Failed {
			fmt.Fprintf(c.env.Stderr, "badgebot: import: %s\n", oneLine(f))
		}
		return silentError{fmt.Errorf("import: %d rows refused", len(rep.Failed))}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *cli) printImport(rep *jobs.ImportReport, dryRun bool) {
	verb := "awarded"
	if dryRun {
		verb = "would award"
	}
	for _, a := range rep.Awarded {
		if dryRun {
			c.printf("would award %s to %s\n", a.Badge, a.Recipient)
		}
	}
	c.printf("%d rows: %s %d, %d imported before, %d already held, %d refused", rep.Rows, verb, len(rep.Awarded), rep.Imported, rep.Held, len(rep.Failed))
	if rep.Announced > 0 {
		c.printf("; one summary announced to %d %s", rep.Announced, pluralWord(rep.Announced, "channel", "channels"))
	}
	c.printf("\n")
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// allContributorsFile is the part of an .all-contributorsrc that import
// reads.
type allContributorsFile struct {
	ProjectName  string `json:"projectName"`
	ProjectOwner string `json:"projectOwner"`
	RepoType     string `json:"repoType"`
	RepoHost     string `json:"repoHost"`
	Contributors []struct {
		Login         string            `json:"login"`
		Name          string            `json:"name"`
		Contributions []json.RawMessage `json:"contributions"`
	} `json:"contributors"`
}

// allContributorsRows turns each contributor's mapped contribution types
// into rows, evidenced by the repository; row numbers count contributors
// from 1.
func allContributorsRows(data []byte, mapping map[string]string) ([]jobs.ImportRow, error) {
	var f allContributorsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, bot.Errorf(bot.EINVALID, "import: not an .all-contributorsrc: %v", err)
	}
	if f.RepoType != "" && f.RepoType != "github" {
		return nil, bot.Errorf(bot.EINVALID, "import: repoType %q: only GitHub projects are read (their logins are github: recipients)", f.RepoType)
	}
	if !repoPart(f.ProjectOwner) || !repoPart(f.ProjectName) {
		return nil, bot.Errorf(bot.EINVALID, "import: projectOwner and projectName must name the GitHub repository")
	}
	host := strings.TrimRight(f.RepoHost, "/")
	if host == "" {
		host = "https://github.com"
	}
	if u, err := url.Parse(host); err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, bot.Errorf(bot.EINVALID, "import: repoHost %q is not an https URL", f.RepoHost)
	}
	repo := f.ProjectOwner + "/" + f.ProjectName
	repoURL := host + "/" + repo
	var rows []jobs.ImportRow
	for i, ct := range f.Contributors {
		n := i + 1
		if ct.Login == "" {
			rows = append(rows, jobs.ImportRow{Row: n, Err: bot.Errorf(bot.EINVALID, "contributor has no login")})
			continue
		}
		for _, raw := range ct.Contributions {
			typ, link, err := contribution(raw)
			if err != nil {
				rows = append(rows, jobs.ImportRow{Row: n, Err: bot.Errorf(bot.EINVALID, "contributor %s: %v", ct.Login, err)})
				continue
			}
			slug, ok := mapping[typ]
			if !ok {
				continue // a type no badge is mapped to
			}
			ev := []bot.Evidence{{URL: repoURL, Name: repo, Description: typ + " contributions, as listed in the project's all-contributors file"}}
			if link != "" && link != repoURL {
				ev = append(ev, bot.Evidence{URL: link, Name: typ + " contribution"})
			}
			rows = append(rows, jobs.ImportRow{
				Row: n, Badge: slug, To: "github:" + ct.Login, ToName: ct.Name, Evidence: ev,
				Narrative: fmt.Sprintf("Listed for %s contributions to %s.", typ, repo),
				Key:       "all-contributors:" + strings.ToLower(repo) + ":" + strings.ToLower(ct.Login) + ":" + typ,
			})
		}
	}
	return rows, nil
}

// contribution reads one entry of contributions: a type, or an object with
// a type and a URL.
func contribution(raw json.RawMessage) (typ, link string, err error) {
	if err := json.Unmarshal(raw, &typ); err != nil {
		var obj struct {
			Type string `json:"type"`
			URL  string `json:"url"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil || obj.Type == "" {
			return "", "", fmt.Errorf("contribution %s is neither a type nor {\"type\": ...}", truncateText(string(raw), 40))
		}
		typ, link = obj.Type, obj.URL
	}
	if !contains(config.ContributionTypes(), typ) {
		return "", "", fmt.Errorf("%q is not an all-contributors type", typ)
	}
	return typ, link, nil
}

func repoPart(s string) bool {
	return s != "" && len(s) <= 100 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == "" && s != "." && s != ".."
}

func truncateText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// csvColumns are the columns of an import CSV; badge and recipient are
// required.
var csvColumns = []string{"badge", "recipient", "date", "evidence", "narrative"}

// csvRows reads a CSV with a header naming its columns (csvColumns, in any
// order). Row numbers are file lines.
func csvRows(data []byte) ([]jobs.ImportRow, error) {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\ufeff")))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, bot.Errorf(bot.EINVALID, "import: CSV header: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !contains(csvColumns, h) {
			return nil, bot.Errorf(bot.EINVALID, "import: CSV header: unknown column %q (want %s)", h, strings.Join(csvColumns, ","))
		}
		if _, dup := col[h]; dup {
			return nil, bot.Errorf(bot.EINVALID, "import: CSV header: column %q twice", h)
		}
		col[h] = i
	}
	for _, need := range csvColumns[:2] {
		if _, ok := col[need]; !ok {
			return nil, bot.Errorf(bot.EINVALID, "import: CSV header has no %q column (want %s)", need, strings.Join(csvColumns, ","))
		}
	}
	var rows []jobs.ImportRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rows = append(rows, jobs.ImportRow{Row: pe.Line, Err: bot.Errorf(bot.EINVALID, "%v", pe.Err)})
				if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
					continue
				}
			}
			return rows, bot.Errorf(bot.EINVALID, "import: CSV: %v", err)
		}
		rows = append(rows, csvRow(line, rec, col, len(header)))
	}
	return rows, nil
}

func csvRow(line int, rec []string, col map[string]int, width int) jobs.ImportRow {
	row := jobs.ImportRow{Row: line}
	if len(rec) != width {
		row.Err = bot.Errorf(bot.EINVALID, "%d fields, the header has %d", len(rec), width)
		return row
	}
	get := func(name string) string {
		if i, ok := col[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	row.Badge, row.To, row.Narrative = get("badge"), get("recipient"), get("narrative")
	if row.Badge == "" || row.To == "" {
		row.Err = bot.Errorf(bot.EINVALID, "badge and recipient are required")
		return row
	}
	if d := get("date"); d != "" {
		at, err := parseImportDate(d)
		if err != nil {
			row.Err = err
			return row
		}
		row.At = at
	}
	evidence := strings.Fields(get("evidence"))
	for _, u := range evidence {
		row.Evidence = append(row.Evidence, bot.Evidence{URL: u, Name: u})
	}
	sort.Strings(evidence)
	sum := sha256.Sum256([]byte(strings.Join([]string{row.Badge, strings.ToLower(row.To), get("date"), strings.Join(evidence, " ")}, "\x00")))
	row.Key = "csv:" + hex.EncodeToString(sum[:12])
	return row
}

// parseImportDate reads YYYY-MM-DD (midnight UTC) or RFC 3339.
func parseImportDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, bot.Errorf(bot.EINVALID, "date %q: want YYYY-MM-DD or RFC 3339", s)
}
