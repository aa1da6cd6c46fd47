package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// cfgRedacted stands in for a secret that is set.
const cfgRedacted = "[redacted]"

// Secret is a configuration value that must not be shown: a token, a
// password, a connection string. However it is printed (fmt verbs, %#v,
// JSON, TOML or any TextMarshaler user, slog) it reads "[redacted]" when
// set and "" when not, so that the output still tells which are set, and
// no table needs redaction code of its own. Reveal returns the value, for
// the one place that uses it.
type Secret string

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", or "" if s is not set.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return cfgRedacted
}

// GoString implements %#v: the redacted value, quoted.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.String()) }

// Format redacts every verb; %#v is GoString.
func (s Secret) Format(f fmt.State, verb rune) { formatShown(f, verb, s.String()) }

// formatShown prints shown, what a Secret or SecretURL shows of itself,
// for every verb; quoted for %#v.
func formatShown(f fmt.State, verb rune, shown string) {
	if verb == 'v' && f.Flag('#') {
		shown = fmt.Sprintf("%q", shown)
	}
	_, _ = io.WriteString(f, shown)
}

// MarshalText redacts: TOML (Config.String) and other text encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON redacts.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// SecretURL is a URL that may carry a password (a PostgreSQL URL, an API
// endpoint): printed like Secret, but with only the password masked, so
// the host still shows. A value that is not a URL is masked whole.
type SecretURL string

// Reveal returns the URL itself.
func (u SecretURL) Reveal() string { return string(u) }

// String returns the URL with its password masked.
func (u SecretURL) String() string {
	switch p, err := url.Parse(string(u)); {
	case u == "":
		return ""
	case err != nil || !strings.Contains(string(u), "://"):
		// A key=value connection string ("host=db password=…") is no URL.
		return cfgRedacted
	default:
		return p.Redacted()
	}
}

// GoString implements %#v: the masked value, quoted.
func (u SecretURL) GoString() string { return fmt.Sprintf("%q", u.String()) }

// Format masks the password for every verb; %#v is GoString.
func (u SecretURL) Format(f fmt.State, verb rune) { formatShown(f, verb, u.String()) }

// MarshalText masks the password.
func (u SecretURL) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// MarshalJSON masks the password.
func (u SecretURL) MarshalJSON() ([]byte, error) { return json.Marshal(u.String()) }

// LogValue implements slog.LogValuer.
func (u SecretURL) LogValue() slog.Value { return slog.StringValue(u.String()) }

// String returns c as the TOML of a configuration file, secrets redacted.
// go-toml does not call MarshalText on types whose kind is string, so the
// copy it encodes has the redacted text in place of each secret.
func (c Config) String() string {
	r := c
	cfgRedactValue(reflect.ValueOf(&r).Elem())
	b, err := toml.Marshal(r)
	if err != nil {
		return fmt.Sprintf("config: %v", err)
	}
	return string(b)
}

// cfgRedactValue replaces, in the settable v, every Secret and SecretURL
// by its printed form, copying slices of tables before it changes them.
func cfgRedactValue(v reflect.Value) {
	switch x := v.Interface().(type) {
	case Secret:
		v.SetString(x.String())
		return
	case SecretURL:
		v.SetString(x.String())
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				cfgRedactValue(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Struct && v.Len() > 0 {
			v.Set(reflect.AppendSlice(reflect.MakeSlice(v.Type(), 0, v.Len()), v))
			for i := range v.Len() {
				cfgRedactValue(v.Index(i))
			}
		}
	}
}

// GoString implements %#v, secrets redacted, without the bookkeeping of
// where values came from.
func (c Config) GoString() string {
	type plain Config // no methods, so fmt does not call back here
	p := plain(c)
	p.origins = nil
	return "config.Config" + fmt.Sprintf("%#v", p)[len("config.plain"):]
}

// LogValue implements slog.LogValuer: one group per table, secrets
// redacted, and the number of entries of each array of tables.
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("source", c.source)}
	return slog.GroupValue(append(attrs, cfgLogAttrs(reflect.ValueOf(c))...)...)
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
