package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

var clientNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// pullRequest returns the pull request object of a real webhook payload,
// changed to number n by login, updated at updated and merged at merged
// (zero: closed without merging).
func pullRequest(t *testing.T, n int, login string, updated, merged time.Time) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readTestdata(t, "pull_request.closed.merged.json"), &m); err != nil {
		t.Fatal(err)
	}
	pr := m["pull_request"].(map[string]any)
	pr["number"] = n
	pr["html_url"] = "https://github.com/Codertocat/Hello-World/pull/" + strconv.Itoa(n)
	pr["title"] = "Change " + strconv.Itoa(n)
	pr["updated_at"] = updated.Format(time.RFC3339)
	pr["closed_at"] = updated.Format(time.RFC3339)
	pr["merged_at"] = nil
	pr["merged"] = false
	if !merged.IsZero() {
		pr["merged_at"] = merged.Format(time.RFC3339)
		pr["merged"] = true
	}
	user := pr["user"].(map[string]any)
	user["login"] = login
	if login == "renovate[bot]" {
		user["type"] = "Bot"
	}
	return pr
}

func day(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC) }

func newTestClient(t *testing.T, h http.Handler) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := NewClient("test-token", srv.URL+"/api/v3", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return clientNow }
	return c, srv
}

func TestMergedPullRequests(t *testing.T) {
	oct := func(d int) time.Time { return time.Date(2026, 10, d, 10, 0, 0, 0, time.UTC) }
	pages := map[string][]map[string]any{
		"1": {
			pullRequest(t, 10, "Alice", day(20), day(20)),
			pullRequest(t, 9, "carol", day(19), time.Time{}), // closed, not merged
			pullRequest(t, 8, "renovate[bot]", day(18), day(18)),
		},
		"2": {
			pullRequest(t, 7, "dave", day(10), oct(1)), // merged before since, commented on later
			pullRequest(t, 6, "bob", day(6), day(6)),
			pullRequest(t, 5, "erin", oct(30), oct(30)), // updated before since: the end
		},
		"3": {pullRequest(t, 4, "frank", oct(20), oct(20))},
	}
	var requested []string
	var srvURL string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/repos/Codertocat/Hello-World/pulls", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if got := r.Header.Get("Authorization"); got != "Bearer test-token" {
			t.Errorf("Authorization %q", got)
		}
		if q.Get("state") != "closed" || q.Get("sort") != "updated" || q.Get("direction") != "desc" || q.Get("per_page") != "100" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		page := q.Get("page")
		if page == "" {
			page = "1"
		}
		requested = append(requested, page)
		if page != "3" {
			next, _ := strconv.Atoi(page)
			base := srvURL + "/api/v3/repos/Codertocat/Hello-World/pulls?direction=desc&per_page=100&sort=updated&state=closed&page="
			w.Header().Set("Link", fmt.Sprintf(`<%s%d>; rel="next", <%s3>; rel="last"`, base, next+1, base))
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(pages[page])
	})
	c, srv := newTestClient(t, mux)
	srvURL = srv.URL

	got, err := c.MergedPullRequests(context.Background(), "Codertocat/Hello-World", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	event := func(n int, login string, at time.Time) bot.Event {
		return bot.Event{
			Source: bot.PlatformGitHub, Kind: bot.EventPRMerged,
			Key:   "github.com/codertocat/hello-world/pull/" + strconv.Itoa(n),
			Actor: bot.Recipient{Platform: bot.PlatformGitHub, ID: login}, ActorName: map[string]string{"alice": "Alice"}[login],
			Repository: "Codertocat/Hello-World", URL: "https://github.com/Codertocat/Hello-World/pull/" + strconv.Itoa(n),
			Title: "Change " + strconv.Itoa(n), OccurredAt: at, ReceivedAt: clientNow,
		}
	}
	want := []bot.Event{event(10, "alice", day(20)), event(6, "bob", day(6))}
	want[1].ActorName = "bob"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1", "2"}, requested); diff != "" {
		t.Errorf("pages requested (-want +got):\n%s", diff)
	}
}

func TestMergedPullRequestsRefusesBadRepository(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	for _, repo := range []string{"", "nobody", "a/b/c", "../x/y", "a/.. /b"} {
		if _, err := c.MergedPullRequests(context.Background(), repo, clientNow); bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("MergedPullRequests(%q) error %v, want EINVALID", repo, err)
		}
	}
	if calls.Load() != 0 {
		t.Errorf("%d requests sent, want 0", calls.Load())
	}
}

