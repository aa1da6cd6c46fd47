package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const slackSecret = "loadgen-slack-signing-secret"

// fakeSlack answers the Web API calls a slash command makes (users.info
// for the caller's verified e-mail), like Slack's own JSON.
func fakeSlack() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/users.info"):
			u := r.Form.Get("user")
			fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"name":"u%s","profile":{"email":"%s@example.org","display_name":"u%s"}}}`, u, u, strings.ToLower(u), u)
		default:
			io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1700000000.000100"}`)
		}
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/", func() { srv.Close() }, nil
}

// slackLoad sends signed /badge slash commands from senders concurrent
// users for d and reports the latency percentiles.
func slackLoad(bin, logFile string, senders int, d time.Duration) error {
	api, stopAPI, err := fakeSlack()
	if err != nil {
		return err
	}
	defer stopAPI()
	dir, err := os.MkdirTemp("", "loadgen-slack")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	extra := fmt.Sprintf("[slack]\nenabled = true\nbot_token = \"xoxb-loadgen\"\nsigning_secret = %q\napi_url = %q\n", slackSecret, api)
	base, _, stop, err := startBadgebot(bin, dir, logFile, extra)
	if err != nil {
		return err
	}
	defer stop()
	commands := []string{"list", "mine", "leaderboard", "progress", "show first-pr", "help"}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}, Timeout: 10 * time.Second}
	var mu sync.Mutex
	var lat []time.Duration
	errs, n := 0, 0
	firstErr := ""
	stopAt := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for s := range senders {
		wg.Go(func() {
			user := fmt.Sprintf("U%06d", s)
			for i := 0; time.Now().Before(stopAt); i++ {
				form := url.Values{
					"command": {"/badge"}, "text": {commands[i%len(commands)]},
					"user_id": {user}, "user_name": {"u" + user}, "team_id": {"T1"},
					"channel_id": {"C1"}, "response_url": {api + "response"},
					// Slack gives every command its own trigger_id; a request
					// sent twice would be refused as a replay.
					"trigger_id": {fmt.Sprintf("%d.%d", s, i)},
				}
				body := form.Encode()
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				mac := hmac.New(sha256.New, []byte(slackSecret))
				fmt.Fprintf(mac, "v0:%s:%s", ts, body)
				req, _ := http.NewRequest("POST", base+"/slack/commands", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Slack-Request-Timestamp", ts)
				req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
				t0 := time.Now()
				resp, err := client.Do(req)
				el := time.Since(t0)
				ok := err == nil && resp.StatusCode == 200
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				n++
				lat = append(lat, el)
				if !ok {
					errs++
					if firstErr == "" {
						if err != nil {
							firstErr = err.Error()
						} else {
							firstErr = resp.Status
						}
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))].Round(10 * time.Microsecond) }
	fmt.Printf("slash commands: %d senders, %d commands in %s (%.0f/s), errors %d, p50 %s p99 %s max %s\n",
		senders, n, el.Round(time.Millisecond), float64(n)/el.Seconds(), errs, p(0.5), p(0.99), p(1))
	if firstErr != "" {
		fmt.Printf("  first error: %s\n", firstErr)
	}
	return nil
}
