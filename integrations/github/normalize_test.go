package github

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/internal/golden"
	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v60/github"
)

var testReceived = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// payloadFiles lists the webhook payloads in testdata with their event type
// (the file name up to the first dot).
func payloadFiles(t testing.TB) map[string]string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no payloads in testdata: %v", err)
	}
	files := map[string]string{}
	for _, n := range names {
		base := filepath.Base(n)
		typ, _, _ := strings.Cut(base, ".")
		files[base] = typ
	}
	return files
}

func TestNormalizeGolden(t *testing.T) {
	for file, typ := range payloadFiles(t) {
		t.Run(file, func(t *testing.T) {
			d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "golden", Type: typ, Body: readTestdata(t, file), ReceivedAt: testReceived}
			res, err := Normalize(d)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
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

// edit loads a testdata payload, applies f to it and returns the new JSON.
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

var botUser = map[string]any{"login": "renovate[bot]", "id": 29139614, "type": "Bot"}

func TestNormalizeCases(t *testing.T) {
	const (
		merged   = "pull_request.closed.merged.json"
		approved = "pull_request_review.submitted.approved.json"
		closed   = "issues.closed.completed.json"
		comment  = "issue_comment.created.json"
	)
	for _, tc := range []struct {
		name, typ, file string
		edit            func(m map[string]any)
		wantKeys        []string // Keys of the events, in order
		wantProofs      int
		wantPrivate     bool   // every event Private with an empty Title
		wantErr         string // substring; "" means no error
	}{
		{name: "merged", typ: "pull_request", file: merged, wantKeys: []string{"github.com/codertocat/hello-world/pull/2"}},
		{name: "private repository", typ: "pull_request", file: merged,
			edit: func(m map[string]any) { obj(m, "repository")["private"] = true }, wantKeys: []string{"github.com/codertocat/hello-world/pull/2"}, wantPrivate: true},
		{name: "closed unmerged", typ: "pull_request", file: "pull_request.closed.json"},
		{name: "bot author by type", typ: "pull_request", file: merged,
			edit: func(m map[string]any) {
				obj(m, "pull_request")["user"] = map[string]any{"login": "someapp", "type": "Bot"}
			}},
		{name: "bot author by login", typ: "pull_request", file: merged,
			edit: func(m map[string]any) { obj(m, "pull_request", "user")["login"] = "dependabot[bot]" }},
		{name: "no author", typ: "pull_request", file: merged,
			edit: func(m map[string]any) { delete(obj(m, "pull_request"), "user") }, wantErr: "no pull_request.user.login"},
		{name: "no merged_at", typ: "pull_request", file: merged,
			edit: func(m map[string]any) { obj(m, "pull_request")["merged_at"] = nil }, wantErr: "no merged_at"},
		{name: "no repository", typ: "pull_request", file: merged,
			edit: func(m map[string]any) { delete(m, "repository") }, wantErr: "no repository"},
		{name: "malformed login", typ: "pull_request", file: merged,
			edit: func(m map[string]any) { obj(m, "pull_request", "user")["login"] = "-bad-" }, wantErr: "not a valid github id"},
		{name: "approved", typ: "pull_request_review", file: approved, wantKeys: []string{"github.com/codertocat/hello-world/pull/2/review/237895671"}},
		{name: "commented review", typ: "pull_request_review", file: "pull_request_review.submitted.json"},
		{name: "self approval", typ: "pull_request_review", file: approved,
			edit: func(m map[string]any) { obj(m, "review", "user")["login"] = "codertocat" }},
		{name: "bot reviewer", typ: "pull_request_review", file: approved,
			edit: func(m map[string]any) { obj(m, "review")["user"] = botUser }},
		{name: "review without submitted_at", typ: "pull_request_review", file: approved,
			edit: func(m map[string]any) { delete(obj(m, "review"), "submitted_at") }, wantErr: "no submitted_at"},
		{name: "review without id", typ: "pull_request_review", file: approved,
			edit: func(m map[string]any) { delete(obj(m, "review"), "id") }, wantErr: "no review.id"},
		{name: "issue closed", typ: "issues", file: closed, wantKeys: []string{
			"github.com/codertocat/hello-world/issues/1/closed/codertocat",
			"github.com/codertocat/hello-world/issues/1/closed/octocat",
		}},
		{name: "issue not planned", typ: "issues", file: closed,
			edit: func(m map[string]any) { obj(m, "issue")["state_reason"] = "not_planned" }},
		{name: "issue closed by an old server", typ: "issues", file: closed,
			edit: func(m map[string]any) { delete(obj(m, "issue"), "state_reason") }, wantKeys: []string{
				"github.com/codertocat/hello-world/issues/1/closed/codertocat",
				"github.com/codertocat/hello-world/issues/1/closed/octocat",
			}},
		{name: "issue reopened", typ: "issues", file: "issues.reopened.json"},
		{name: "issue without assignees", typ: "issues", file: closed,
			edit: func(m map[string]any) { obj(m, "issue")["assignees"] = []any{}; obj(m, "issue")["assignee"] = nil }},
		{name: "issue with a bot and a duplicate assignee", typ: "issues", file: closed,
			edit: func(m map[string]any) {
				is := obj(m, "issue")
				is["assignees"] = append(is["assignees"].([]any), botUser, is["assignee"])
			}, wantKeys: []string{
				"github.com/codertocat/hello-world/issues/1/closed/codertocat",
				"github.com/codertocat/hello-world/issues/1/closed/octocat",
			}},
		{name: "one malformed assignee keeps the others", typ: "issues", file: closed,
			edit: func(m map[string]any) {
				is := obj(m, "issue")
				is["assignees"] = append(is["assignees"].([]any), map[string]any{"login": "bad login", "type": "User"})
			}, wantKeys: []string{
				"github.com/codertocat/hello-world/issues/1/closed/codertocat",
				"github.com/codertocat/hello-world/issues/1/closed/octocat",
			}, wantErr: "issue.assignees"},
		{name: "issue without closed_at", typ: "issues", file: closed,
			edit: func(m map[string]any) { obj(m, "issue")["closed_at"] = nil }, wantErr: "no closed_at"},
		{name: "comment", typ: "issue_comment", file: comment, wantProofs: 1},
		{name: "edited comment", typ: "issue_comment", file: comment,
			edit: func(m map[string]any) { m["action"] = "edited" }},
		{name: "bot comment", typ: "issue_comment", file: comment,
			edit: func(m map[string]any) { obj(m, "comment")["user"] = botUser }},
		{name: "comment without user", typ: "issue_comment", file: comment,
			edit: func(m map[string]any) { delete(obj(m, "comment"), "user") }, wantErr: "no comment.user.login"},
		{name: "unused type", typ: "star", file: "star.created.json"},
		{name: "ping", typ: "ping", file: "ping.json"},
		{name: "not JSON", typ: "pull_request", file: merged,
			edit: nil, wantErr: "pull_request delivery"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := readTestdata(t, tc.file)
			if tc.edit != nil {
				body = edit(t, tc.file, tc.edit)
			}
			if tc.name == "not JSON" {
				body = body[:100]
			}
			d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "case", Type: tc.typ, Body: body, ReceivedAt: testReceived}
			res, err := Normalize(d)
			// What the webhook handler stores beside the body reads the same.
			if x, ok := Extract(nil, tc.typ, body); ok {
				fromX, xErr := Normalize(bot.WebhookDelivery{Source: d.Source, ID: d.ID, Type: d.Type, Extract: x, ReceivedAt: d.ReceivedAt})
				if diff := cmp.Diff(res, fromX); diff != "" || fmt.Sprint(err) != fmt.Sprint(xErr) {
					t.Errorf("normalised from the extract: %v (-body +extract):\n%s", xErr, diff)
				}
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one mentioning %q", err, tc.wantErr)
			case err != nil && bot.ErrorCode(err) != bot.EINVALID:
				t.Errorf("error code %q, want %q", bot.ErrorCode(err), bot.EINVALID)
			}
			var keys []string
			for _, e := range res.Events {
				keys = append(keys, e.Key)
				if e.Private != tc.wantPrivate || (e.Title == "") != tc.wantPrivate {
					t.Errorf("event Private=%v Title=%q, want Private=%v and a title only when public", e.Private, e.Title, tc.wantPrivate)
				}
			}
			if diff := cmp.Diff(tc.wantKeys, keys); diff != "" {
				t.Errorf("event keys (-want +got):\n%s", diff)
			}
			if len(res.Proofs) != tc.wantProofs {
				t.Errorf("%d proofs, want %d", len(res.Proofs), tc.wantProofs)
			}
		})
	}
}

// fuzzTypes are the event types FuzzNormalize feeds bodies to.
var fuzzTypes = []string{TypePullRequest, TypePullRequestReview, TypeIssues, TypeIssueComment, "ping", "star"}

func FuzzNormalize(f *testing.F) {
	for file, typ := range payloadFiles(f) {
		f.Add(uint8(slices.Index(fuzzTypes, typ)), readTestdata(f, file))
	}
	f.Add(uint8(0), []byte(`{"action":"closed","pull_request":{"merged":true,"user":null}}`))
	f.Add(uint8(2), []byte(`{"action":"closed","issue":{"assignees":[null,{}]}}`))
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		typ := fuzzTypes[int(kind)%len(fuzzTypes)]
		res, err := Normalize(bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "fuzz", Type: typ, Body: body})
		if err != nil && bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("error code %q for %v", bot.ErrorCode(err), err)
		}
		for _, e := range res.Events {
			if err := e.Actor.Validate(); err != nil || e.Actor.Platform != bot.PlatformGitHub {
				t.Errorf("event with a bad actor %v: %v", e.Actor, err)
			}
			if e.Key == "" || e.Repository == "" || e.OccurredAt.IsZero() || !slices.Contains(bot.EventKinds, e.Kind) {
				t.Errorf("incomplete event %+v", e)
			}
		}
		for _, p := range res.Proofs {
			if p.Login == "" || p.Body == "" {
				t.Errorf("incomplete proof %+v", p)
			}
		}
	})
}

