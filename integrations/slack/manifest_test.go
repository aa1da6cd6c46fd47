package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// schema is the subset of JSON Schema that testdata/manifest.schema.json
// uses.
type schema struct {
	Type                 string             `json:"type"`
	Required             []string           `json:"required"`
	AdditionalProperties *bool              `json:"additionalProperties"`
	Properties           map[string]*schema `json:"properties"`
	Items                *schema            `json:"items"`
	MaxLength            int                `json:"maxLength"`
	MaxItems             int                `json:"maxItems"`
	Pattern              string             `json:"pattern"`
}

// check returns every place where v does not fit s.
func (s *schema) check(path string, v any) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, path+": "+fmt.Sprintf(format, args...)) }
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			fail("want an object")
			return bad
		}
		for _, k := range s.Required {
			if _, ok := m[k]; !ok {
				fail("lacks required %q", k)
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub, ok := s.Properties[k]
			if !ok {
				if s.AdditionalProperties != nil && !*s.AdditionalProperties {
					fail("key %q is not allowed", k)
				}
				continue
			}
			bad = append(bad, sub.check(path+"."+k, m[k])...)
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			fail("want an array")
			return bad
		}
		if s.MaxItems > 0 && len(a) > s.MaxItems {
			fail("%d items, at most %d", len(a), s.MaxItems)
		}
		for i, e := range a {
			bad = append(bad, s.Items.check(fmt.Sprintf("%s[%d]", path, i), e)...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			fail("want a string")
			return bad
		}
		if s.MaxLength > 0 && utf8.RuneCountInString(str) > s.MaxLength {
			fail("%d characters, at most %d", utf8.RuneCountInString(str), s.MaxLength)
		}
		if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(str) {
			fail("%q does not match %s", str, s.Pattern)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("want a boolean")
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			fail("want an integer")
		}
	}
	return bad
}

func loadManifestSchema(t *testing.T) *schema {
	t.Helper()
	data, err := os.ReadFile("testdata/manifest.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s schema
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func TestManifestFitsSlackSchema(t *testing.T) {
	s := loadManifestSchema(t)
	for _, tc := range []struct {
		name   string
		socket bool
	}{{"http", false}, {"socket mode", true}} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Manifest("A Community With A Rather Long Name Indeed", "https://badges.example.org/", tc.socket)
			if err != nil {
				t.Fatal(err)
			}
			var v map[string]any
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			for _, p := range s.check("$", v) {
				t.Error(p)
			}
			var m manifest
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatal(err)
			}
			cmd := m.Features.SlashCommands[0]
			if cmd.Command != "/badge" || !cmd.ShouldEscape {
				t.Errorf("slash command %+v", cmd)
			}
			if !slices.Equal(m.OAuth.Scopes.Bot, BotScopes) || !slices.Contains(m.Settings.EventSubscriptions.BotEvents, "app_mention") {
				t.Errorf("scopes %v, events %v", m.OAuth.Scopes.Bot, m.Settings.EventSubscriptions.BotEvents)
			}
			if !m.Settings.Interactivity.IsEnabled || m.Settings.SocketModeEnabled != tc.socket {
				t.Errorf("settings %+v", m.Settings)
			}
			urls := []string{cmd.URL, m.Settings.Interactivity.RequestURL, m.Settings.EventSubscriptions.RequestURL}
			want := []string{"https://badges.example.org/slack/commands", "https://badges.example.org/slack/interactions", "https://badges.example.org/slack/events"}
			if tc.socket {
				want = []string{"", "", ""}
			}
			if !slices.Equal(urls, want) {
				t.Errorf("URLs %q, want %q", urls, want)
			}
		})
	}
}

func TestManifestSchemaCatchesMistakes(t *testing.T) {
	// The checker itself: a manifest that breaks the shape is caught.
	s := loadManifestSchema(t)
	bad := map[string]any{
		"display_information": map[string]any{"name": strings.Repeat("x", 36)},
		"features":            map[string]any{"slash_commands": []any{map[string]any{"command": "badge"}}},
		"settings":            map[string]any{"interactivity": map[string]any{}, "socket": true},
	}
	got := strings.Join(s.check("$", bad), "\n")
	for _, want := range []string{"36 characters", `lacks required "description"`, `does not match ^/`, `lacks required "is_enabled"`, `key "socket" is not allowed`} {
		if !strings.Contains(got, want) {
			t.Errorf("checker missed %q:\n%s", want, got)
		}
	}
}

func TestManifestRefusesPlainHTTP(t *testing.T) {
	if _, err := Manifest("x", "http://127.0.0.1:8080", false); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("Manifest over http = %v, want an error about https", err)
	}
	if _, err := Manifest("x", "http://127.0.0.1:8080", true); err != nil {
		t.Errorf("Socket Mode needs no public URL: %v", err)
	}
}

func TestCheckTokenReadsScopes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/auth.test" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		r.ParseForm()
		if r.Header.Get("Authorization") != "Bearer xoxb-good" && r.PostForm.Get("token") != "xoxb-good" {
			fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		w.Header().Set("X-OAuth-Scopes", "commands,chat:write,users:read,im:write")
		fmt.Fprint(w, `{"ok":true,"url":"https://example.slack.com/","team":"Example","user":"badgebot","team_id":"T1","user_id":"U1","bot_id":"B1","is_enterprise_install":false}`)
	}))
	defer srv.Close()
	id, err := CheckToken(context.Background(), "xoxb-good", srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if id.Team != "Example" || id.User != "badgebot" {
		t.Errorf("identity %+v", id)
	}
	if want := []string{"app_mentions:read", "users:read.email"}; !slices.Equal(id.Missing, want) {
		t.Errorf("missing %v, want %v", id.Missing, want)
	}
	_, err = CheckToken(context.Background(), "xoxb-bad", srv.URL+"/")
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") || strings.Contains(err.Error(), "xoxb-bad") {
		t.Errorf("bad token: %v", err)
	}
}
