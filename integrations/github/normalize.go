package github

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	gh "github.com/google/go-github/v60/github"
)

// Result is what one stored delivery yields.
type Result struct {
	Events []bot.Event
	Proofs []LinkProof
}

// LinkProof is a comment that may carry a one-time identity code: the core
// matches Body against the codes it handed out to Login.
type LinkProof struct {
	Login      string // lower-case login of the comment's author
	Body       string
	URL        string // the comment's html_url
	Repository string // "owner/repo"
	PostedAt   time.Time
}

// Normalize turns a stored delivery into contribution events and link proofs:
//
//   - pull_request closed with merged true: EventPRMerged for the author,
//     Key "github.com/<owner>/<repo>/pull/<n>", at merged_at;
//   - pull_request_review submitted with state approved: EventReviewApproved
//     for the reviewer, Key ".../pull/<n>/review/<review id>"; a review by
//     the pull request's author earns nothing;
//   - issues closed as completed (or, from servers too old to send
//     state_reason, closed with none): EventIssueClosed for each assignee,
//     Key ".../issues/<n>/closed/<login>";
//   - issue_comment created: a LinkProof.
//
// Bots (user type "Bot", or a login ending in "[bot]") earn nothing and
// prove nothing. Events from a private repository are marked Private and
// carry no Title. Every other type and action yields an empty Result.
//
// A payload missing something a rule needs (no user, no merged_at, no
// repository...) yields no event for that part and an error saying what is
// missing; the Result still holds what could be built from the rest (one
// assignee with a malformed login does not cost the others their event).
// Normalize never panics.
func Normalize(d bot.WebhookDelivery) (Result, error) { return normalize(d, parsePayload) }

// normalize is Normalize with the payload decoded by parse (the tests hold
// parsePayload to go-github's full gh.ParseWebHook).
func normalize(d bot.WebhookDelivery, parse parser) (Result, error) {
	switch d.Type {
	case TypePullRequest, TypePullRequestReview, TypeIssues, TypeIssueComment:
	default:
		return Result{}, nil
	}
	body := d.Body
	if d.Extract != nil {
		var ok bool
		if body, ok = cutExtract(d.Extract); !ok {
			return Result{}, fmt.Errorf("github: %s delivery %s: %w", d.Type, d.ID, bot.ErrStaleExtract)
		}
	}
	v, err := parse(d.Type, body, d.Extract != nil)
	if err != nil {
		return Result{}, bot.Errorf(bot.EINVALID, "github: %s delivery %s: %v", d.Type, d.ID, err)
	}
	n := normalizer{d: d}
	switch e := v.(type) {
	case *gh.PullRequestEvent:
		n.pullRequest(e)
	case *gh.PullRequestReviewEvent:
		n.review(e)
	case *gh.IssuesEvent:
		n.issue(e)
	case *gh.IssueCommentEvent:
		n.comment(e)
	}
	return n.res, errors.Join(n.errs...)
}

type normalizer struct {
	d    bot.WebhookDelivery
	res  Result
	errs []error
}

// missing records what one part of the delivery lacks.
func (n *normalizer) missing(format string, args ...any) {
	n.fail(fmt.Errorf(format, args...))
}

// fail records an error about one part of the delivery.
func (n *normalizer) fail(err error) {
	n.errs = append(n.errs, bot.Errorf(bot.EINVALID, "github: %s delivery %s: %v", n.d.Type, n.d.ID, err))
}

// add keeps e, or records err when building it failed.
func (n *normalizer) add(e bot.Event, err error) {
	if err != nil {
		n.fail(err)
		return
	}
	e.ReceivedAt = n.d.ReceivedAt
	n.res.Events = append(n.res.Events, e)
}

func (n *normalizer) pullRequest(e *gh.PullRequestEvent) {
	pr := e.GetPullRequest()
	if e.GetAction() != "closed" || !pr.GetMerged() {
		return
	}
	if pr.GetNumber() == 0 && e.GetNumber() != 0 {
		pr.Number = e.Number
	}
	if isBot(pr.GetUser()) {
		return
	}
	n.add(mergedEvent(pr, repoName(e.GetRepo()), e.GetRepo().GetPrivate()))
}

// hidePrivate marks an event from a private repository Private and drops its
// title, which must not reach evidence, pages or chat.
func hidePrivate(e bot.Event, private bool) bot.Event {
	if private {
		e.Private, e.Title = true, ""
	}
	return e
}

// mergedEvent builds the EventPRMerged for a merged pull request of repo; the
// webhook and the backfill share it, so both produce the same Key.
func mergedEvent(pr *gh.PullRequest, repo string, private bool) (bot.Event, error) {
	e := bot.Event{Source: bot.PlatformGitHub, Kind: bot.EventPRMerged}
	var err error
	if e.Actor, e.ActorName, err = actor(pr.GetUser(), "pull_request.user"); err != nil {
		return bot.Event{}, err
	}
	if repo == "" {
		return bot.Event{}, errors.New("no repository full_name")
	}
	if pr.GetNumber() <= 0 {
		return bot.Event{}, errors.New("no pull request number")
	}
	if pr.MergedAt == nil || pr.GetMergedAt().IsZero() {
		return bot.Event{}, fmt.Errorf("pull request %s#%d: no merged_at", repo, pr.GetNumber())
	}
	e.Repository = repo
	e.Key = prKey(repo, pr.GetNumber())
	e.URL = pr.GetHTMLURL()
	e.Title = pr.GetTitle()
	e.OccurredAt = pr.GetMergedAt().UTC()
	return hidePrivate(e, private), nil
}

