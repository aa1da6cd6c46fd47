package github

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"sync"

	// encoding/json's semantics (as go-github decodes) on the json v2
	// engine: one pass over what it decodes, where encoding/json
	// validates it all first and then decodes it (BenchmarkNormalize).
	json "github.com/go-json-experiment/json/v1"
	gh "github.com/google/go-github/v60/github"
)

// The webhook payloads as Normalize reads them: one struct per delivery
// type, with only the fields it uses, in go-github's field types, so that a
// value decodes (or fails to) as it did through gh.ParseWebHook. A merged
// pull request's delivery is about 30 KB, most of it two full repository
// objects; go-github decoded every field of them into its structs, which
// cost most of a delivery's processing. Here only the members these
// structs name are decoded (payload_filter.go), and each part becomes the
// go-github type the normaliser (and the backfill, which shares
// mergedEvent) takes, with only these fields set. A type reads only
// members its go-github event has: a member another type reads may hold
// anything here. FuzzNormalizeLean holds the result to go-github's.
type pullRequestPayload struct {
	Action      *string      `json:"action"`
	Number      *int         `json:"number"`
	PullRequest *payloadPull `json:"pull_request"`
	Repo        *payloadRepo `json:"repository"`
}

type reviewPayload struct {
	Action      *string      `json:"action"`
	PullRequest *payloadPull `json:"pull_request"`
	Review      *struct {
		ID          *int64        `json:"id"`
		State       *string       `json:"state"`
		User        *payloadUser  `json:"user"`
		HTMLURL     *string       `json:"html_url"`
		SubmittedAt *gh.Timestamp `json:"submitted_at"`
	} `json:"review"`
	Repo *payloadRepo `json:"repository"`
}

type issuesPayload struct {
	Action *string `json:"action"`
	Issue  *struct {
		Number      *int           `json:"number"`
		StateReason *string        `json:"state_reason"`
		ClosedAt    *gh.Timestamp  `json:"closed_at"`
		HTMLURL     *string        `json:"html_url"`
		Title       *string        `json:"title"`
		Assignees   []*payloadUser `json:"assignees"`
		Assignee    *payloadUser   `json:"assignee"`
		PullRequest *struct{}      `json:"pull_request"` // present: the issue is a pull request
	} `json:"issue"`
	Repo *payloadRepo `json:"repository"`
}

type commentPayload struct {
	Action  *string `json:"action"`
	Comment *struct {
		Body      *string       `json:"body"`
		User      *payloadUser  `json:"user"`
		HTMLURL   *string       `json:"html_url"`
		CreatedAt *gh.Timestamp `json:"created_at"`
	} `json:"comment"`
	Repo *payloadRepo `json:"repository"`
}

type payloadRepo struct {
	FullName *string      `json:"full_name"`
	Name     *string      `json:"name"`
	Private  *bool        `json:"private"`
	Owner    *payloadUser `json:"owner"`
}

type payloadPull struct {
	Number   *int          `json:"number"`
	Merged   *bool         `json:"merged"`
	MergedAt *gh.Timestamp `json:"merged_at"`
	HTMLURL  *string       `json:"html_url"`
	Title    *string       `json:"title"`
	User     *payloadUser  `json:"user"`
}

type payloadUser struct {
	Login *string `json:"login"`
	Type  *string `json:"type"`
	Name  *string `json:"name"`
}

func (u *payloadUser) gh() *gh.User {
	if u == nil {
		return nil
	}
	return &gh.User{Login: u.Login, Type: u.Type, Name: u.Name}
}

func (p *payloadPull) gh() *gh.PullRequest {
	if p == nil {
		return nil
	}
	return &gh.PullRequest{Number: p.Number, Merged: p.Merged, MergedAt: p.MergedAt, HTMLURL: p.HTMLURL,
		Title: p.Title, User: p.User.gh()}
}

func (r *payloadRepo) gh() *gh.Repository {
	if r == nil {
		return nil
	}
	return &gh.Repository{FullName: r.FullName, Name: r.Name, Private: r.Private, Owner: r.Owner.gh()}
}

// filterBufs holds the buffers filterPayload copies into (payload_filter.go);
// the decoder copies what it keeps. A copy larger than maxPooledFilter (a
// delivery whose members payload reads are large) is left to the collector.
var filterBufs = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledFilter = 64 << 10

// putFilterBuf gives buf back to filterBufs, unless it grew too large.
func putFilterBuf(buf *[]byte) {
	if cap(*buf) <= maxPooledFilter {
		filterBufs.Put(buf)
	}
}

// parser decodes a delivery's payload of type typ into that type's
// go-github event. extracted says body is an extract's payload: already
// only the members the payload structs read (Extract).
type parser func(typ string, body []byte, extracted bool) (any, error)

