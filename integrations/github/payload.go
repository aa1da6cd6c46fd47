package github

import (
	// encoding/json's semantics (as go-github decodes) on the json v2
	// engine: one pass over the body, where encoding/json validates the
	// whole body first and then decodes it, and a faster skip of what is
	// not named here (BenchmarkNormalize).
	json "github.com/go-json-experiment/json/v1"
	gh "github.com/google/go-github/v60/github"
)

// The webhook payload as Normalize reads it: only the fields it uses, in
// go-github's field types, so that a value decodes (or fails to) as it did
// through gh.ParseWebHook. A merged pull request's delivery is about 30 KB,
// most of it two full repository objects; go-github decoded every field of
// them into its structs, which cost most of a delivery's processing. Here
// the decoder skips what is not named, and each part becomes the go-github
// type the normaliser (and the backfill, which shares mergedEvent) takes,
// with only these fields set. FuzzNormalizeLean holds the result to
// go-github's.
type payload struct {
	Action      *string      `json:"action"`
	Number      *int         `json:"number"`
	PullRequest *payloadPull `json:"pull_request"`
	Review      *struct {
		ID          *int64        `json:"id"`
		State       *string       `json:"state"`
		User        *payloadUser  `json:"user"`
		HTMLURL     *string       `json:"html_url"`
		SubmittedAt *gh.Timestamp `json:"submitted_at"`
	} `json:"review"`
	Issue *struct {
		Number      *int           `json:"number"`
		StateReason *string        `json:"state_reason"`
		ClosedAt    *gh.Timestamp  `json:"closed_at"`
		HTMLURL     *string        `json:"html_url"`
		Title       *string        `json:"title"`
		Assignees   []*payloadUser `json:"assignees"`
		Assignee    *payloadUser   `json:"assignee"`
		PullRequest *struct{}      `json:"pull_request"` // present: the issue is a pull request
	} `json:"issue"`
	Comment *struct {
		Body      *string       `json:"body"`
		User      *payloadUser  `json:"user"`
		HTMLURL   *string       `json:"html_url"`
		CreatedAt *gh.Timestamp `json:"created_at"`
	} `json:"comment"`
	Repo *struct {
		FullName *string      `json:"full_name"`
		Name     *string      `json:"name"`
		Private  *bool        `json:"private"`
		Owner    *payloadUser `json:"owner"`
	} `json:"repository"`
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

func (p *payload) repo() *gh.Repository {
	if p.Repo == nil {
		return nil
	}
	r := p.Repo
	return &gh.Repository{FullName: r.FullName, Name: r.Name, Private: r.Private, Owner: r.Owner.gh()}
}

// parsePayload decodes a delivery of one of the types Normalize reads into
// that type's go-github event, with the fields Normalize uses.
func parsePayload(typ string, body []byte) (any, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, err
	}
	switch typ {
	case TypePullRequest:
		return &gh.PullRequestEvent{Action: p.Action, Number: p.Number, PullRequest: p.PullRequest.gh(), Repo: p.repo()}, nil
	case TypePullRequestReview:
		e := &gh.PullRequestReviewEvent{Action: p.Action, PullRequest: p.PullRequest.gh(), Repo: p.repo()}
		if rv := p.Review; rv != nil {
			e.Review = &gh.PullRequestReview{ID: rv.ID, State: rv.State, User: rv.User.gh(), HTMLURL: rv.HTMLURL, SubmittedAt: rv.SubmittedAt}
		}
		return e, nil
	case TypeIssues:
		e := &gh.IssuesEvent{Action: p.Action, Repo: p.repo()}
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
		e := &gh.IssueCommentEvent{Action: p.Action, Repo: p.repo()}
		if c := p.Comment; c != nil {
			e.Comment = &gh.IssueComment{Body: c.Body, User: c.User.gh(), HTMLURL: c.HTMLURL, CreatedAt: c.CreatedAt}
		}
		return e, nil
	}
	return nil, nil
}
