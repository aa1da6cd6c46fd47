package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	gh "github.com/google/go-github/v60/github"
)

// maxPages bounds one MergedPullRequests call: 100 pages of 100 pull
// requests. A backfill that needs more calls again with a later since.
const maxPages = 100

// secondaryWait is how long to wait after a secondary rate limit that names
// no time: GitHub's documentation asks for at least a minute.
const secondaryWait = time.Minute

var repoPart = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

// Client reads the GitHub REST API for backfill and profile-bio proofs.
type Client struct {
	gh  *gh.Client
	now func() time.Time
}

// RateLimitError reports that GitHub refused a request for a rate limit
// (primary or secondary). Nothing is retried: the caller waits until Reset.
type RateLimitError struct {
	Reset time.Time
	Err   error
}

// Error implements error.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("github: rate limited until %s: %v", e.Reset.UTC().Format(time.RFC3339), e.Err)
}

// Unwrap returns the go-github error.
func (e *RateLimitError) Unwrap() error { return e.Err }

// NewClient returns a client authenticated with token (empty: anonymous,
// 60 requests an hour). apiURL is the REST base URL, empty for
// https://api.github.com/; tests point it at a fake. httpClient nil means a
// client with a 30 s timeout.
func NewClient(token, apiURL string, httpClient *http.Client) (*Client, error) {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	c := gh.NewClient(httpClient)
	if token != "" {
		c = c.WithAuthToken(token)
	}
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("github: api_url %q: want an absolute http(s) URL", apiURL)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		c.BaseURL = u
	}
	return &Client{gh: c, now: time.Now}, nil
}

// MergedPullRequests returns an EventPRMerged for every pull request of repo
// ("owner/name") merged at or after since, newest first. It lists closed
// pull requests by update time, newest first, and stops at the first one
// updated before since, after at most 100 pages (then it also returns an
// error saying so). Pull requests of a private repository are marked
// Private and keep no title (see hidePrivate). Bots' pull requests are skipped. A pull request that
// cannot be turned into an event is reported in the error and the others
// are still returned. A rate limit ends the call with a *RateLimitError
// (wrapped) and the events found so far.
func (c *Client) MergedPullRequests(ctx context.Context, repo string, since time.Time) ([]bot.Event, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || !repoPart.MatchString(owner) || !repoPart.MatchString(name) {
		return nil, bot.Errorf(bot.EINVALID, "github: repository %q: want owner/name", repo)
	}
	opts := &gh.PullRequestListOptions{
		State: "closed", Sort: "updated", Direction: "desc",
		ListOptions: gh.ListOptions{PerPage: 100},
	}
	var (
		events []bot.Event
		errs   []error
		// repoPrivate is the repository's own private flag, asked for
		// once and only when a pull request comes without its base
		// repository: a private repository's titles and URLs must never
		// be shown, so when it cannot be told, the events count as private.
		repoPrivate *bool
	)
	private := func(pr *gh.PullRequest) bool {
		if r := pr.GetBase().GetRepo(); r != nil && r.Private != nil {
			return r.GetPrivate()
		}
		if repoPrivate == nil {
			r, _, err := c.gh.Repositories.Get(ctx, owner, name)
			p := err != nil || r.Private == nil || r.GetPrivate()
			repoPrivate = &p
		}
		return *repoPrivate
	}
	for range maxPages {
		prs, resp, err := c.gh.PullRequests.List(ctx, owner, name, opts)
		if err != nil {
			return events, errors.Join(append(errs, c.wrap(fmt.Sprintf("list pull requests of %s", repo), err))...)
		}
		for _, pr := range prs {
			if pr.GetUpdatedAt().Before(since) {
				return events, errors.Join(errs...)
			}
			if pr.MergedAt == nil || pr.GetMergedAt().Before(since) || isBot(pr.GetUser()) {
				continue
			}
			full := pr.GetBase().GetRepo().GetFullName()
			if full == "" {
				full = repo
			}
			ev, err := mergedEvent(pr, full, private(pr))
			if err != nil {
				errs = append(errs, fmt.Errorf("github: pull request %s#%d: %w", full, pr.GetNumber(), err))
				continue
			}
			ev.ReceivedAt = c.now().UTC()
			events = append(events, ev)
		}
		if resp.NextPage == 0 {
			return events, errors.Join(errs...)
		}
		opts.Page = resp.NextPage
	}
	return events, errors.Join(append(errs, fmt.Errorf("github: list pull requests of %s: stopped after %d pages; call again with a later since", repo, maxPages))...)
}

