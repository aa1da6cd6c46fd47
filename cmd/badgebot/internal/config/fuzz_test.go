package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot/jobs"
)

// FuzzLoad loads any TOML with any BADGEBOT_ variables and validates
// the result: it never panics, and every problem it reports is one line
// that says where (a file line, a variable or a key) and what.
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile("../../../../config.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	invalid, err := os.ReadFile("testdata/invalid.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example), "BADGEBOT_SERVER_ADMIN_TOKEN=short\nBADGEBOT_ADMINS=slack:U1,github:octocat")
	f.Add(string(invalid), "BADGEBOT_NOMINATIONS_WEEKLY_CAP=x")
	f.Add("[server]\nlisten = 1\n[[badges]]\nslug = \"a\"\n[badges.x]\n", "BADGEBOT_PRIVACY_DELIVERY_RETENTION=0d")
	f.Add("[privacy]\ndelivery_retention = \"9999999999999999999w\"\n", "")
	f.Fuzz(func(t *testing.T, data, env string) {
		path := filepath.Join(t.TempDir(), "badgebot.toml")
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path, strings.Split(env, "\n"))
		if err == nil {
			err = cfg.Validate(jobs.ParseSchedule)
			_ = cfg.String() // and it prints
		}
		var ce *Error
		if err == nil || !errors.As(err, &ce) {
			return
		}
		if len(ce.Problems) == 0 {
			t.Fatal("an Error with no problems")
		}
		for _, p := range ce.Problems {
			if p == "" || strings.Contains(p, "\n") || !strings.Contains(p, ": ") {
				t.Fatalf("problem %q: want one line naming where and what", p)
			}
		}
	})
}
