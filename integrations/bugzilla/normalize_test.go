package bugzilla

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/internal/golden"
	"github.com/google/go-cmp/cmp"
)

var testReceived = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func testNormalizer(t testing.TB) *Normalizer {
	t.Helper()
	n, err := NewNormalizer("https://bugzilla.example.org/")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// delivery wraps a testdata payload the way the handler stores it.
func delivery(t testing.TB, body []byte) bot.WebhookDelivery {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	id, rk, reason := deliveryID(&env)
	if reason != "" {
		t.Fatal(reason)
	}
	return bot.WebhookDelivery{Source: bot.PlatformBugzilla, ID: id, Type: rk, Body: body, ReceivedAt: testReceived}
}

func payloadFiles(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no payloads in testdata: %v", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

// normalized is what a payload normalises to.
type normalized struct {
	Events []bot.Event
	Proof  *LinkProof
}

func TestNormalizeGolden(t *testing.T) {
	n := testNormalizer(t)
	for _, file := range payloadFiles(t) {
		t.Run(file, func(t *testing.T) {
			d := delivery(t, readTestdata(t, file))
			var res normalized
			var err error
			if res.Events, err = n.Normalize(d); err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			proof, ok, err := n.Proof(d)
			if err != nil {
				t.Fatalf("Proof: %v", err)
			}
			if ok {
				res.Proof = &proof
			}
			got, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden.Check(t, filepath.Join("testdata", "golden", strings.TrimSuffix(file, ".json")+".golden.json"), got)
		})
	}
}

func edit(t *testing.T, file string, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readTestdata(t, file), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

func TestNormalizeCases(t *testing.T) {
	const fixed, review, create = "bug.modify.fixed.json", "attachment.modify.review.json", "bug.create.json"
	for _, tc := range []struct {
		name, file  string
		edit        func(m map[string]any)
		wantActors  []string
		wantPrivate bool
		wantErr     string
	}{
		{name: "fixed credits the assignee", file: fixed, wantActors: []string{"bugzilla:ada@example.org"}},
		{name: "fixed by the nobody placeholder", file: fixed,
			edit: func(m map[string]any) { obj(m, "bug", "assigned_to_detail")["login"] = "nobody@mozilla.org" }},
		{name: "fixed, assigned to a watch user", file: fixed,
			edit: func(m map[string]any) { obj(m, "bug", "assigned_to_detail")["login"] = "sync@firefox.bugs" }},
		{name: "fixed, assignee only as a string", file: fixed,
			edit: func(m map[string]any) {
				delete(obj(m, "bug"), "assigned_to_detail")
				obj(m, "bug")["assigned_to"] = "Ada@Example.org"
			},
			wantActors: []string{"bugzilla:ada@example.org"}},
		{name: "fixed without an assignee", file: fixed,
			edit:    func(m map[string]any) { b := obj(m, "bug"); delete(b, "assigned_to_detail"); delete(b, "assigned_to") },
			wantErr: "no bug.assigned_to login"},
		{name: "fixed with a malformed assignee", file: fixed,
			edit:    func(m map[string]any) { obj(m, "bug", "assigned_to_detail")["login"] = "not an e-mail" },
			wantErr: "not a valid bugzilla id"},
		{name: "fixed with a bad time", file: fixed,
			edit: func(m map[string]any) { obj(m, "event")["time"] = "yesterday" }, wantErr: "event.time"},
		{name: "fixed without a product", file: fixed,
			edit: func(m map[string]any) { delete(obj(m, "bug"), "product") }, wantErr: "no product"},
		{name: "fixed on a private bug that kept its details", file: fixed,
			edit:       func(m map[string]any) { obj(m, "bug")["is_private"] = true },
			wantActors: []string{"bugzilla:ada@example.org"}, wantPrivate: true},
		{name: "resolved WONTFIX", file: fixed,
			edit: func(m map[string]any) {
				obj(m, "bug")["resolution"] = "WONTFIX"
				obj(m, "event")["changes"].([]any)[1].(map[string]any)["added"] = "WONTFIX"
			}},
		{name: "status to RESOLVED alone, bug FIXED", file: fixed,
			edit:       func(m map[string]any) { ev := obj(m, "event"); ev["changes"] = ev["changes"].([]any)[:1] },
			wantActors: []string{"bugzilla:ada@example.org"}},
		{name: "resolution in Bugzilla's history field name", file: fixed,
			edit: func(m map[string]any) {
				obj(m, "event")["changes"].([]any)[0].(map[string]any)["field"] = "bug_status"
			}, wantActors: []string{"bugzilla:ada@example.org"}},
		{name: "resolution FIXED removed", file: "bug.modify.reopened.json"},
		{name: "private and stripped", file: "bug.modify.private-fixed.json"},
		{name: "created", file: create, wantActors: []string{"bugzilla:grace@example.org"}},
		{name: "created by nobody", file: "bug.create.nobody.json"},
		{name: "created, legacy reporter", file: create,
			edit: func(m map[string]any) {
				b := obj(m, "bug")
				b["reporter"] = b["creator_detail"]
				delete(b, "creator")
				delete(b, "creator_detail")
			}, wantActors: []string{"bugzilla:grace@example.org"}},
		{name: "review granted", file: review, wantActors: []string{"bugzilla:grace@example.org"}},
		{name: "review granted by automation", file: review,
			edit: func(m map[string]any) { obj(m, "event", "user")["login"] = "phab-bot@bmo.tld" }},
		{name: "review requested", file: review,
			edit: func(m map[string]any) {
				c := obj(m, "event")["changes"].([]any)[0].(map[string]any)
				c["removed"], c["added"] = "", "? (grace@example.org)"
			}},
		{name: "review denied", file: review,
			edit: func(m map[string]any) { obj(m, "event")["changes"].([]any)[0].(map[string]any)["added"] = "-" }},
		{name: "review+ as flagtypes.name", file: review,
			edit: func(m map[string]any) {
				c := obj(m, "event")["changes"].([]any)[0].(map[string]any)
				c["field"], c["removed"], c["added"] = "flagtypes.name", "review?(grace@example.org)", "feedback?(ada@example.org), review+"
			}, wantActors: []string{"bugzilla:grace@example.org"}},
		{name: "review without attachment", file: review,
			edit: func(m map[string]any) { delete(obj(m, "bug"), "attachment") }, wantErr: "no bug.attachment.id"},
		{name: "review without user", file: review,
			edit: func(m map[string]any) { delete(obj(m, "event"), "user") }, wantErr: "no event.user login"},
		{name: "other event", file: "bug.modify.priority.json"},
		{name: "no bug", file: fixed, edit: func(m map[string]any) { delete(m, "bug") }, wantErr: "no bug.id"},
		{name: "wrong types", file: fixed, edit: func(m map[string]any) { obj(m, "bug")["summary"] = 7 }, wantErr: "summary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := readTestdata(t, tc.file)
			if tc.edit != nil {
				body = edit(t, tc.file, tc.edit)
			}
			d := bot.WebhookDelivery{Source: bot.PlatformBugzilla, ID: "case", Body: body, ReceivedAt: testReceived}
			events, err := testNormalizer(t).Normalize(d)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one mentioning %q", err, tc.wantErr)
			case err != nil && bot.ErrorCode(err) != bot.EINVALID:
				t.Errorf("error code %q, want %q", bot.ErrorCode(err), bot.EINVALID)
			}
			var actors []string
			for _, e := range events {
				actors = append(actors, e.Actor.String())
				if e.Private != tc.wantPrivate || (e.Title == "") != tc.wantPrivate {
					t.Errorf("Private=%v Title=%q, want Private=%v and a title only when public", e.Private, e.Title, tc.wantPrivate)
				}
			}
			if diff := cmp.Diff(tc.wantActors, actors); diff != "" {
				t.Errorf("actors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProof(t *testing.T) {
	n := testNormalizer(t)
	d := delivery(t, readTestdata(t, "comment.create.json"))
	got, ok, err := n.Proof(d)
	want := LinkProof{
		Login: "ada@example.org", Body: "Linking my badgebot account: badgebot:7F3K-Q9PA",
		URL: "https://bugzilla.example.org/show_bug.cgi?id=1629704#c2", Product: "Firefox",
	}
	if err != nil || !ok {
		t.Fatalf("Proof = %v, %v", ok, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Proof (-want +got):\n%s", diff)
	}
	private := edit(t, "comment.create.json", func(m map[string]any) { obj(m, "bug", "comment")["is_private"] = true })
	if _, ok, err := n.Proof(delivery(t, private)); ok || err != nil {
		t.Errorf("private comment: ok=%v err=%v, want no proof", ok, err)
	}
	if _, ok, _ := n.Proof(delivery(t, readTestdata(t, "bug.create.json"))); ok {
		t.Error("bug.create yielded a proof")
	}
}

func TestNewNormalizerRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"", "bugzilla.mozilla.org", "ftp://x", "https://x/?a=b", "https://"} {
		if _, err := NewNormalizer(u); err == nil {
			t.Errorf("NewNormalizer(%q) = nil error", u)
		}
	}
	n, err := NewNormalizer("https://bugzilla.mozilla.org/")
	if err != nil || n.BugURL(1) != "https://bugzilla.mozilla.org/show_bug.cgi?id=1" {
		t.Errorf("BugURL: %v %v", n, err)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2020, 7, 24, 20, 11, 22, 0, time.UTC)
	for _, s := range []string{"2020-07-24T20:11:22", "2020-07-24T20:11:22Z", "2020-07-24T22:11:22+02:00", "2020-07-24 20:11:22"} {
		if got, err := parseTime(s); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v", s, got, err)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, file := range payloadFiles(f) {
		f.Add(readTestdata(f, file))
	}
	f.Add([]byte(`{"event":{"action":"modify","changes":[{"field":"resolution","added":"FIXED"}]},"bug":{"id":1,"is_private":"1","product":{"name":null}}}`))
	f.Add([]byte(`{"event":{"routing_key":"attachment.modify:flag.review","changes":[{"field":"flag.review","added":["+"]}],"user":"x@y"},"bug":{"id":9,"attachment":{}}}`))
	n := testNormalizer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		// Normalize reads the routing key from the body, not from d.Type.
		d := bot.WebhookDelivery{Source: bot.PlatformBugzilla, ID: "fuzz", Body: body}
		events, err := n.Normalize(d)
		if err != nil && bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("error code %q for %v", bot.ErrorCode(err), err)
		}
		for _, e := range events {
			if err := e.Actor.Validate(); err != nil || e.Actor.Platform != bot.PlatformBugzilla {
				t.Errorf("bad actor %v: %v", e.Actor, err)
			}
			if e.Key == "" || e.Product == "" || e.OccurredAt.IsZero() || !slices.Contains(bot.EventKinds, e.Kind) {
				t.Errorf("incomplete event %+v", e)
			}
			if e.Private && e.Title != "" {
				t.Errorf("private event with a title %+v", e)
			}
		}
		if p, ok, _ := n.Proof(d); ok && (p.Login == "" || p.Body == "") {
			t.Errorf("incomplete proof %+v", p)
		}
		// The handler's envelope must never panic either.
		var env envelope
		if json.Unmarshal(body, &env) == nil {
			_, _, _ = deliveryID(&env)
		}
	})
}