// Repositories returns the full names ("owner/name") of owner's
// repositories, for backfilling a watched "owner/*": an organisation's
// (GET /orgs/{owner}/repos, which with a token also lists its private
// ones), or a user's when owner is no organisation. A rate limit ends
// the call with a *RateLimitError (wrapped).
func (c *Client) Repositories(ctx context.Context, owner string) ([]string, error) {
	if !repoPart.MatchString(owner) {
		return nil, bot.Errorf(bot.EINVALID, "github: owner %q is not a GitHub login", owner)
	}
	var (
		names  []string
		byUser bool // owner is no organisation
	)
	for page, pages := 1, 0; page != 0; pages++ {
		if pages == maxPages {
			return names, fmt.Errorf("github: list repositories of %s: stopped after %d pages", owner, maxPages)
		}
		var (
			repos []*gh.Repository
			resp  *gh.Response
			err   error
		)
		lo := gh.ListOptions{PerPage: 100, Page: page}
		if byUser {
			repos, resp, err = c.gh.Repositories.ListByUser(ctx, owner, &gh.RepositoryListByUserOptions{ListOptions: lo})
		} else {
			repos, resp, err = c.gh.Repositories.ListByOrg(ctx, owner, &gh.RepositoryListByOrgOptions{ListOptions: lo})
			if er := (*gh.ErrorResponse)(nil); page == 1 && errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
				byUser, pages = true, -1
				continue
			}
		}
		if err != nil {
			return names, c.wrap("list repositories of "+owner, err)
		}
		for _, r := range repos {
			names = append(names, r.GetFullName())
		}
		page = resp.NextPage
	}
	return names, nil
}

// ProfileBio returns the public profile bio of login (for the bio proof).
// An unknown login is a bot.ENOTFOUND error.
func (c *Client) ProfileBio(ctx context.Context, login string) (string, error) {
	r := bot.Recipient{Platform: bot.PlatformGitHub, ID: login}
	if err := r.Validate(); err != nil {
		return "", err // also keeps the login from changing the request path
	}
	u, _, err := c.gh.Users.Get(ctx, login)
	if err != nil {
		if er := (*gh.ErrorResponse)(nil); errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
			return "", bot.Errorf(bot.ENOTFOUND, "No GitHub user %q.", login)
		}
		return "", c.wrap("get user "+login, err)
	}
	return u.GetBio(), nil
}

// wrap turns go-github's rate-limit errors into a *RateLimitError.
func (c *Client) wrap(doing string, err error) error {
	if reset, ok := c.rateLimitReset(err); ok {
		return &RateLimitError{Reset: reset, Err: fmt.Errorf("%s: %w", doing, err)}
	}
	return fmt.Errorf("github: %s: %w", doing, err)
}

// rateLimitReset reports whether err is a rate limit and when it ends.
func (c *Client) rateLimitReset(err error) (time.Time, bool) {
	now := c.now()
	if e := (*gh.RateLimitError)(nil); errors.As(err, &e) {
		if reset := e.Rate.Reset.Time; !reset.IsZero() {
			return reset, true
		}
		return now.Add(secondaryWait), true
	}
	if e := (*gh.AbuseRateLimitError)(nil); errors.As(err, &e) {
		if e.RetryAfter != nil {
			return now.Add(*e.RetryAfter), true
		}
		return now.Add(secondaryWait), true
	}
	// go-github v60 has no special case for 429, nor for a 403 that carries
	// only Retry-After: read the headers GitHub sends with them.
	if e := (*gh.ErrorResponse)(nil); errors.As(err, &e) && e.Response != nil {
		code, h := e.Response.StatusCode, e.Response.Header
		if code != http.StatusTooManyRequests && code != http.StatusForbidden {
			return time.Time{}, false
		}
		if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s >= 0 {
			return now.Add(time.Duration(s) * time.Second), true
		}
		if h.Get("X-RateLimit-Remaining") == "0" {
			if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
				return time.Unix(s, 0), true
			}
		}
		if code == http.StatusTooManyRequests {
			return now.Add(secondaryWait), true
		}
	}
	return time.Time{}, false
}
