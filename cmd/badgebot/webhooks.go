package main

import (
	"errors"
	"fmt"
	"net/http"
	"path"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
	"github.com/badgebot/badgebot/integrations/bugzilla"
	"github.com/badgebot/badgebot/integrations/github"
)

// webhooks builds the GitHub and Bugzilla receivers and registers their
// normalisers with the ingestor. No secret is built in: a source whose
// secret is empty answers every request 401 with the key to set, stores
// nothing, and is named once in the log at start.
func (a *App) webhooks() (gh, bz http.Handler, err error) {
	a.Ingestor.Register(bot.PlatformGitHub, a.normalizeGitHub)
	if secret := a.Config.GitHub.WebhookSecret; secret == "" {
		gh = a.sourceOff("github", "github.webhook_secret")
	} else if gh, err = github.NewHandler([]byte(secret.Reveal()), a.Ingestor, a.Log.With("source", "github")); err != nil {
		return nil, nil, fmt.Errorf("github webhook: %w", err)
	}

	bc := a.Config.Bugzilla
	if bc.Secret == "" {
		return gh, a.sourceOff("bugzilla", "bugzilla.secret"), nil
	}
	if bc.URL == "" {
		return nil, nil, errors.New("bugzilla: secret is set but url is empty: set bugzilla.url to the Bugzilla base URL")
	}
	norm, err := bugzilla.NewNormalizer(bc.URL.Reveal())
	if err != nil {
		return nil, nil, fmt.Errorf("bugzilla: %w", err)
	}
	bz, err = bugzilla.NewHandler(bc.SecretHeader, []byte(bc.Secret.Reveal()), a.Ingestor, a.Log.With("source", "bugzilla"))
	if err != nil {
		return nil, nil, fmt.Errorf("bugzilla webhook: %w", err)
	}
	a.Ingestor.Register(bot.PlatformBugzilla, func(d bot.WebhookDelivery) (bot.Normalized, error) {
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

// sourceOff is the receiver of a webhook source without its secret: it
// refuses every request, reading no body. It logs once, when built, that
// the source is off.
func (a *App) sourceOff(source, key string) http.Handler {
	a.Log.Warn(source+" webhooks are off: "+key+" is empty", "route", "POST /webhooks/"+source, "answers", http.StatusUnauthorized)
	reason := source + " webhooks are off: set " + key
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusUnauthorized, reason)
	})
}

// normalizeGitHub adapts the GitHub normaliser. Link proofs count only from
// watched repositories.
func (a *App) normalizeGitHub(d bot.WebhookDelivery) (bot.Normalized, error) {
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
			w, err := config.ParseWindow(rc.Window)
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