// parsePayload decodes a delivery of one of the types Normalize reads into
// that type's go-github event, with the fields Normalize uses.
func parsePayload(typ string, body []byte, extracted bool) (any, error) {
	switch typ {
	case TypePullRequest:
		p, err := decodePayload[pullRequestPayload](body, extracted)
		if err != nil {
			return nil, err
		}
		return &gh.PullRequestEvent{Action: p.Action, Number: p.Number, PullRequest: p.PullRequest.gh(), Repo: p.Repo.gh()}, nil
	case TypePullRequestReview:
		p, err := decodePayload[reviewPayload](body, extracted)
		if err != nil {
			return nil, err
		}
		e := &gh.PullRequestReviewEvent{Action: p.Action, PullRequest: p.PullRequest.gh(), Repo: p.Repo.gh()}
		if rv := p.Review; rv != nil {
			e.Review = &gh.PullRequestReview{ID: rv.ID, State: rv.State, User: rv.User.gh(), HTMLURL: rv.HTMLURL, SubmittedAt: rv.SubmittedAt}
		}
		return e, nil
	case TypeIssues:
		p, err := decodePayload[issuesPayload](body, extracted)
		if err != nil {
			return nil, err
		}
		e := &gh.IssuesEvent{Action: p.Action, Repo: p.Repo.gh()}
		if is := p.Issue; is != nil {
			e.Issue = &gh.Issue{Number: is.Number, StateReason: is.StateReason, ClosedAt: is.ClosedAt, HTMLURL: is.HTMLURL,
				Title: is.Title, Assignee: is.Assignee.gh()}
			for _, u := range is.Assignees {
				e.Issue.Assignees = append(e.Issue.Assignees, u.gh())
			}
			if is.PullRequest != nil {
				e.Issue.PullRequestLinks = &gh.PullRequestLinks{}
			}
		}
		return e, nil
	case TypeIssueComment:
		p, err := decodePayload[commentPayload](body, extracted)
		if err != nil {
			return nil, err
		}
		e := &gh.IssueCommentEvent{Action: p.Action, Repo: p.Repo.gh()}
		if c := p.Comment; c != nil {
			e.Comment = &gh.IssueComment{Body: c.Body, User: c.User.gh(), HTMLURL: c.HTMLURL, CreatedAt: c.CreatedAt}
		}
		return e, nil
	}
	return nil, nil
}

// decodePayload decodes the members of body that P reads: a filtered copy
// when body is one valid JSON object or null, else body itself, for the
// decoder's error. An extract's payload (extracted) was filtered when it
// was taken and is decoded as it is: filtering it again gives it back.
func decodePayload[P any](body []byte, extracted bool) (*P, error) {
	if !extracted {
		buf := filterBufs.Get().(*[]byte)
		defer putFilterBuf(buf)
		if filtered, ok := filterPayload((*buf)[:0], body, membersFor[P]()); ok {
			*buf, body = filtered, filtered
		}
	}
	p := new(P)
	if err := json.Unmarshal(body, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Extract appends to dst what Normalize reads of a delivery of type typ:
// body without the members its payload ignores (payload_filter.go), after
// a tag naming the payload structs that chose them. The webhook handler
// takes it as the body arrives, in the scan that checks the JSON, and the
// store hands it back for processing in the body's place: 414 of the
// 29,888 bytes of testdata's merged pull request, neither decompressed nor
// scanned again. ok is false when typ is not one Normalize reads or body
// is not one valid JSON object or null.
func Extract(dst []byte, typ string, body []byte) (_ []byte, ok bool) {
	m := payloadMembersOf(typ)
	if m == nil {
		return dst, false
	}
	return filterPayload(append(dst, extractTag...), body, m)
}

// payloadMembersOf is what Normalize reads of a delivery of type typ, or
// nil for a type it does not read.
func payloadMembersOf(typ string) members {
	switch typ {
	case TypePullRequest:
		return membersFor[pullRequestPayload]()
	case TypePullRequestReview:
		return membersFor[reviewPayload]()
	case TypeIssues:
		return membersFor[issuesPayload]()
	case TypeIssueComment:
		return membersFor[commentPayload]()
	}
	return nil
}

// extractTag opens every extract: a digest of what the payload structs
// read. A delivery stored before an upgrade that reads more of a payload
// is processed after it; its extract then lacks members the new structs
// read, and its tag tells Normalize so (bot.ErrStaleExtract), which sends
// the Ingestor back to the body.
var extractTag = func() string {
	var desc []byte
	for _, typ := range []string{TypePullRequest, TypePullRequestReview, TypeIssues, TypeIssueComment} {
		desc = payloadMembersOf(typ).describe(append(desc, typ...))
	}
	h := fnv.New64a()
	h.Write(desc)
	return fmt.Sprintf("%016x\n", h.Sum64())
}()

// describe appends m to dst in a form that changes whenever what m reads
// does: its names sorted, each with what it reads of its member.
func (m members) describe(dst []byte) []byte {
	if m == nil {
		return append(dst, '*')
	}
	dst = append(dst, '{')
	for _, name := range slices.Sorted(maps.Keys(m)) {
		dst = m[name].describe(append(append(dst, name...), ':'))
		dst = append(dst, ',')
	}
	return append(dst, '}')
}

// cutExtract returns the payload of an extract, or ok false when another
// version of the payload structs took it.
func cutExtract(x []byte) (payload []byte, ok bool) {
	return bytes.CutPrefix(x, []byte(extractTag))
}