// FuzzNormalizeLean holds the lean payload decoder to go-github's: wherever
// gh.ParseWebHook decodes a delivery, Normalize makes the same events,
// proofs and errors of it. (The lean decoder reads fewer fields, so it may
// accept a delivery whose unused parts go-github refused.)
func FuzzNormalizeLean(f *testing.F) {
	for file, typ := range payloadFiles(f) {
		f.Add(uint8(slices.Index(fuzzTypes, typ)), readTestdata(f, file))
	}
	f.Add(uint8(2), []byte(`{"action":"closed","issue":{"number":3,"pull_request":{},"closed_at":1700000000}}`))
	f.Add(uint8(2), []byte(`{"action":"closed","issue":{"number":3,"pull_request":null,"closed_at":"2026-01-02T03:04:05Z","assignee":{"login":"a"}},"repository":{"name":"r","owner":{"login":"o"}}}`))
	f.Add(uint8(1), []byte(`{"action":"submitted","review":{"id":7,"state":"APPROVED","user":{"login":"b","name":"B"},"submitted_at":1700000000000},"pull_request":{"number":1,"user":{"login":"a"}},"repository":{"full_name":"o/r","private":true}}`))
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		typ := fuzzTypes[int(kind)%len(fuzzTypes)]
		d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "fuzz", Type: typ, Body: body, ReceivedAt: testReceived}
		if _, err := gh.ParseWebHook(typ, body); err != nil {
			return // go-github refused the whole payload
		}
		full, fullErr := normalize(d, goGitHub)
		lean, leanErr := Normalize(d)
		if diff := cmp.Diff(full, lean); diff != "" {
			t.Errorf("lean decoder differs from go-github's (-full +lean):\n%s", diff)
		}
		if fmt.Sprint(fullErr) != fmt.Sprint(leanErr) {
			t.Errorf("errors differ: go-github's %v, lean %v", fullErr, leanErr)
		}
		x, ok := Extract(nil, typ, body)
		if !ok {
			return
		}
		fromX, xErr := Normalize(bot.WebhookDelivery{Source: d.Source, ID: d.ID, Type: typ, Extract: x, ReceivedAt: d.ReceivedAt})
		if diff := cmp.Diff(full, fromX); diff != "" {
			t.Errorf("normalised from the extract, differs from go-github's (-full +extract):\n%s", diff)
		}
		if fmt.Sprint(fullErr) != fmt.Sprint(xErr) {
			t.Errorf("errors differ: go-github's %v, from the extract %v", fullErr, xErr)
		}
	})
}