func (n *normalizer) review(e *gh.PullRequestReviewEvent) {
	rv := e.GetReview()
	if e.GetAction() != "submitted" || !strings.EqualFold(rv.GetState(), "approved") {
		return
	}
	reviewer, pr := rv.GetUser(), e.GetPullRequest()
	if isBot(reviewer) {
		return
	}
	if author := pr.GetUser().GetLogin(); author != "" && strings.EqualFold(author, reviewer.GetLogin()) {
		return // GitHub refuses self-approval; never credit one if it slips through
	}
	ev := bot.Event{Source: bot.PlatformGitHub, Kind: bot.EventReviewApproved}
	var err error
	if ev.Actor, ev.ActorName, err = actor(reviewer, "review.user"); err != nil {
		n.fail(err)
		return
	}
	repo := repoName(e.GetRepo())
	switch {
	case repo == "":
		n.missing("no repository full_name")
		return
	case pr.GetNumber() <= 0:
		n.missing("no pull_request.number")
		return
	case rv.GetID() <= 0:
		n.missing("no review.id")
		return
	case rv.SubmittedAt == nil || rv.GetSubmittedAt().IsZero():
		n.missing("review %d: no submitted_at", rv.GetID())
		return
	}
	ev.Repository = repo
	ev.Key = prKey(repo, pr.GetNumber()) + "/review/" + strconv.FormatInt(rv.GetID(), 10)
	ev.URL = rv.GetHTMLURL()
	if ev.URL == "" {
		ev.URL = pr.GetHTMLURL()
	}
	ev.Title = pr.GetTitle()
	ev.OccurredAt = rv.GetSubmittedAt().UTC()
	n.add(hidePrivate(ev, e.GetRepo().GetPrivate()), nil)
}

func (n *normalizer) issue(e *gh.IssuesEvent) {
	is := e.GetIssue()
	if e.GetAction() != "closed" {
		return
	}
	if is == nil { // checked first: go-github's IsPullRequest reads through it
		n.missing("no issue")
		return
	}
	if is.IsPullRequest() {
		return
	}
	// Servers that predate state_reason send none; then every close counted.
	if is.StateReason != nil && is.GetStateReason() != "completed" {
		return
	}
	repo := repoName(e.GetRepo())
	switch {
	case repo == "":
		n.missing("no repository full_name")
		return
	case is.GetNumber() <= 0:
		n.missing("no issue.number")
		return
	case is.ClosedAt == nil || is.GetClosedAt().IsZero():
		n.missing("issue %s#%d: no closed_at", repo, is.GetNumber())
		return
	}
	assignees := is.Assignees
	if len(assignees) == 0 && is.Assignee != nil {
		assignees = []*gh.User{is.Assignee}
	}
	seen := make(map[string]bool, len(assignees))
	for _, u := range assignees {
		if u == nil || isBot(u) {
			continue
		}
		ev := bot.Event{Source: bot.PlatformGitHub, Kind: bot.EventIssueClosed}
		var err error
		if ev.Actor, ev.ActorName, err = actor(u, "issue.assignees"); err != nil {
			n.fail(err)
			continue
		}
		if seen[ev.Actor.ID] {
			continue
		}
		seen[ev.Actor.ID] = true
		ev.Repository = repo
		ev.Key = "github.com/" + strings.ToLower(repo) + "/issues/" + strconv.Itoa(is.GetNumber()) + "/closed/" + ev.Actor.ID
		ev.URL = is.GetHTMLURL()
		ev.Title = is.GetTitle()
		ev.OccurredAt = is.GetClosedAt().UTC()
		n.add(hidePrivate(ev, e.GetRepo().GetPrivate()), nil)
	}
}

func (n *normalizer) comment(e *gh.IssueCommentEvent) {
	c := e.GetComment()
	if e.GetAction() != "created" || c.GetBody() == "" || isBot(c.GetUser()) {
		return
	}
	who, _, err := actor(c.GetUser(), "comment.user")
	if err != nil {
		n.fail(err)
		return
	}
	repo := repoName(e.GetRepo())
	if repo == "" {
		n.missing("no repository full_name")
		return
	}
	n.res.Proofs = append(n.res.Proofs, LinkProof{
		Login:      who.ID,
		Body:       c.GetBody(),
		URL:        c.GetHTMLURL(),
		Repository: repo,
		PostedAt:   c.GetCreatedAt().UTC(),
	})
}

// isBot reports whether u is an app or bot account. Bots earn no badges.
func isBot(u *gh.User) bool {
	return strings.EqualFold(u.GetType(), "Bot") || strings.HasSuffix(strings.ToLower(u.GetLogin()), "[bot]")
}

// actor returns the recipient and display name for u; field names the JSON
// field for the error message.
func actor(u *gh.User, field string) (bot.Recipient, string, error) {
	login := u.GetLogin()
	if login == "" {
		return bot.Recipient{}, "", fmt.Errorf("no %s.login", field)
	}
	r := bot.Recipient{Platform: bot.PlatformGitHub, ID: strings.ToLower(login)}
	if err := r.Validate(); err != nil {
		return bot.Recipient{}, "", fmt.Errorf("%s: %w", field, err)
	}
	name := u.GetName()
	if name == "" {
		name = login
	}
	return r, name, nil
}

// repoName returns "owner/repo" as GitHub spells it.
func repoName(r *gh.Repository) string {
	if fn := r.GetFullName(); fn != "" {
		return fn
	}
	if owner, name := r.GetOwner().GetLogin(), r.GetName(); owner != "" && name != "" {
		return owner + "/" + name
	}
	return ""
}

// prKey is the Key of a pull request. Owner and repository names are
// case-insensitive on GitHub, so the key is folded to lower case.
func prKey(repo string, number int) string {
	return "github.com/" + strings.ToLower(repo) + "/pull/" + strconv.Itoa(number)
}
