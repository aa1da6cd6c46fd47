package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

// fakeHooks is GitHub's repository webhooks API for one repository, as
// stateful as the real one: it keeps the secret but shows it masked, pages
// its list with a Link header, and answers 404 for other repositories and
// unauthenticated calls, as GitHub does.
type fakeHooks struct {
	mu      sync.Mutex
	hooks   []map[string]any
	secrets map[float64]string
	nextID  float64
	calls   []string
}

func newFakeHooks() *fakeHooks {
	return &fakeHooks{secrets: map[float64]string{}, nextID: 400}
}

func (f *fakeHooks) add(url, contentType string, events ...string) {
	f.nextID++
	f.hooks = append(f.hooks, map[string]any{"type": "Repository", "id": f.nextID, "name": "web", "active": true,
		"events": events, "config": map[string]any{"url": url, "content_type": contentType, "insecure_ssl": "0"}})
}

func (f *fakeHooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	notFound := func() {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/repos/webhooks"}`)
	}
	if r.Header.Get("Authorization") != "Bearer test-token" {
		notFound()
		return
	}
	if r.URL.Path == "/api/v3/user" {
		w.Header().Set("X-OAuth-Scopes", "admin:repo_hook, repo")
		fmt.Fprint(w, `{"login":"octocat","id":1,"type":"User"}`)
		return
	}
	base := "/api/v3/repos/octo/hello/hooks"
	switch {
	case r.Method == "GET" && r.URL.Path == base:
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		per = min(max(per, 1), 2) // small pages, so that paging is exercised
		lo, hi := min((page-1)*per, len(f.hooks)), min(page*per, len(f.hooks))
		if hi < len(f.hooks) {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?page=%d&per_page=%d>; rel="next"`, r.Host, base, page+1, per))
		}
		json.NewEncoder(w).Encode(f.masked(f.hooks[lo:hi]))
	case r.Method == "POST" && r.URL.Path == base:
		var h map[string]any
		if err := json.NewDecoder(r.Body).Decode(&h); err != nil || h["config"] == nil {
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprint(w, `{"message":"Validation Failed"}`)
			return
		}
		f.nextID++
		h["id"], h["type"] = f.nextID, "Repository"
		f.store(h)
		f.hooks = append(f.hooks, h)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(f.masked([]map[string]any{h})[0])
	case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, base+"/"):
		id, _ := strconv.ParseFloat(strings.TrimPrefix(r.URL.Path, base+"/"), 64)
		for _, h := range f.hooks {
			if h["id"] == id {
				var patch map[string]any
				json.NewDecoder(r.Body).Decode(&patch)
				for k, v := range patch {
					h[k] = v
				}
				f.store(h)
				json.NewEncoder(w).Encode(f.masked([]map[string]any{h})[0])
				return
			}
		}
		notFound()
	default:
		notFound()
	}
}

// store moves a hook's secret out of what is shown.
func (f *fakeHooks) store(h map[string]any) {
	cfg := h["config"].(map[string]any)
	if s, ok := cfg["secret"].(string); ok {
		f.secrets[h["id"].(float64)] = s
		delete(cfg, "secret")
	}
}

func (f *fakeHooks) masked(hooks []map[string]any) []map[string]any {
	var out []map[string]any
	for _, h := range hooks {
		c := map[string]any{}
		for k, v := range h {
			c[k] = v
		}
		cfg := map[string]any{}
		for k, v := range h["config"].(map[string]any) {
			cfg[k] = v
		}
		if _, ok := f.secrets[h["id"].(float64)]; ok {
			cfg["secret"] = "********"
		}
		c["config"] = cfg
		out = append(out, c)
	}
	return out
}

func TestEnsureHook(t *testing.T) {
	const url = "https://badges.example.org/webhooks/github"
	fake := newFakeHooks()
	fake.add("https://ci.example.org/hook", "form", "push")
	fake.add("https://chat.example.org/hook", "json", "issues")
	c, _ := newTestClient(t, fake)
	ctx := context.Background()

	res, id, err := c.EnsureHook(ctx, "octo/hello", url, "s3cret")
	if err != nil || res != HookCreated {
		t.Fatalf("first EnsureHook = %q, %v; want created", res, err)
	}
	if fake.secrets[float64(id)] != "s3cret" {
		t.Errorf("secret not set on the new hook")
	}
	h, err := c.FindHook(ctx, "octo/hello", url)
	if err != nil || h == nil {
		t.Fatalf("FindHook = %v, %v", h, err)
	}
	if diff := cmp.Diff(&Hook{ID: id, URL: url, Events: HookEvents, Active: true, JSON: true}, h); diff != "" {
		t.Errorf("hook (-want +got):\n%s", diff)
	}

	// Again, with a new secret: nothing visible changes, the secret does.
	res, id2, err := c.EnsureHook(ctx, "octo/hello", url, "n3w")
	if err != nil || res != HookUpToDate || id2 != id {
		t.Fatalf("second EnsureHook = %q %d, %v; want up to date on %d", res, id2, err, id)
	}
	if fake.secrets[float64(id)] != "n3w" {
		t.Errorf("secret not re-applied")
	}

	// Someone narrowed the events: it is put right.
	fake.hooks[2]["events"] = []string{"push"}
	fake.hooks[2]["config"].(map[string]any)["content_type"] = "form"
	if res, _, err := c.EnsureHook(ctx, "octo/hello", url, "n3w"); err != nil || res != HookUpdated {
		t.Fatalf("EnsureHook on a changed hook = %q, %v; want updated", res, err)
	}
	if h, _ := c.FindHook(ctx, "octo/hello", url); h == nil || !h.JSON || !cmp.Equal(h.Events, HookEvents) {
		t.Errorf("hook after update: %+v", h)
	}
	if len(fake.hooks) != 3 {
		t.Errorf("%d hooks, want 3 (no duplicate)", len(fake.hooks))
	}

	if _, _, err := c.EnsureHook(ctx, "octo/other", url, "x"); bot.ErrorCode(err) != bot.ENOTFOUND || !strings.Contains(err.Error(), "admin:repo_hook") {
		t.Errorf("unknown repository: %v", err)
	}
	if _, _, err := c.EnsureHook(ctx, "octo/../x", url, "x"); bot.ErrorCode(err) != bot.EINVALID {
		t.Errorf("bad repository name: %v", err)
	}
	if h, err := c.FindHook(ctx, "octo/hello", "https://elsewhere.example/webhooks/github"); h != nil || err != nil {
		t.Errorf("FindHook of another URL = %v, %v", h, err)
	}
	login, scopes, err := c.Viewer(ctx)
	if login != "octocat" || scopes != "admin:repo_hook, repo" || err != nil {
		t.Errorf("Viewer = %q %q %v", login, scopes, err)
	}
}