func TestClientRateLimits(t *testing.T) {
	// go-github compares a remembered reset with the real clock.
	reset := time.Now().Add(17 * time.Minute).Truncate(time.Second)
	for _, tc := range []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		wantReset time.Time
	}{
		{"primary", http.StatusForbidden, map[string]string{
			"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Used": "5000",
			"X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10), "X-RateLimit-Resource": "core",
		}, `{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`, reset},
		{"secondary", http.StatusForbidden, map[string]string{"Retry-After": "60"},
			`{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
			clientNow.Add(time.Minute)},
		{"429 with Retry-After", http.StatusTooManyRequests, map[string]string{"Retry-After": "30"},
			`{"message":"Too Many Requests"}`, clientNow.Add(30 * time.Second)},
		{"429 bare", http.StatusTooManyRequests, nil, `{"message":"Too Many Requests"}`, clientNow.Add(time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			for range 2 {
				_, err := c.MergedPullRequests(context.Background(), "Codertocat/Hello-World", clientNow.Add(-time.Hour))
				var rl *RateLimitError
				if !errors.As(err, &rl) {
					t.Fatalf("error %v, want a *RateLimitError", err)
				}
				// A remembered secondary limit counts down on the real clock.
				if d := rl.Reset.Sub(tc.wantReset); d < -2*time.Second || d > 2*time.Second {
					t.Errorf("Reset %v, want %v", rl.Reset, tc.wantReset)
				}
				if _, err := c.ProfileBio(context.Background(), "octocat"); !errors.As(err, &rl) {
					t.Errorf("ProfileBio error %v, want a *RateLimitError", err)
				}
			}
			// Never hammers: go-github remembers 403 limits client-side and
			// sends nothing until they end; a 429 is tried once per call.
			max := int32(4)
			if tc.status == http.StatusForbidden {
				max = 1
			}
			if n := calls.Load(); n > max {
				t.Errorf("%d requests for 4 calls, want at most %d", n, max)
			}
		})
	}
}

func TestClientServerError(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, `{"message":"Server Error"}`, http.StatusBadGateway)
	}))
	_, err := c.MergedPullRequests(context.Background(), "Codertocat/Hello-World", clientNow)
	var rl *RateLimitError
	if err == nil || errors.As(err, &rl) {
		t.Errorf("error %v, want a plain error", err)
	}
	if calls.Load() != 1 {
		t.Errorf("%d requests, want 1 (no retry loop)", calls.Load())
	}
}

func TestProfileBio(t *testing.T) {
	var calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/users/{login}", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.PathValue("login") != "octocat" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/users/users#get-a-user","status":"404"}`)
			return
		}
		_, _ = w.Write(readTestdata(t, "rest/user.octocat.json"))
	})
	c, _ := newTestClient(t, mux)
	bio, err := c.ProfileBio(context.Background(), "octocat")
	if err != nil || bio != "There once was... badgebot:7F3K-Q9PA" {
		t.Errorf("ProfileBio(octocat) = %q, %v", bio, err)
	}
	if _, err := c.ProfileBio(context.Background(), "ghost-of-nobody"); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("ProfileBio(unknown) error %v, want ENOTFOUND", err)
	}
	before := calls.Load()
	if _, err := c.ProfileBio(context.Background(), "../repos/x"); bot.ErrorCode(err) != bot.EINVALID {
		t.Errorf("ProfileBio(path) error %v, want EINVALID", err)
	}
	if calls.Load() != before {
		t.Error("a malformed login reached the server")
	}
}

func TestNewClientRefusesBadURL(t *testing.T) {
	for _, u := range []string{"api.github.com", "ftp://x/", "http://"} {
		if _, err := NewClient("", u, nil); err == nil {
			t.Errorf("NewClient(%q) = nil error", u)
		}
	}
	c, err := NewClient("", "", nil)
	if err != nil || c.gh.BaseURL.String() != "https://api.github.com/" {
		t.Errorf("NewClient default: %v, %v", c, err)
	}
}

