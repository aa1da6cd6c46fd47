package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
)

// set replaces the first old in the test config with new.
func (e *cliEnv) set(old, new string) {
	e.t.Helper()
	data, err := os.ReadFile(e.config)
	if err != nil {
		e.t.Fatal(err)
	}
	s := strings.Replace(string(data), old, new, 1)
	if s == string(data) {
		e.t.Fatalf("config has no %q", old)
	}
	if err := os.WriteFile(e.config, []byte(s), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func TestSetupSlackPrintsManifest(t *testing.T) {
	e := newCLI(t)
	if code, _, errs := e.run("setup", "slack"); code != 1 || !strings.Contains(errs, "https") {
		t.Errorf("setup slack on http: %d %q", code, errs)
	}
	e.set(`public_url = "http://127.0.0.1:8080"`, `public_url = "https://badges.example.org"`)
	code, out, errs := e.run("setup", "slack")
	if code != 0 {
		t.Fatalf("setup slack: %d %s", code, errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, want := range []string{`"https://badges.example.org/slack/commands"`, `"https://badges.example.org/slack/interactions"`, `"/badge"`, `"users:read.email"`} {
		if !strings.Contains(out, want) {
			t.Errorf("manifest lacks %s", want)
		}
	}
	e.set(`app_token = ""`, `app_token = "xapp-1-test"`)
	_, out, _ = e.run("setup", "slack")
	if !strings.Contains(out, `"socket_mode_enabled": true`) || strings.Contains(out, "/slack/commands") {
		t.Errorf("Socket Mode manifest:\n%s", out)
	}
}

// fakeGitHubHooks answers GitHub's hooks list and create for octo/hello.
type fakeGitHubHooks struct {
	mu    sync.Mutex
	hooks []map[string]any
}

func (f *fakeGitHubHooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if r.Header.Get("Authorization") != "Bearer ghp_test" || !strings.HasPrefix(r.URL.Path, "/repos/octo/hello/hooks") {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found"}`)
		return
	}
	switch r.Method {
	case "GET":
		json.NewEncoder(w).Encode(f.hooks)
	case "POST", "PATCH":
		var h map[string]any
		json.NewDecoder(r.Body).Decode(&h)
		h["id"] = 77
		h["config"].(map[string]any)["secret"] = "********"
		f.hooks = []map[string]any{h}
		if r.Method == "POST" {
			w.WriteHeader(http.StatusCreated)
		}
		json.NewEncoder(w).Encode(h)
	}
}

func TestSetupGitHubCreatesThenKeepsTheHook(t *testing.T) {
	fake := &fakeGitHubHooks{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	e := newCLI(t)
	if code, _, errs := e.run("setup", "github", "--repo", "octo/hello"); code != 1 || !strings.Contains(errs, "github.token") {
		t.Errorf("without a token: %d %q", code, errs)
	}
	e.set(`token = ""                            # API`, `token = "ghp_test" # API`)
	e.set(`webhook_secret = ""`, `webhook_secret = "a-webhook-secret-for-the-test"`)
	e.set(`api_url = ""                          # empty: api.github.com; tests point it at a fake`, `api_url = "`+srv.URL+`"`)
	code, out, errs := e.run("setup", "github", "--repo", "octo/hello")
	if code != 0 || !strings.Contains(out, "octo/hello: webhook 77 created: http://127.0.0.1:8080/webhooks/github") ||
		!strings.Contains(out, "issue_comment, issues, pull_request, pull_request_review") {
		t.Fatalf("setup github: %d %q %q", code, out, errs)
	}
	if strings.Contains(out, "a-webhook-secret-for-the-test") {
		t.Error("the secret was printed")
	}
	code, out, _ = e.run("setup", "github", "--repo", "octo/hello")
	if code != 0 || !strings.Contains(out, "webhook 77 already up to date") {
		t.Errorf("second setup github: %d %q", code, out)
	}
	code, out, _ = e.run("setup", "github", "--repo", "octo/gone", "--repo", "octo/hello")
	if code != 1 || !strings.Contains(out, "octo/gone: failed") || !strings.Contains(out, "octo/hello: webhook 77") {
		t.Errorf("one repository failing: %d %q", code, out)
	}
}
