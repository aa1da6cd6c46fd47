package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/storage/postgres"
)

// replica is one `badgebot serve` process of the built binary.
type replica struct {
	name, url, log string
	env            []string
	cmd            *exec.Cmd
}

// start starts the process and waits until it is ready.
func (r *replica) start(bin string) error {
	f, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	r.cmd = exec.Command(bin, "--config", "../../config.example.toml", "serve")
	r.cmd.Env, r.cmd.Stdout, r.cmd.Stderr = r.env, f, f
	if err := r.cmd.Start(); err != nil {
		return err
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		if resp, err := http.Get(r.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not become ready; log:\n%s", r.name, r.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *replica) logText() string {
	b, _ := os.ReadFile(r.log)
	return string(b)
}

// stop ends the process gracefully (SIGTERM) and waits for it.
func (r *replica) stop() {
	if r.cmd != nil && r.cmd.ProcessState == nil {
		r.cmd.Process.Signal(syscall.SIGTERM)
		r.cmd.Wait()
	}
}

// sweeps counts the scheduled sweeps a replica's log records.
func sweeps(log string) int {
	return strings.Count(log, `msg="scheduler: job done" job=sweep`)
}

// TestReplicasOnePostgres runs two `badgebot serve` processes on one
// PostgreSQL database and a fake Slack, sends signed GitHub deliveries to
// both, kills the replica running the scheduled jobs with SIGKILL in the
// middle of it and starts it again. Afterwards every acknowledged delivery
// is exactly one award, every award was announced exactly once, the digest
// was posted once, and the sweeps ran on one replica at a time: the other
// took them over when the first died, and the restarted one ran none.
func TestReplicasOnePostgres(t *testing.T) {
	server := os.Getenv("BADGEBOT_TEST_PG")
	if server == "" {
		t.Skip("BADGEBOT_TEST_PG is not set: no PostgreSQL server for several replicas")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "badgebot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dbURL := tempSchema(t, server)
	api := newFakeChat(t)
	var reps []*replica
	for _, name := range []string{"a", "b"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		reps = append(reps, &replica{name: name, url: "http://" + addr, log: filepath.Join(dir, name+".log"),
			env: append(os.Environ(),
				"BADGEBOT_SERVER_LISTEN="+addr,
				"BADGEBOT_STORAGE_DRIVER=postgres",
				"BADGEBOT_GITHUB_WEBHOOK_SECRET="+testSecret,
				"BADGEBOT_STORAGE_URL="+dbURL,
				"BADGEBOT_ISSUER_KEY_DIR="+filepath.Join(dir, "keys"), // shared by both
				"BADGEBOT_SLACK_ENABLED=true",
				"BADGEBOT_SLACK_BOT_TOKEN=xoxb-test-token",
				"BADGEBOT_SLACK_SIGNING_SECRET="+slackTestSecret,
				"BADGEBOT_SLACK_API_URL="+api.srv.URL+"/slack/",
				"BADGEBOT_SLACK_ANNOUNCE_CHANNEL=C0ANNOUNCE",
				"BADGEBOT_SCHEDULE_SWEEP=@every 1s",
				"BADGEBOT_DIGEST_SCHEDULE=@every 2s", // one period (the week): posted once
				"BADGEBOT_DIGEST_POST_EMPTY=true",
			)})
	}
	for _, r := range reps {
		r.env = append(r.env, "BADGEBOT_SERVER_PUBLIC_URL="+reps[0].url) // one public name
		t.Cleanup(r.stop)
		if err := r.start(bin); err != nil {
			t.Fatal(err)
		}
	}

	// Which replica leads: the one whose log says it runs the jobs.
	var leader, follower *replica
	for deadline := time.Now().Add(30 * time.Second); leader == nil; time.Sleep(50 * time.Millisecond) {
		for i, r := range reps {
			if strings.Contains(r.logText(), "this replica runs the scheduled jobs") {
				leader, follower = r, reps[1-i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no replica took the scheduler's lock")
		}
	}

	// The load: merged pull requests of distinct authors, each worth one
	// first-pr award, to both replicas. A delivery not acknowledged (the
	// replica was killed under it) is sent to the other, as GitHub
	// redelivers.
	tmpl := githubPayload(t, "pull_request.closed.merged.json")
	const n = 450
	var (
		mu    sync.Mutex
		acked = map[string]bool{} // logins whose delivery was acknowledged
		next  int
	)
	send := func(i int) {
		login := fmt.Sprintf("user-%d", i)
		body := bytes.ReplaceAll(tmpl, []byte(`"login": "Codertocat"`), []byte(`"login": "`+login+`"`))
		body = bytes.ReplaceAll(body, []byte(`"number": 2,`), []byte(`"number": `+strconv.Itoa(1000+i)+`,`))
		body = bytes.ReplaceAll(body, []byte(`/pull/2`), []byte(`/pull/`+strconv.Itoa(1000+i)))
		for try := 0; try < 50; try++ {
			r := reps[(i+try)%2]
			if code, err := deliverGitHub(r.url, fmt.Sprintf("delivery-%d", i), body); err == nil && code/100 == 2 {
				mu.Lock()
				acked[login] = true
				mu.Unlock()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("delivery %d acknowledged by neither replica", i)
	}
	var killOnce, restartOnce sync.Once
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				if i == n/3 {
					killOnce.Do(func() {
						// Until now only the leader swept.
						if got := sweeps(follower.logText()); got != 0 {
							t.Errorf("the follower swept %d times while the leader lived; log:\n%s", got, follower.logText())
						}
						if err := leader.cmd.Process.Kill(); err != nil { // SIGKILL
							t.Error(err)
						}
						leader.cmd.Wait()
					})
				}
				if i == 2*n/3 {
					restartOnce.Do(func() {
						// The follower takes the jobs over before the dead
						// one comes back.
						for deadline := time.Now().Add(30 * time.Second); !strings.Contains(follower.logText(), "this replica runs the scheduled jobs"); time.Sleep(20 * time.Millisecond) {
							if time.Now().After(deadline) {
								t.Error("the follower did not take the scheduler's lock over")
								break
							}
						}
						leader.log = filepath.Join(dir, leader.name+"-restarted.log")
						if err := leader.start(bin); err != nil {
							t.Error(err)
						}
					})
				}
				send(i)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Every acknowledged delivery ends as exactly one award.
	db, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var awards []*bot.Award
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if awards, err = db.Awards(context.Background(), bot.AwardFilter{Badge: "first-pr"}); err != nil {
			t.Fatal(err)
		}
		if len(awards) >= len(acked) || time.Now().After(deadline) {
			break
		}
	}
	held := map[string]int{}
	for _, a := range awards {
		held[a.Recipient.ID]++
	}
	for login := range acked {
		if held[login] != 1 {
			t.Errorf("%s holds %d first-pr awards, want 1", login, held[login])
		}
	}
	if len(awards) != len(acked) {
		t.Errorf("%d awards for %d acknowledged deliveries", len(awards), len(acked))
	}

	// Every award is announced once, and the digest once.
	mention := regexp.MustCompile(`user-[0-9]+\b`)
	announced := func() (map[string]int, int) {
		per, digests := map[string]int{}, 0
		for _, p := range api.to("C0ANNOUNCE") {
			if strings.HasPrefix(fmt.Sprint(p.Body["text"]), "Weekly badge digest") {
				digests++
				continue
			}
			seen := map[string]bool{}
			for _, m := range mention.FindAllString(fmt.Sprint(p.Body), -1) {
				seen[m] = true
			}
			for m := range seen {
				per[m]++
			}
		}
		return per, digests
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		per, digests := announced()
		if (len(per) >= len(awards) && digests >= 1) || time.Now().After(deadline) {
			break
		}
	}
	// A few more scheduled runs on the new leader, to catch a second
	// digest or a repeated announcement.
	time.Sleep(3 * time.Second)
	per, digests := announced()
	for login := range acked {
		if per[login] != 1 {
			t.Errorf("%s's award announced %d times, want once", login, per[login])
		}
	}
	if digests != 1 {
		t.Errorf("%d digests posted, want 1", digests)
	}

	// The follower took the sweeps over; the restarted replica ran none.
	if sweeps(follower.logText()) == 0 {
		t.Errorf("the follower never swept after the leader died; log:\n%s", follower.logText())
	}
	if got := sweeps(leader.logText()); got != 0 {
		t.Errorf("the restarted replica swept %d times beside the new leader", got)
	}
}

// deliverGitHub posts a signed GitHub delivery and returns the status.
func deliverGitHub(base, delivery string, body []byte) (int, error) {
	req, err := http.NewRequest("POST", base+"/webhooks/github", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