// TestExtract: the extract of a merged pull request is a small part of its
// body; one taken under other payload structs (another tag) is refused as
// stale, not read; a body that is not one JSON object or null has none.
func TestExtract(t *testing.T) {
	body := readTestdata(t, "pull_request.closed.merged.json")
	x, ok := Extract(nil, TypePullRequest, body)
	if !ok || len(x) > len(body)/10 {
		t.Fatalf("Extract = %d bytes, %v; want at most a tenth of the %d-byte body", len(x), ok, len(body))
	}
	d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "x", Type: TypePullRequest, ReceivedAt: testReceived}
	d.Extract = append([]byte("0000000000000000\n"), x[len(extractTag):]...)
	if res, err := Normalize(d); !errors.Is(err, bot.ErrStaleExtract) || len(res.Events) != 0 {
		t.Errorf("Normalize of a stale extract = %d events, %v; want ErrStaleExtract", len(res.Events), err)
	}
	for _, tc := range []struct{ typ, body string }{
		{TypePullRequest, `[]`}, {TypePullRequest, `{"action":`}, {TypePullRequest, `{} {}`}, {"star", `{}`}, {typePing, `{}`},
	} {
		if x, ok := Extract(nil, tc.typ, []byte(tc.body)); ok {
			t.Errorf("Extract(%s, %s) = %q, want none", tc.typ, tc.body, x)
		}
	}
	// The tag follows what the payload structs read.
	if a, b := (members{"user": nil}).describe(nil), (members{"user": members{"login": nil}}).describe(nil); string(a) == string(b) {
		t.Errorf("two different members describe alike: %s", a)
	}
}

