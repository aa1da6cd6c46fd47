package storage

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
)

func TestHandleBase(t *testing.T) {
	tests := []struct {
		r    string
		name string
		want string
	}{
		{"github:octocat", "The Octocat", "octocat"},
		{"github:ada-l", "", "ada-l"},
		{"slack:U024BE7LH", "Ada Lovelace", "ada-lovelace"},
		{"slack:U024BE7LH", "", "u024be7lh"},
		{"discord:80351110224678912", "  zoë 🚀 ", "zoë"},
		{"discord:80351110224678912", "🚀", "discord"},
		{"console:alice", "", "alice"},
		{"console:alice", "ada@example.org", "alice"},
		{"slack:U024BE7LH", "Ada <ada%40example.org>", "u024be7lh"},
		{"slack:U024BE7LH", "..hidden..", "hidden"},
		{"slack:U024BE7LH", "a/b?c#d:e", "a-b-c-d-e"},
		{"slack:U024BE7LH", strings.Repeat("x", 60), strings.Repeat("x", 39)}, // GitHub's login limit
	}
	for _, tt := range tests {
		t.Run(tt.r+"/"+tt.name, func(t *testing.T) {
			if got := handleBase(recipient(t, tt.r), tt.name); got != tt.want {
				t.Errorf("handleBase(%s, %q) = %q, want %q", tt.r, tt.name, got, tt.want)
			}
		})
	}
}

// TestMigratePrivateHandles fills a database of migration 006 with people
// whose handle came from an address's local part, as the code before 008
// made them, and checks that 008 numbers them, keeps the others, and that
// their old handles lead to them and are given to nobody else.
func TestMigratePrivateHandles(t *testing.T) {
	ctx := context.Background()
	old, path := oldDatabase(t, 6)
	for _, q := range []string{
		`INSERT INTO people (id, handle, name, created_at) VALUES
			(1, 'alice', 'alice', 0), (2, 'dev-bmo', 'Dev Eloper', 0), (3, 'ada', 'Ada', 0),
			(4, 'ada-2', 'ada-2', 0), (5, 'bob', 'Bob', 0), (6, 'carol', 'carol@example.org', 0),
			(7, 'person-8', 'person-8', 0), (8, 'zed', 'zed', 0)`,
		`INSERT INTO identities (platform, id, person_id, name, created_at) VALUES
			('email', 'alice@example.org', 1, '', 0),
			('bugzilla', 'dev+bmo@example.org', 2, 'Dev Eloper', 0),
			('github', 'ada', 3, '', 0), ('email', 'ada@example.org', 3, '', 0),
			('bugzilla', 'ada@example.net', 4, '', 0),
			('slack', 'U0BOB', 5, 'Bob', 0), ('email', 'bob@example.org', 5, '', 0),
			('slack', 'U0CAROL', 6, 'carol@example.org', 0),
			('console', 'person-8', 7, '', 0),
			('email', 'zed@example.org', 8, '', 0)`,
	} {
		if _, err := old.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db, applied, err := openWith(t, path, migrationFS())
	if err != nil || !slices.Contains(applied, "008_private_handles.sql") {
		t.Fatalf("migrate: %v, applied %v", err, applied)
	}
	for id, want := range map[int64][2]string{
		1: {"person-1", "person-1"},
		2: {"person-2", "Dev Eloper"},
		3: {"ada", "Ada"}, // the GitHub login gives it
		4: {"person-4", "person-4"},
		5: {"bob", "Bob"}, // the chat name gives it
		6: {"person-6", "person-6"},
		7: {"person-8", "person-8"},
	} {
		var handle, name string
		if err := db.r.QueryRowContext(ctx, `SELECT handle, name FROM people WHERE id = ?`, id).Scan(&handle, &name); err != nil {
			t.Fatal(err)
		}
		if handle != want[0] || name != want[1] {
			t.Errorf("person %d: handle %q name %q, want %q %q", id, handle, name, want[0], want[1])
		}
	}
	// person-8 was taken by someone else: zed gets another.
	var zed string
	if err := db.r.QueryRowContext(ctx, `SELECT handle FROM people WHERE id = 8`).Scan(&zed); err != nil || !strings.HasPrefix(zed, "person-8-") {
		t.Errorf("zed's handle %q, %v: want person-8-…", zed, err)
	}
	for old, want := range map[string]string{"alice": "person-1", "Dev-BMO": "person-2", "ada-2": "person-4", "carol": "person-6", "zed": zed} {
		if got, err := db.HandleRedirect(ctx, old); err != nil || got != want {
			t.Errorf("HandleRedirect(%q) = %q, %v; want %q", old, got, err, want)
		}
	}
	_, err = db.HandleRedirect(ctx, "ada")
	wantCode(t, err, bot.ENOTFOUND)

	// An old handle is given to nobody else, and a new e-mail person is numbered.
	p, err := db.EnsurePerson(ctx, recipient(t, "github:alice"), "")
	if err != nil || p.Handle != "alice-2" {
		t.Errorf("github:alice: %v, %v; want handle alice-2", p, err)
	}
	p, err = db.EnsurePerson(ctx, recipient(t, "email:yan@example.org"), "")
	if err != nil || p.Handle != "person-10" {
		t.Errorf("email:yan: %v, %v; want handle person-10", p, err)
	}
	// Redirects follow a person into a link.
	if _, err := db.LinkIdentities(ctx, recipient(t, "github:ada"), recipient(t, "email:alice@example.org")); err != nil {
		t.Fatal(err)
	}
	if got, err := db.HandleRedirect(ctx, "alice"); err != nil || got != "ada" {
		t.Errorf("HandleRedirect(alice) after the link = %q, %v; want ada", got, err)
	}
}