// TestRepositories lists an organisation's repositories page by page, and
// a user's when the owner is no organisation (GitHub answers 404 for
// /orgs/{user}/repos).
func TestRepositories(t *testing.T) {
	var srvURL string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/orgs/octo-org/repos", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.URL.Query().Get("per_page") != "100" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		if r.URL.Query().Get("page") == "2" {
			fmt.Fprint(w, `[{"id":3,"name":"docs","full_name":"octo-org/docs","private":false}]`)
			return
		}
		w.Header().Set("Link", fmt.Sprintf(`<%s/api/v3/orgs/octo-org/repos?per_page=100&page=2>; rel="next"`, srvURL))
		fmt.Fprint(w, `[{"id":1,"name":"hello","full_name":"octo-org/hello","private":false},{"id":2,"name":"secret","full_name":"octo-org/secret","private":true}]`)
	})
	mux.HandleFunc("GET /api/v3/orgs/octocat/repos", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/repos/repos#list-organization-repositories","status":"404"}`)
	})
	mux.HandleFunc("GET /api/v3/users/octocat/repos", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprint(w, `[{"id":1296269,"name":"Hello-World","full_name":"octocat/Hello-World","private":false}]`)
	})
	c, srv := newTestClient(t, mux)
	srvURL = srv.URL
	for owner, want := range map[string][]string{
		"octo-org": {"octo-org/hello", "octo-org/secret", "octo-org/docs"},
		"octocat":  {"octocat/Hello-World"},
	} {
		got, err := c.Repositories(context.Background(), owner)
		if err != nil {
			t.Fatalf("Repositories(%s): %v", owner, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Repositories(%s) (-want +got):\n%s", owner, diff)
		}
	}
	if _, err := c.Repositories(context.Background(), "../x"); bot.ErrorCode(err) != bot.EINVALID {
		t.Errorf("a bad owner: %v", err)
	}
	if _, err := c.Repositories(context.Background(), "nobody"); err == nil {
		t.Error("an owner GitHub knows neither as organisation nor as user listed nothing without error")
	}
}

// TestMergedPullRequestsMarksPrivate: a backfill of a private repository
// yields private events without titles, whether the pull request says so
// (base.repo.private) or the repository has to be asked; when it cannot be
// told, the events count as private.
func TestMergedPullRequestsMarksPrivate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		base    func(pr map[string]any) // changes the pull request's base
		repo    string                  // GET /repos/… answer; "" for 500
		private bool
	}{
		{"base repo public", func(map[string]any) {}, `{"private":true}`, false},
		{"base repo private", func(pr map[string]any) {
			pr["base"].(map[string]any)["repo"].(map[string]any)["private"] = true
		}, `{"private":false}`, true},
		{"no base repo, repository private", func(pr map[string]any) { delete(pr["base"].(map[string]any), "repo") }, `{"id":1,"full_name":"Codertocat/Hello-World","private":true}`, true},
		{"no base repo, repository public", func(pr map[string]any) { delete(pr["base"].(map[string]any), "repo") }, `{"id":1,"full_name":"Codertocat/Hello-World","private":false}`, false},
		{"no base repo, repository unknown", func(pr map[string]any) { delete(pr["base"].(map[string]any), "repo") }, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var repoAsked int
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/v3/repos/Codertocat/Hello-World/pulls", func(w http.ResponseWriter, r *http.Request) {
				var prs []map[string]any
				for n := 3; n > 1; n-- {
					pr := pullRequest(t, n, "alice", day(20), day(20))
					tc.base(pr)
					prs = append(prs, pr)
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(prs)
			})
			mux.HandleFunc("GET /api/v3/repos/Codertocat/Hello-World", func(w http.ResponseWriter, r *http.Request) {
				repoAsked++
				if tc.repo == "" {
					http.Error(w, `{"message":"boom"}`, http.StatusInternalServerError)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, tc.repo)
			})
			c, _ := newTestClient(t, mux)
			got, err := c.MergedPullRequests(context.Background(), "Codertocat/Hello-World", day(1))
			if err != nil || len(got) != 2 {
				t.Fatalf("MergedPullRequests: %d events, %v", len(got), err)
			}
			for _, e := range got {
				if e.Private != tc.private || (e.Private && e.Title != "") || (!e.Private && e.Title == "") {
					t.Errorf("event %s: private %v title %q, want private %v", e.Key, e.Private, e.Title, tc.private)
				}
			}
			if repoAsked > 1 {
				t.Errorf("the repository was asked for %d times, want at most once", repoAsked)
			}
		})
	}
}
