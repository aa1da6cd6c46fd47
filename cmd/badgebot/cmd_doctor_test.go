package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// fakeServices answers, in each service's wire format, the calls doctor
// makes: Slack auth.test, Discord's application, GitHub's user and hooks
// and Bugzilla's whoami.
type fakeServices struct {
	mu          sync.Mutex
	slackScopes string
	hookEvents  string // JSON array; empty: no hook
	publicURL   string
}

func (f *fakeServices) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch r.URL.Path {
	case "/slack/auth.test":
		w.Header().Set("X-OAuth-Scopes", f.slackScopes)
		fmt.Fprint(w, `{"ok":true,"url":"https://ex.slack.com/","team":"Example","user":"badgebot","team_id":"T1","user_id":"U1","bot_id":"B1"}`)
	case "/discord/oauth2/applications/@me":
		fmt.Fprintf(w, `{"id":"1012345678901234567","name":"Badges","interactions_endpoint_url":%q}`, f.publicURL+"/discord/interactions")
	case "/github/user":
		fmt.Fprint(w, `{"login":"octocat","id":1}`)
	case "/github/repos/octo/hello/hooks":
		if f.hookEvents == "" {
			fmt.Fprint(w, `[]`)
			return
		}
		fmt.Fprintf(w, `[{"type":"Repository","id":9,"name":"web","active":true,"events":%s,"config":{"url":%q,"content_type":"json","insecure_ssl":"0","secret":"********"}}]`,
			f.hookEvents, f.publicURL+"/webhooks/github")
	case "/bugzilla/rest/whoami":
		fmt.Fprint(w, `{"id":7,"real_name":"Dev","nick":"dev","name":"dev@example.org"}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found"}`)
	}
}

