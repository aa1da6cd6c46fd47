package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// cfgRedacted stands in for a secret that is set.
const cfgRedacted = "[redacted]"

// Redacted returns a copy of c that is safe to log or show: every secret
// that is set reads "[redacted]" (an unset one stays empty, so the copy still
// tells which are set) and URLs lose their passwords. The copy shares no
// slice with c.
func (c Config) Redacted() Config {
	r := c
	r.Admins = slices.Clone(c.Admins)
	r.Server = c.Server.redacted()
	// A key=value connection string ("host=db password=…") is no URL:
	// masked whole.
	if r.Storage.URL = cfgRedactURL(c.Storage.URL); !strings.Contains(c.Storage.URL, "://") {
		r.Storage.URL = cfgRedact(c.Storage.URL)
	}
	r.Slack = c.Slack.redacted()
	r.Discord = c.Discord.redacted()
	r.GitHub = c.GitHub.redacted()
	r.Bugzilla = c.Bugzilla.redacted()
	r.Programs = slices.Clone(c.Programs)
	for i := range r.Programs {
		r.Programs[i].Owners = slices.Clone(r.Programs[i].Owners)
	}
	r.Badges = slices.Clone(c.Badges)
	for i := range r.Badges {
		r.Badges[i].Owners = slices.Clone(r.Badges[i].Owners)
	}
	r.Rules = slices.Clone(c.Rules)
	for i := range r.Rules {
		r.Rules[i].Repositories = slices.Clone(r.Rules[i].Repositories)
		r.Rules[i].Products = slices.Clone(r.Rules[i].Products)
		r.Rules[i].Components = slices.Clone(r.Rules[i].Components)
	}
	return r
}

// String returns c, secrets redacted, as the TOML of a configuration file.
func (c Config) String() string {
	b, err := toml.Marshal(c.Redacted())
	if err != nil {
		return fmt.Sprintf("config: %v", err)
	}
	return string(b)
}

// GoString implements %#v, secrets redacted.
func (c Config) GoString() string {
	type plain Config // no methods, so fmt does not call back here
	r := c.Redacted()
	r.origins = nil
	return cfgGoString("Config", plain(r))
}

// cfgGoString formats v, a method-less copy of a value of type name, as %#v
// formats the original type.
func cfgGoString(name string, v any) string {
	_, fields, _ := strings.Cut(fmt.Sprintf("%#v", v), "{")
	return "main." + name + "{" + fields
}

// LogValue implements slog.LogValuer: one group per table, secrets
// redacted, and the number of [[badges]] and [[rules]].
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("source", c.source)}
	return slog.GroupValue(append(attrs, cfgLogAttrs(reflect.ValueOf(c.Redacted()))...)...)
}

func cfgLogAttrs(v reflect.Value) []slog.Attr {
	var attrs []slog.Attr
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		switch {
		case fv.Kind() == reflect.Struct:
			attrs = append(attrs, slog.Attr{Key: cfgTag(f), Value: slog.GroupValue(cfgLogAttrs(fv)...)})
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct:
			attrs = append(attrs, slog.Int(cfgTag(f), fv.Len()))
		default:
			attrs = append(attrs, slog.Any(cfgTag(f), fv.Interface()))
		}
	}
	return attrs
}

// String formats s as %+v does, secrets redacted.
func (s ServerConfig) String() string {
	type plain ServerConfig
	return fmt.Sprintf("%+v", plain(s.redacted()))
}

// GoString implements %#v, secrets redacted.
func (s ServerConfig) GoString() string {
	type plain ServerConfig
	return cfgGoString("ServerConfig", plain(s.redacted()))
}

func (s ServerConfig) redacted() ServerConfig {
	s.AdminToken = cfgRedact(s.AdminToken)
	s.MetricsToken = cfgRedact(s.MetricsToken)
	s.PublicURL = cfgRedactURL(s.PublicURL)
	return s
}

// String formats s as %+v does, secrets redacted.
func (s SlackConfig) String() string {
	type plain SlackConfig
	return fmt.Sprintf("%+v", plain(s.redacted()))
}

// GoString implements %#v, secrets redacted.
func (s SlackConfig) GoString() string {
	type plain SlackConfig
	return cfgGoString("SlackConfig", plain(s.redacted()))
}

func (s SlackConfig) redacted() SlackConfig {
	s.BotToken = cfgRedact(s.BotToken)
	s.AppToken = cfgRedact(s.AppToken)
	s.SigningSecret = cfgRedact(s.SigningSecret)
	s.APIURL = cfgRedactURL(s.APIURL)
	return s
}

// String formats d as %+v does, secrets redacted.
func (d DiscordConfig) String() string {
	type plain DiscordConfig
	return fmt.Sprintf("%+v", plain(d.redacted()))
}

// GoString implements %#v, secrets redacted.
func (d DiscordConfig) GoString() string {
	type plain DiscordConfig
	return cfgGoString("DiscordConfig", plain(d.redacted()))
}

func (d DiscordConfig) redacted() DiscordConfig {
	d.BotToken = cfgRedact(d.BotToken)
	d.APIURL = cfgRedactURL(d.APIURL)
	return d
}

// String formats g as %+v does, secrets redacted.
func (g GitHubConfig) String() string {
	type plain GitHubConfig
	return fmt.Sprintf("%+v", plain(g.redacted()))
}

// GoString implements %#v, secrets redacted.
func (g GitHubConfig) GoString() string {
	type plain GitHubConfig
	return cfgGoString("GitHubConfig", plain(g.redacted()))
}

func (g GitHubConfig) redacted() GitHubConfig {
	g.WebhookSecret = cfgRedact(g.WebhookSecret)
	g.Token = cfgRedact(g.Token)
	g.APIURL = cfgRedactURL(g.APIURL)
	g.Repositories = slices.Clone(g.Repositories)
	return g
}

// String formats b as %+v does, secrets redacted.
func (b BugzillaConfig) String() string {
	type plain BugzillaConfig
	return fmt.Sprintf("%+v", plain(b.redacted()))
}

// GoString implements %#v, secrets redacted.
func (b BugzillaConfig) GoString() string {
	type plain BugzillaConfig
	return cfgGoString("BugzillaConfig", plain(b.redacted()))
}

func (b BugzillaConfig) redacted() BugzillaConfig {
	b.APIKey = cfgRedact(b.APIKey)
	b.Secret = cfgRedact(b.Secret)
	b.URL = cfgRedactURL(b.URL)
	return b
}

func cfgRedact(secret string) string {
	if secret == "" {
		return ""
	}
	return cfgRedacted
}

// cfgRedactURL masks the password of a URL; a string that does not parse
// is masked whole, as it may be anything.
func cfgRedactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return cfgRedacted
	}
	return u.Redacted()
}
