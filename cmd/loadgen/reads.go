package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// readLoad measures hosted reads: GET /awards/{id} (the OB 2.0 assertion,
// JSON) and /awards/{id}/credential.json from a real server and database,
// over awards made first with the CLI.
func readLoad(bin, logFile string, senders int, d time.Duration) error {
	dir, err := os.MkdirTemp("", "loadgen-reads")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	base, _, stop, err := startBadgebot(bin, dir, logFile, "")
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
	for _, path := range []string{"", "/credential.json"} {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}, Timeout: 10 * time.Second}
		var mu sync.Mutex
		var lat []time.Duration
		errs := 0
		stopAt := time.Now().Add(d)
		start := time.Now()
		var wg sync.WaitGroup
		for s := range senders {
			wg.Go(func() {
				var mine []time.Duration
				bad := 0
				for i := 0; time.Now().Before(stopAt); i++ {
					req, _ := http.NewRequest("GET", base+"/awards/"+ids[(s+i)%len(ids)]+path, nil)
					req.Header.Set("Accept", "application/json")
					t0 := time.Now()
					resp, err := client.Do(req)
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					mine = append(mine, time.Since(t0))
					if err != nil || resp.StatusCode != 200 {
						bad++
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				errs += bad
				mu.Unlock()
			})
		}
		wg.Wait()
		res := &result{accepted: len(lat) - errs, errors: errs, elapsed: time.Since(start), lat: lat}
		slices.Sort(res.lat)
		fmt.Printf("%-34s %7.0f req/s  errors %d  p50 %s  p99 %s\n", "GET /awards/{id}"+path+":", res.rate(), errs,
			res.percentile(0.50), res.percentile(0.99))
	}
	return nil
}
