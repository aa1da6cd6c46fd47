package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestKeyDirPaths: a relative key_dir is relative to the config file that
// sets it; from the environment or the built-in config, to the working
// directory; empty, beside the database.
func TestKeyDirPaths(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "etc", "badgebot.toml")
	os.MkdirAll(filepath.Dir(path), 0o700)
	write := func(body string) {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		file string
		env  []string
		want string
	}{
		{"relative in the file", "[issuer]\nkey_dir = \"secret/keys\"\n", nil, filepath.Join(dir, "etc", "secret", "keys")},
		{"absolute in the file", "[issuer]\nkey_dir = \"/srv/keys\"\n", nil, "/srv/keys"},
		{"empty: beside the database", "[storage]\npath = \"/var/lib/badgebot/b.db\"\n", nil, "/var/lib/badgebot/keys"},
		{"default database", "", nil, filepath.Join("data", "keys")},
		{"relative from the environment", "[issuer]\nkey_dir = \"secret/keys\"\n", []string{"BADGEBOT_ISSUER_KEY_DIR=env/keys"}, filepath.Join("env", "keys")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(tt.file)
			cfg, err := Load(path, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.KeyDir(); got != tt.want {
				t.Errorf("KeyDir() = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("built-in config", func(t *testing.T) {
		t.Chdir(t.TempDir())
		cfg, err := Load(DefaultPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.KeyDir(); got != filepath.Join("data", "keys") {
			t.Errorf("KeyDir() = %q, want data/keys beside data/badgebot.db", got)
		}
	})
}
