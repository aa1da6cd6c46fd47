package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser test loads every public page in Debian's chromium, headless,
// at a phone's and a desktop's width: it checks the rendered text, that no
// request leaves for another host, keeps a screenshot of each page, and
// runs axe-core (testdata/axe, pinned by its package-lock.json) asserting
// no serious or critical accessibility violation. It skips when chromium
// or axe-core is missing, and fails instead when BROWSER_TESTS_REQUIRED=1
// (as .ci/run sets). Screenshots go to $BROWSER_ARTIFACTS, by default
// .artifacts/browser at the repository root.

const chromiumPath = "/usr/bin/chromium"

func browserPrereqs(t *testing.T) (chromium string, axe []byte) {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("BROWSER_TESTS_REQUIRED") == "1" {
			t.Fatalf("BROWSER_TESTS_REQUIRED=1 but %s", what)
		}
		t.Skipf("browser test skipped: %s (see .ci/run)", what)
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing(chromiumPath + " is missing: apt-get install -y chromium")
	}
	axe, err := os.ReadFile("testdata/axe/node_modules/axe-core/axe.min.js")
	if err != nil {
		missing("axe-core is not installed: (cd cmd/badgebot/testdata/axe && npm ci)")
	}
	return chromiumPath, axe
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  int    `json:"nodes"`
	Target string `json:"target"`
}

func TestBrowserPages(t *testing.T) {
	chromium, axe := browserPrereqs(t)
	f := startPublic(t)
	artifacts := os.Getenv("BROWSER_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join("..", "..", ".artifacts", "browser")
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := url.Parse(f.URL)
	if err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(profileDir(t)),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	// This chromium reports address spaces the pinned cdproto does not
	// know ("Loopback"); those events are not the ones the test reads.
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "IPAddressSpace") {
			t.Logf("chromedp: %s", msg)
		}
	}))
	defer cancel()

	var mu sync.Mutex
	var foreign []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			u, err := url.Parse(e.Request.URL)
			if err != nil || (u.Scheme != "data" && u.Host != self.Host) {
				mu.Lock()
				foreign = append(foreign, e.Request.URL)
				mu.Unlock()
			}
		}
	})
	if err := chromedp.Run(ctx, network.Enable(), page.SetBypassCSP(true)); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}

	pages := []struct {
		name, path string
		want       []string
	}{
		{"home", "/", []string{"Recent awards", "Popular badges", "alice"}},
		{"badges", "/badges", []string{"Badges", "First Pull Request"}},
		{"badge", "/badges/first-pr", []string{"How to earn it", "Awarded automatically after 3 merged pull requests", "Nominate someone", "Earned by"}},
		{"award", "/awards/" + f.aliceAward, []string{"Valid.", "First Pull Request", "Add to LinkedIn", "Copy link", "Credential (JSON)"}},
		{"award-revoked", "/awards/" + f.carolAward, []string{"this badge was revoked", "Awarded by mistake"}},
		{"person", "/people/alice", []string{"alice", "First Pull Request"}},
		{"leaderboard", "/leaderboard", []string{"Leaderboard", "alice"}},
		{"issuer", "/issuer", []string{"For verifiers"}},
		{"not-found", "/no/such/page", []string{"Page not found"}},
	}
	widths := []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}}

	for _, p := range pages {
		for _, w := range widths {
			t.Run(p.name+"/"+w.name, func(t *testing.T) {
				var text string
				var shot []byte
				var found string
				var loaded []string
				var rules int
				err := chromedp.Run(ctx,
					chromedp.EmulateViewport(w.width, w.height, func(d *emulation.SetDeviceMetricsOverrideParams, touch *emulation.SetTouchEmulationEnabledParams) {
						d.Mobile, touch.Enabled = w.mobile, w.mobile
					}),
					chromedp.Navigate(f.URL+p.path),
					chromedp.WaitReady("main"),
					chromedp.Text("body", &text, chromedp.ByQuery),
					chromedp.FullScreenshot(&shot, 85),
					chromedp.Evaluate(`performance.getEntries().map(e => e.name).filter(n => n.includes(":"))`, &loaded),
					// The linked style sheet loaded and applies (the page's
					// content policy allows it).
					chromedp.Evaluate(`Array.from(document.styleSheets).filter(s => s.href).reduce((n, s) => n + s.cssRules.length, 0)`, &rules),
					chromedp.Evaluate(string(axe), nil),
					chromedp.Evaluate(`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
						r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.length,
							target: v.nodes.map(n => n.target.join(" ")).join(", ")}))))`,
						&found, func(ep *runtime.EvaluateParams) *runtime.EvaluateParams { return ep.WithAwaitPromise(true) }),
				)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(artifacts, p.name+"-"+w.name+".jpg"), shot, 0o644); err != nil {
					t.Error(err)
				}
				if rules < 20 {
					t.Errorf("the style sheet did not load: %d rules", rules)
				}
				for _, want := range p.want {
					if !strings.Contains(text, want) {
						t.Errorf("rendered text lacks %q", want)
					}
				}
				for _, l := range loaded {
					if u, err := url.Parse(l); err != nil || (u.Scheme != "data" && u.Host != self.Host) {
						t.Errorf("the page loaded %s from another host", l)
					}
				}
				var vs []axeViolation
				if err := json.Unmarshal([]byte(found), &vs); err != nil {
					t.Fatalf("axe result %q: %v", found, err)
				}
				for _, v := range vs {
					if v.Impact == "serious" || v.Impact == "critical" {
						t.Errorf("axe %s (%s): %s, on %s", v.ID, v.Impact, v.Help, v.Target)
					} else {
						t.Logf("axe %s (%s): %s", v.ID, v.Impact, v.Help)
					}
				}
			})
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(foreign) > 0 {
		t.Errorf("requests left for other hosts: %v", foreign)
	}
}

// profileDir is a browser profile directory removed after the test. Chromium's
// helper processes may still be writing their cache for a moment after the
// browser was stopped, so removal is retried instead of failing the test
// the way t.TempDir's cleanup does.
func profileDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "badgebot-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var err error
		for range 50 {
			if err = os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("browser profile %s left behind: %v", dir, err)
	})
	return dir
}
