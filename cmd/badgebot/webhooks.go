package main

import (
	"errors"
	"fmt"
	"net/http"
	"path"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/integrations/bugzilla"
	"github.com/badgebot/badgebot/integrations/github"
)

// webhooks builds the GitHub and Bugzilla receivers and registers their
// normalisers with the ingestor. A receiver whose secret is empty is not
// built: GitHub's refuses to start (config validation), Bugzilla's stays off.
func (a *App) webhooks() (gh, bz http.Handler, err error) {
	gh, err = github.NewHandler([]byte(a.Config.GitHub.WebhookSecret), a.Ingestor, a.Log.With("source", "github"))
	if err != nil {
		return nil, nil, fmt.Errorf("github webhook: %w", err)
	}
	a.Ingestor.Register(bot.PlatformGitHub, a.normalizeGitHub)

	bc := a.Config.Bugzilla
	if bc.Secret == "" {
		return gh, nil, nil
	}
	if bc.URL == "" {
		return nil, nil, errors.New("bugzilla: secret is set but url is empty: set bugzilla.url to the Bugzilla base URL")
	}
	norm, err := bugzilla.NewNormalizer(bc.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("bugzilla: %w", err)
	}
	bz, err = bugzilla.NewHandler(bc.SecretHeader, []byte(bc.Secret), a.Ingestor, a.Log.With("source", "bugzilla"))
	if err != nil {
		return nil, nil, fmt.Errorf("bugzilla webhook: %w", err)
	}
	a.Ingestor.Register(bot.PlatformBugzilla, func(d bot.Delivery) (bot.Normalized, error) {
		events, err := norm.Normalize(d)
		n := bot.Normalized{Events: events}
		p, ok, perr := norm.Proof(d)
		if ok {
			n.Proofs = append(n.Proofs, bot.LinkProof{
				Identity: bot.Recipient{Platform: bot.PlatformBugzilla, ID: p.Login}, Text: p.Body, URL: p.URL,
			})
		}
		return n, errors.Join(err, perr)
	})
	return gh, bz, nil
}

// normalizeGitHub adapts the GitHub normaliser. Link proofs count only from
// watched repositories.
func (a *App) normalizeGitHub(d bot.Delivery) (bot.Normalized, error) {
	res, err := github.Normalize(d)
	n := bot.Normalized{Events: res.Events}
	for _, p := range res.Proofs {
		if !a.watched(p.Repository) {
			continue
		}
		n.Proofs = append(n.Proofs, bot.LinkProof{
			Identity: bot.Recipient{Platform: bot.PlatformGitHub, ID: p.Login}, Text: p.Body, URL: p.URL,
		})
	}
	return n, err
}

// watched reports whether a repository is one of github.repositories
// ("owner/repo" or "owner/*"); an empty list watches every repository
// that sends webhooks.
func (a *App) watched(repo string) bool {
	if len(a.Config.GitHub.Repositories) == 0 {
		return true
	}
	for _, pat := range a.Config.GitHub.Repositories {
		if ok, _ := path.Match(pat, repo); ok {
			return true
		}
	}
	return false
}

// rules converts the [[rules]] of the config.
func (a *App) rules() ([]bot.Rule, error) {
	var rs []bot.Rule
	for _, rc := range a.Config.Rules {
		r := bot.Rule{
			Name: rc.Name, Badge: rc.Badge, Event: rc.Event, Threshold: rc.Threshold,
			Repositories: rc.Repositories, Products: rc.Products, Components: rc.Components,
		}
		if rc.Window != "" {
			w, err := ParseWindow(rc.Window)
			if err != nil {
				return nil, fmt.Errorf("config: rule %q: window: %w", rc.Name, err)
			}
			r.Window = w
		}
		if err := r.Validate(); err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}