// goGitHub is go-github's full decoder as a parser: what the lean one is
// held to.
func goGitHub(typ string, body []byte, _ bool) (any, error) { return gh.ParseWebHook(typ, body) }

// BenchmarkNormalize is the normalising stage of processing, on the
// ~30 KB merged pull request: the lean decoder against go-github's full
// one, and the lean decoder on the extract that processing reads.
func BenchmarkNormalize(b *testing.B) {
	body := readTestdata(b, "pull_request.closed.merged.json")
	whole := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: "bench", Type: TypePullRequest,
		Body: body, ReceivedAt: testReceived}
	extracted := whole
	extracted.Body, extracted.Extract = nil, mustExtract(b, TypePullRequest, body)
	for _, bc := range []struct {
		name  string
		d     bot.WebhookDelivery
		parse parser
	}{{"lean", whole, parsePayload}, {"go-github", whole, goGitHub}, {"extract", extracted, parsePayload}} {
		d := bc.d
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if res, err := normalize(d, bc.parse); err != nil || len(res.Events) != 1 {
					b.Fatalf("normalize = %d events, %v", len(res.Events), err)
				}
			}
		})
	}
}

// mustExtract is Extract of a body that has one.
func mustExtract(tb testing.TB, typ string, body []byte) []byte {
	x, ok := Extract(nil, typ, body)
	if !ok {
		tb.Fatalf("no extract of the %s body", typ)
	}
	return x
}
