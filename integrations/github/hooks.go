package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/badgebot/badgebot/bot"
	gh "github.com/google/go-github/v60/github"
)

// HookEvents are the webhook events badgebot normalises.
var HookEvents = []string{"issue_comment", "issues", "pull_request", "pull_request_review"}

// HookResult says what EnsureHook did.
type HookResult string

// What EnsureHook did to the repository's webhook.
const (
	HookCreated   HookResult = "created"
	HookUpdated   HookResult = "updated"
	HookUpToDate  HookResult = "already up to date"
	hookJSONType             = "json"
	hookSecureSSL            = "0"
)

// Hook is a repository webhook as badgebot sees it.
type Hook struct {
	ID     int64
	URL    string
	Events []string
	Active bool
	JSON   bool // content type json
}

// splitRepo checks "owner/name" and splits it.
func splitRepo(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || !repoPart.MatchString(owner) || !repoPart.MatchString(name) {
		return "", "", bot.Errorf(bot.EINVALID, "github: repository %q is not OWNER/NAME", repo)
	}
	return owner, name, nil
}

// FindHook returns the webhook of repo that delivers to url, if any.
func (c *Client) FindHook(ctx context.Context, repo, url string) (*Hook, error) {
	h, err := c.findHook(ctx, repo, url)
	if err != nil || h == nil {
		return nil, err
	}
	return &Hook{ID: h.GetID(), URL: h.GetConfig().GetURL(), Events: sortedEvents(h.Events), Active: h.GetActive(),
		JSON: h.GetConfig().GetContentType() == hookJSONType}, nil
}

func (c *Client) findHook(ctx context.Context, repo, url string) (*gh.Hook, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	opts := &gh.ListOptions{PerPage: 100}
	for pages := 0; pages < maxPages; pages++ {
		hooks, resp, err := c.gh.Repositories.ListHooks(ctx, owner, name, opts)
		if err != nil {
			var er *gh.ErrorResponse
			if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
				return nil, bot.Errorf(bot.ENOTFOUND, "github: %s: not found, or the token may not administer its hooks (it needs admin:repo_hook, or a fine-grained token with Webhooks read and write)", repo)
			}
			return nil, c.wrap("list hooks of "+repo, err)
		}
		for _, h := range hooks {
			if h.GetConfig().GetURL() == url {
				return h, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
	return nil, fmt.Errorf("github: list hooks of %s: stopped after %d pages", repo, maxPages)
}

func sortedEvents(events []string) []string {
	e := slices.Clone(events)
	slices.Sort(e)
	return e
}

// EnsureHook makes repo's webhook to url deliver HookEvents as JSON,
// signed with secret: it creates the hook, or updates the one that already
// delivers to url. GitHub never shows a hook's secret, so an existing
// hook's secret is always set again; the result says whether anything it
// does show (events, content type, active, TLS check) had to change.
func (c *Client) EnsureHook(ctx context.Context, repo, url, secret string) (HookResult, int64, error) {
	if secret == "" {
		return "", 0, bot.Errorf(bot.EINVALID, "github: the webhook secret is empty")
	}
	owner, name, err := splitRepo(repo)
	if err != nil {
		return "", 0, err
	}
	want := &gh.Hook{
		Config: &gh.HookConfig{URL: gh.String(url), ContentType: gh.String(hookJSONType),
			InsecureSSL: gh.String(hookSecureSSL), Secret: gh.String(secret)},
		Events: slices.Clone(HookEvents),
		Active: gh.Bool(true),
	}
	old, err := c.findHook(ctx, repo, url)
	if err != nil {
		return "", 0, err
	}
	if old == nil {
		want.Name = gh.String("web")
		h, _, err := c.gh.Repositories.CreateHook(ctx, owner, name, want)
		if err != nil {
			return "", 0, c.wrap("create hook on "+repo, err)
		}
		return HookCreated, h.GetID(), nil
	}
	result := HookUpToDate
	if !slices.Equal(sortedEvents(old.Events), HookEvents) || !old.GetActive() ||
		old.GetConfig().GetContentType() != hookJSONType || old.GetConfig().GetInsecureSSL() != hookSecureSSL {
		result = HookUpdated
	}
	if _, _, err := c.gh.Repositories.EditHook(ctx, owner, name, old.GetID(), want); err != nil {
		return "", 0, c.wrap("update hook on "+repo, err)
	}
	return result, old.GetID(), nil
}

// Viewer returns the login the token belongs to and its scopes (the
// X-OAuth-Scopes header; empty for fine-grained tokens, which have none).
func (c *Client) Viewer(ctx context.Context) (login, scopes string, err error) {
	u, resp, err := c.gh.Users.Get(ctx, "")
	if err != nil {
		return "", "", c.wrap("get the token's user", err)
	}
	return u.GetLogin(), resp.Header.Get("X-OAuth-Scopes"), nil
}
