package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// fakeGitHubUsers serves GET /users/{login} as GitHub does, from the real
// user document with the bio the test sets; unknown logins get GitHub's
// 404 body.
type fakeGitHubUsers struct {
	t     *testing.T
	mu    sync.Mutex
	bio   map[string]string // login → bio
	calls int
	auth  string
}

func newFakeGitHubUsers(t *testing.T) (*fakeGitHubUsers, *httptest.Server) {
	t.Helper()
	doc, err := os.ReadFile("../../integrations/github/testdata/rest/user.octocat.json")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeGitHubUsers{t: t, bio: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{login}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls++
		f.auth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.PathValue("login") == "busy-cat" { // GitHub's primary rate limit
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", fmt.Sprint(time.Now().Add(time.Hour).Unix()))
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`)
			return
		}
		bio, ok := f.bio[strings.ToLower(r.PathValue("login"))]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/users/users#get-a-user","status":"404"}`)
			return
		}
		var user map[string]any
		if err := json.Unmarshal(doc, &user); err != nil {
			t.Error(err)
		}
		user["login"], user["bio"] = r.PathValue("login"), bio
		json.NewEncoder(w).Encode(user)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeGitHubUsers) setBio(login, bio string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bio[login] = bio
}

func (f *fakeGitHubUsers) reads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

var linkCodeRE = regexp.MustCompile(`badgebot-link-[a-z2-7]{10}`)

// TestLinkGitHubByProfileBio: after `link github LOGIN`, the one-time code
// in the login's public bio, read through the GitHub API when the user
// types the command again, links the login; someone else's code there
// links nothing for the caller.
func TestLinkGitHubByProfileBio(t *testing.T) {
	gh, srv := newFakeGitHubUsers(t)
	app := startApp(t, func(c *config.Config) {
		c.GitHub.APIURL = config.SecretURL(srv.URL + "/")
		c.GitHub.Token = "ghp_test-token"
	})
	clock := time.Now()
	app.Linker.Now = func() time.Time { return clock }
	gh.setBio("octocat", "Just a cat.")

	// An award to the login before the link joins Ada when it is proven.
	if _, err := app.Service.Award(t.Context(), bot.AwardRequest{Badge: "first-pr", To: bot.Recipient{Platform: bot.PlatformGitHub, ID: "octocat"},
		Source: bot.SourceManual, Narrative: "First PR."}); err != nil {
		t.Fatal(err)
	}

	first := slackCmd(t, app, "U0ADA", "Ada", "link github octocat")
	code := linkCodeRE.FindString(first)
	if code == "" || !strings.Contains(first, "profile bio") {
		t.Fatalf("first link: %q, want a code and the bio option", first)
	}
	if gh.reads() != 0 {
		t.Errorf("the first link read GitHub %d times; it has nothing to look for yet", gh.reads())
	}

	// Mallory asks for the same login; her code is not in the bio.
	malloryCode := linkCodeRE.FindString(slackCmd(t, app, "U0MALLORY", "Mallory", "link github octocat"))

	if got := slackCmd(t, app, "U0ADA", "Ada", "link github octocat"); !strings.Contains(got, "does not show `"+code+"` yet") {
		t.Errorf("link with the code not in the bio yet: %q", got)
	}
	if got := slackCmd(t, app, "U0ADA", "Ada", "link github octocat"); !strings.Contains(got, "a moment ago") {
		t.Errorf("an immediate re-check: %q, want to be told to wait", got)
	}
	if gh.reads() != 1 || gh.auth != "Bearer ghp_test-token" {
		t.Errorf("GitHub read %d times with %q, want once with the configured token", gh.reads(), gh.auth)
	}

	clock = clock.Add(time.Minute)
	gh.setBio("octocat", "Cat. "+code)
	if got := slackCmd(t, app, "U0MALLORY", "Mallory", "link github octocat"); !strings.Contains(got, "does not show `"+malloryCode+"`") {
		t.Errorf("Mallory's re-check with Ada's code in the bio: %q, want not linked", got)
	}
	if got := slackCmd(t, app, "U0ADA", "Ada", "link github octocat"); !strings.Contains(got, "Linked github:octocat to you") {
		t.Fatalf("link with the code in the bio: %q", got)
	}
	if as := awardsOf(t, app, "slack:U0ADA"); len(as) != 1 || as[0].Recipient.String() != "github:octocat" {
		t.Errorf("Ada's awards after the link: %+v, want the login's", as)
	}
	if as := awardsOf(t, app, "slack:U0MALLORY"); len(as) != 0 {
		t.Errorf("Mallory got %d awards", len(as))
	}
	trail, err := app.DB.Audit(t.Context(), bot.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	last := trail[len(trail)-1]
	if last.Action != bot.AuditLink || last.By != "slack:U0ADA" || last.Via != bot.ViaGitHubBio || !strings.Contains(last.Subject, "github:octocat") {
		t.Errorf("audit of the link: %+v", last)
	}
	if got := slackCmd(t, app, "U0ADA", "Ada", "link github octocat"); !strings.Contains(got, "linked to you already") {
		t.Errorf("link once linked: %q", got)
	}

	// A login GitHub does not know.
	slackCmd(t, app, "U0BOB", "Bob", "link github no-such-cat")
	if got := slackCmd(t, app, "U0BOB", "Bob", "link github no-such-cat"); !strings.Contains(got, `GitHub has no user "no-such-cat"`) {
		t.Errorf("unknown login: %q", got)
	}
	// GitHub's rate limit: said so, nothing linked.
	slackCmd(t, app, "U0BOB", "Bob", "link github busy-cat")
	if got := slackCmd(t, app, "U0BOB", "Bob", "link github busy-cat"); !strings.Contains(got, "GitHub is not answering me right now") {
		t.Errorf("rate-limited: %q", got)
	}
}
