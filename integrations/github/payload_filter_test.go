package github

import (
	"bytes"
	"testing"

	json "github.com/go-json-experiment/json/v1"
	"github.com/google/go-cmp/cmp"
)

// FuzzPayloadFilter holds the filtered copy to the body it came from: each
// type's payload struct gets the same value, or an error, from either. A
// body the filter refuses is decoded whole by decodePayload, so it must be
// one the decoder refuses too.
func FuzzPayloadFilter(f *testing.F) {
	for file := range payloadFiles(f) {
		f.Add(readTestdata(f, file))
	}
	f.Add([]byte(" null "))
	f.Add([]byte(`[]`))
	for _, s := range []string{
		`{"action":"closed","pull_request":{"merged":true,"user":null}}`,
		`{"ACTION":"a","Action":"b","pull_request":{"Merged":true},"PULL_REQUEST":{"number":2}}`,
		`{"pull_request":{"user":{"login":"a","site_admin":false,"x":[1,{"y":null}]}},"pull_request":null}`,
		`{"pull\u005frequest":{"number":3,"extra":{"deep":[[[]]]}},"repository":{"owner":{"login":"o"},"full_name":"o/r"}}`,
		`{"number":"7"}`,
		`{"issue":{"pull_request":{"url":"x"},"assignees":[null,{"login":"a"}]}}`,
		`{"\u212Aey":1,"ſtar":2,"repository":"not an object"}`,
		`{"pull_request":{"merged_at":"2026-01-02T03:04:05Z","MergedAt":1700000000}}`,
		`{"a":1} {}`,
		`{"a":[1,2}`,
		`["not an object"]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFilter[pullRequestPayload](t, body)
		checkFilter[reviewPayload](t, body)
		checkFilter[issuesPayload](t, body)
		checkFilter[commentPayload](t, body)
	})
}

func checkFilter[P any](t *testing.T, body []byte) {
	t.Helper()
	var whole P
	wholeErr := json.Unmarshal(body, &whole)
	filtered, ok := filterPayload(nil, body, membersFor[P]())
	if !ok {
		if wholeErr == nil {
			t.Fatalf("%T: the filter refused a body the decoder took", whole)
		}
		return
	}
	if !validJSON(body) {
		t.Fatalf("%T: the filter took invalid JSON", whole)
	}
	var lean P
	leanErr := json.Unmarshal(filtered, &lean)
	if (wholeErr == nil) != (leanErr == nil) {
		t.Fatalf("%T: errors differ: whole %v, filtered %v (filtered %s)", whole, wholeErr, leanErr, filtered)
	}
	if diff := cmp.Diff(whole, lean); diff != "" {
		t.Errorf("%T: filtered payload differs (-whole +filtered):\n%s\nfiltered: %s", whole, diff, filtered)
	}
}

// TestPayloadFilterKeepsWhatIsRead: a merged pull request's delivery is cut
// to the members its payload struct reads, and names the filter cannot
// judge are kept.
func TestPayloadFilterKeepsWhatIsRead(t *testing.T) {
	body := readTestdata(t, "pull_request.closed.merged.json")
	m := membersFor[pullRequestPayload]()
	filtered, ok := filterPayload(nil, body, m)
	if !ok {
		t.Fatal("the filter refused a valid delivery")
	}
	if len(filtered)*10 > len(body) {
		t.Errorf("filtered to %d of %d bytes, want under a tenth", len(filtered), len(body))
	}
	for _, drop := range []string{`"head"`, `"base"`, `"sender"`, `"_links"`, `"node_id"`, `"review"`, `"issue"`} {
		if bytes.Contains(filtered, []byte(drop)) {
			t.Errorf("the filtered copy keeps %s: %s", drop, filtered)
		}
	}
	for _, keep := range []string{`"merged_at"`, `"html_url"`, `"login"`, `"full_name"`, `"private"`} {
		if !bytes.Contains(filtered, []byte(keep)) {
			t.Errorf("the filtered copy lost %s: %s", keep, filtered)
		}
	}
	odd := `{"Pull-Request":{"NUMBER":1,"skip":2},"\u0061ction":"x","äction":"y","sender":{},"review":{"id":1}}`
	got, ok := filterPayload(nil, []byte(odd), m)
	if want := `{"Pull-Request":{"NUMBER":1},"\u0061ction":"x","äction":"y"}`; !ok || string(got) != want {
		t.Errorf("filterPayload(%s) = %s, %v; want %s", odd, got, ok, want)
	}
}

// TestPayloadFilterSelfHoldingType: a struct that holds itself is filtered
// to a bounded depth and kept whole below it, decoding as the whole body.
func TestPayloadFilterSelfHoldingType(t *testing.T) {
	type chain struct {
		Name *string `json:"name"`
		Next *chain  `json:"next"`
	}
	body := []byte(`{"name":"0","skip":1,"next":{"name":"1","next":{"next":{"next":{"next":{"next":{"next":{"name":"7","skip":2}}}}}}}}`)
	checkFilter[chain](t, body)
	filtered, ok := filterPayload(nil, body, membersFor[chain]())
	if !ok || bytes.Count(filtered, []byte(`"skip"`)) != 1 {
		t.Errorf("filterPayload = %s, %v; want the outer skip dropped and the deepest kept", filtered, ok)
	}
}
