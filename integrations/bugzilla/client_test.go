package bugzilla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

const testAPIKey = "xH3uQ9zLr2Vb7Tn4Ws8Kp1Md6Yc5Fg0Ja"

var clientNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func newTestClient(t *testing.T, h http.Handler) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL+"/", testAPIKey, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return clientNow }
	return c
}

func TestFixedBugs(t *testing.T) {
	var all struct {
		Bugs []json.RawMessage `json:"bugs"`
	}
	if err := json.Unmarshal(readTestdata(t, "rest/bug.search.json"), &all); err != nil {
		t.Fatal(err)
	}
	var offsets []string
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/rest/bug" {
			t.Errorf("path %q", r.URL.Path)
		}
		if got := r.Header.Get("X-Bugzilla-Api-Key"); got != testAPIKey {
			t.Errorf("API key header %q", got)
		}
		if strings.Contains(r.URL.String(), testAPIKey) {
			t.Error("the API key is in the URL")
		}
		if q.Get("product") != "Firefox" || q.Get("resolution") != "FIXED" || q.Get("last_change_time") != "2026-11-01T00:00:00Z" ||
			!strings.Contains(q.Get("include_fields"), "assigned_to_detail") || q.Get("limit") != "2" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		offset, _ := strconv.Atoi(q.Get("offset"))
		offsets = append(offsets, q.Get("offset"))
		page := all.Bugs[min(offset, len(all.Bugs)):min(offset+2, len(all.Bugs))]
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_ = json.NewEncoder(w).Encode(map[string]any{"bugs": page})
	}))
	c.pageSize = 2

	got, err := c.FixedBugs(context.Background(), "Firefox", time.Date(2026, 11, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600)).Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ev := func(id int64, who, name, component, title string, private bool, at time.Time) bot.Event {
		return bot.Event{
			Source: bot.PlatformBugzilla, Kind: bot.EventBugFixed, Key: "bugzilla:" + strconv.FormatInt(id, 10) + ":fixed",
			Actor: bot.Recipient{Platform: bot.PlatformBugzilla, ID: who}, ActorName: name,
			Product: "Firefox", Component: component,
			URL:   c.n.BugURL(id),
			Title: title, Private: private, OccurredAt: at, ReceivedAt: clientNow,
		}
	}
	want := []bot.Event{
		ev(1880123, "ada@example.org", "Ada Lovelace [:ada]", "Sync", "Sync engine drops bookmarks with long titles", false,
			time.Date(2026, 11, 20, 16, 2, 33, 0, time.UTC)),
		ev(1880999, "grace@example.org", "Grace Hopper [:grace]", "Security: Sync", "", true,
			time.Date(2026, 11, 22, 9, 12, 0, 0, time.UTC)),
		ev(1881000, "ada@example.org", "Ada Lovelace [:ada]", "Firefox Accounts", "Account menu shows a stale avatar", false,
			time.Date(2026, 11, 23, 12, 30, 45, 0, time.UTC)),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"0", "2", "4"}, offsets); diff != "" {
		t.Errorf("offsets requested (-want +got):\n%s", diff)
	}
}

func TestFixedBugsErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   *UnavailableError // nil: a plain error
		msg    string
	}{
		{name: "rate limited", status: 429, header: map[string]string{"Retry-After": "120"}, body: `{"error":true,"message":"Too many requests"}`,
			want: &UnavailableError{StatusCode: 429, RetryAfter: clientNow.Add(2 * time.Minute)}},
		{name: "rate limited until a date", status: 429, header: map[string]string{"Retry-After": "Thu, 26 Nov 2026 12:30:00 GMT"},
			want: &UnavailableError{StatusCode: 429, RetryAfter: time.Date(2026, 11, 26, 12, 30, 0, 0, time.UTC)}},
		{name: "down", status: 503, body: `<html>Service Unavailable</html>`, want: &UnavailableError{StatusCode: 503}},
		{name: "bad key", status: 400, body: `{"documentation":"https://bmo.readthedocs.io/en/latest/api/","error":true,"code":306,"message":"The API key you specified is invalid. Please check that you typed it correctly."}`,
			msg: "Bugzilla error 306: The API key you specified is invalid"},
		{name: "error with 200", status: 200, body: `{"error":true,"code":51,"message":"There is no component named 'Nope' in the 'Firefox' product."}`,
			msg: "Bugzilla error 51"},
		{name: "not JSON", status: 200, body: `<html>`, msg: "decoding the response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			_, err := c.FixedBugs(context.Background(), "Firefox", clientNow.Add(-24*time.Hour))
			if err == nil {
				t.Fatal("nil error")
			}
			var ue *UnavailableError
			if tc.want != nil {
				if !errors.As(err, &ue) {
					t.Fatalf("error %v, want *UnavailableError", err)
				}
				if diff := cmp.Diff(tc.want, ue); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			} else if errors.As(err, &ue) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want a plain one mentioning %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), testAPIKey) {
				t.Errorf("error shows the API key: %v", err)
			}
			if calls.Load() != 1 {
				t.Errorf("%d requests, want 1 (no retry loop)", calls.Load())
			}
		})
	}
}

func TestFixedBugsNeedsProduct(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("request sent") }))
	if _, err := c.FixedBugs(context.Background(), " ", clientNow); bot.ErrorCode(err) != bot.EINVALID {
		t.Errorf("error %v, want EINVALID", err)
	}
}

func TestNewClientRefusesBadURL(t *testing.T) {
	if _, err := NewClient("bugzilla.mozilla.org", "k", nil); err == nil {
		t.Error("NewClient(no scheme) = nil error")
	}
}