func TestDoctor(t *testing.T) {
	e := newCLI(t)

	// Nothing serves the public URL and nothing outside is configured.
	code, out, _ := e.run("doctor")
	if code != 1 {
		t.Errorf("doctor with nothing serving: exit %d\n%s", code, out)
	}
	for _, want := range []string{"ok    config", "ok    database", "ok    keys", "FAIL  public URL", "is not reachable", "off   slack", "off   discord", "off   github", "off   bugzilla"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}

	ta := startApp(t, func(c *config.Config) {
		c.Storage.Path = filepath.Join(e.dir, "b.db")
		c.Issuer.KeyDir = filepath.Join(e.dir, "keys")
	})
	fake := &fakeServices{slackScopes: "commands,chat:write,im:write,users:read,users:read.email,app_mentions:read",
		hookEvents: `["pull_request","issues","issue_comment","pull_request_review"]`, publicURL: ta.URL}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	e.set(`public_url = "http://127.0.0.1:8080"`, `public_url = "`+ta.URL+`"`)
	e.set("[slack]\nenabled = false\nbot_token = \"\"", "[slack]\nenabled = false\nbot_token = \"xoxb-1\"")
	e.set(`api_url = ""                          # empty: Slack; tests point it at a fake (ends in /)`, `api_url = "`+srv.URL+`/slack/"`)
	e.set("[discord]\nenabled = false\nbot_token = \"\"\napplication_id = \"\"", "[discord]\nenabled = false\nbot_token = \"tok\"\napplication_id = \"1012345678901234567\"")
	e.set(`api_url = ""                          # empty: Discord; tests point it at a fake`, `api_url = "`+srv.URL+`/discord/"`)
	e.set(`token = ""                            # API`, `token = "ghp_test" # API`)
	e.set(`api_url = ""                          # empty: api.github.com; tests point it at a fake`, `api_url = "`+srv.URL+`/github/"`)
	e.set(`repositories = []`, `repositories = ["octo/hello"]`)
	e.set(`url = ""                              # e.g. https://bugzilla.mozilla.org`, `url = "`+srv.URL+`/bugzilla"`)
	e.set("api_key = \"\"", "api_key = \"bz-key\"")

	code, out, errs := e.run("doctor")
	if code != 0 {
		t.Fatalf("doctor with everything right: exit %d %s\n%s", code, errs, out)
	}
	for _, want := range []string{"ok    public URL", "ok    slack      bot badgebot in Example", "ok    discord    application Badges",
		"ok    github     token of octocat", "ok    webhook    octo/hello delivers", "ok    bugzilla", "API key of dev"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "dev@example.org") || strings.Contains(out, "xoxb-1") || strings.Contains(out, "bz-key") {
		t.Errorf("doctor printed an e-mail address or a secret:\n%s", out)
	}

	// Each fault is named with its fix.
	fake.mu.Lock()
	fake.slackScopes = "commands,chat:write"
	fake.hookEvents = ""
	fake.mu.Unlock()
	code, out, _ = e.run("doctor")
	if code != 1 {
		t.Errorf("doctor with faults: exit %d", code)
	}
	for _, want := range []string{"FAIL  slack      bot badgebot in Example lacks scopes app_mentions:read, im:write, users:read, users:read.email",
		"FAIL  webhook    octo/hello has no webhook to " + ta.URL + "/webhooks/github: run `badgebot setup github --repo octo/hello`"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}

	// Another instance behind the public URL is not this one.
	other := startApp(t, nil)
	e.set(`public_url = "`+ta.URL+`"`, `public_url = "`+other.URL+`"`)
	_, out, _ = e.run("doctor")
	if !strings.Contains(out, "FAIL  public URL") || !strings.Contains(out, "does not publish key") {
		t.Errorf("another instance's keys were taken for ours:\n%s", out)
	}

	// A broken config is one FAIL line per problem.
	e.set(`listen = "127.0.0.1:8080"`, `listen = "nowhere"`)
	code, out, _ = e.run("doctor")
	if code != 1 || !strings.Contains(out, "FAIL  config") || !strings.Contains(out, "server.listen") {
		t.Errorf("doctor on a bad config: %d\n%s", code, out)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeLogsChecksAtStart(t *testing.T) {
	e := newCLI(t)
	e.set(`listen = "127.0.0.1:8080"`, `listen = "127.0.0.1:0"`)
	e.set(`public_url = "http://127.0.0.1:8080"`, `public_url = "http://127.0.0.1:1"`) // nothing listens on port 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--config", e.config, "serve"}, &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &logs})
	}()
	giveUp := time.After(time.Minute) // a bound on a hang, not a speed check
	for !strings.Contains(logs.String(), "name=bugzilla") {
		select {
		case <-giveUp:
			t.Fatalf("serve logged no checks:\n%s", logs.String())
		case code := <-done:
			t.Fatalf("serve ended with %d:\n%s", code, logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	<-done
	out := logs.String()
	for _, want := range []string{"level=INFO msg=check name=keys status=ok", "level=WARN msg=check name=\"public URL\" status=FAIL", "name=slack status=off"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve's log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "name=database") {
		t.Errorf("serve checked the database it had just opened:\n%s", out)
	}
}

// TestDoctorDatabaseOnPostgres: with driver = "postgres" the database check
// is of PostgreSQL (migrations, a write), never of a SQLite file at
// storage.path, and a failure names the URL with its password masked.
func TestDoctorDatabaseOnPostgres(t *testing.T) {
	dir := t.TempDir()
	down := config.Config{Storage: config.StorageConfig{Driver: driverPostgres, Path: filepath.Join(dir, "stray.db"),
		URL: config.SecretURL("postgres://badgebot:hunter2secret@127.0.0.1:1/badgebot?connect_timeout=2")}}
	line := (&doctor{cfg: down}).database(t.Context())
	if line.Status != checkFail || strings.Contains(line.Detail, "hunter2secret") || !strings.Contains(line.Detail, "127.0.0.1:1") {
		t.Errorf("unreachable PostgreSQL: %+v; want a failure naming the host, password masked", line)
	}
	if os.Getenv("BADGEBOT_TEST_PG") == "" {
		t.Skip("BADGEBOT_TEST_PG names no PostgreSQL server")
	}
	cfg := config.Config{Storage: testStorage(t, dir)}
	cfg.Storage.Path = filepath.Join(dir, "stray.db")
	if line := (&doctor{cfg: cfg}).database(t.Context()); line.Status != checkOK {
		t.Errorf("PostgreSQL database check: %+v, want ok", line)
	}
	if _, err := os.Stat(cfg.Storage.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the PostgreSQL check touched a SQLite file at storage.path: %v", err)
	}
}
