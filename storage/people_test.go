package storage

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
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
		{"slack:U024BE7LH", strings.Repeat("x", 60), strings.Repeat("x", maxHandle)},
	}
	for _, tt := range tests {
		t.Run(tt.r+"/"+tt.name, func(t *testing.T) {
			if got := handleBase(recipient(t, tt.r), tt.name); got != tt.want {
				t.Errorf("handleBase(%s, %q) = %q, want %q", tt.r, tt.name, got, tt.want)
			}
		})
	}
}

func TestEnsurePerson(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	octocat := recipient(t, "github:octocat")

	p, err := db.EnsurePerson(ctx, octocat, "The Octocat")
	if err != nil {
		t.Fatalf("EnsurePerson: %v", err)
	}
	want := &bot.Person{
		ID: p.ID, Handle: "octocat", Name: "The Octocat", Announce: bot.AnnouncePublic, CreatedAt: t0,
		Identities: []bot.Identity{{Recipient: octocat, PersonID: p.ID, Name: "The Octocat", CreatedAt: t0}},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("new person (-want +got):\n%s", diff)
	}

	again, err := db.EnsurePerson(ctx, octocat, "")
	if err != nil || again.ID != p.ID {
		t.Fatalf("second EnsurePerson = %v, %v; want person %d", again, err, p.ID)
	}
	renamed, err := db.EnsurePerson(ctx, octocat, "Mona")
	if err != nil {
		t.Fatal(err)
	}
	if got := renamed.Identities[0].Name; got != "Mona" {
		t.Errorf("identity name after rename = %q, want Mona", got)
	}
	if renamed.Handle != "octocat" {
		t.Errorf("rename changed the handle to %q", renamed.Handle)
	}

	// Handles stay unique, ignoring case, and are never e-mail addresses.
	for _, c := range []struct{ r, name, handle string }{
		{"slack:U0OCTO1", "Octocat", "octocat-2"},
		{"discord:80351110224678912", "OCTOCAT", "octocat-3"},
		{"email:octocat@example.org", "", "person-4"},
		{"bugzilla:ada@example.org", "", "person-5"},
		{"bugzilla:bob@example.org", "Bob <bob@example.org>", "person-6"},
		{"slack:U0MAIL", "carol@example.org", "u0mail"},
	} {
		p, err := db.EnsurePerson(ctx, recipient(t, c.r), c.name)
		if err != nil {
			t.Fatalf("EnsurePerson(%s): %v", c.r, err)
		}
		if p.Handle != c.handle {
			t.Errorf("EnsurePerson(%s, %q).Handle = %q, want %q", c.r, c.name, p.Handle, c.handle)
		}
		if strings.Contains(p.Handle+p.Name, "@") || strings.Contains(p.Handle, "octocat-4") || strings.Contains(p.Handle+p.Name, "ada") ||
			strings.Contains(p.Handle+p.Name, "bob") || strings.Contains(p.Handle+p.Name, "carol") {
			t.Errorf("person %+v shows an e-mail address", p)
		}
	}

	_, err = db.EnsurePerson(ctx, bot.Recipient{Platform: "github", ID: "not a login"}, "")
	wantCode(t, err, bot.EINVALID)
}

func TestPersonLookups(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	p, err := db.EnsurePerson(ctx, recipient(t, "github:Octocat"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"octocat", "OctoCat"} {
		got, err := db.PersonByHandle(ctx, h)
		if err != nil || got.ID != p.ID {
			t.Errorf("PersonByHandle(%q) = %v, %v; want person %d", h, got, err, p.ID)
		}
	}
	got, err := db.PersonByRecipient(ctx, recipient(t, "github:octocat"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("PersonByRecipient (-want +got):\n%s", diff)
	}
	_, err = db.PersonByHandle(ctx, "nobody")
	wantCode(t, err, bot.ENOTFOUND)
	_, err = db.PersonByRecipient(ctx, recipient(t, "github:nobody"))
	wantCode(t, err, bot.ENOTFOUND)
}

// TestEnsurePersonConcurrent races callers for one identity through two
// handles on one file, as two processes would: one person results.
func TestEnsurePersonConcurrent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "badgebot.db")
	dbs := []*DB{openPath(t, path), openPath(t, path)}
	r := recipient(t, "slack:U024BE7LH")
	const n = 24
	ids := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p, err := dbs[i%2].EnsurePerson(ctx, r, "Ada")
			errs[i] = err
			if err == nil {
				ids[i] = p.ID
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("call %d got person %d, call 0 person %d", i, ids[i], ids[0])
		}
	}
	if got := count(t, dbs[0], "people", ""); got != 1 {
		t.Errorf("%d people, want 1", got)
	}
}

func TestLinkIdentities(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	addBadge(t, db, "first-pr", false)
	addBadge(t, db, "bug-hunter", false)
	slack := recipient(t, "slack:U024BE7LH")
	gh := recipient(t, "github:octocat")

	chatPerson, err := db.EnsurePerson(ctx, slack, "Ada")
	if err != nil {
		t.Fatal(err)
	}
	// Both sides hold first-pr; the GitHub side also holds bug-hunter and
	// has an event.
	a1 := createAward(t, db, "first-pr", slack, t0)
	a2 := createAward(t, db, "first-pr", gh, t0.Add(1))
	a3 := createAward(t, db, "bug-hunter", gh, t0.Add(2))
	ev := []bot.Event{{Kind: bot.EventPRMerged, Key: "github.com/o/r/pull/1", Actor: gh, OccurredAt: t0}}
	processDelivery(t, db, bot.Delivery{Source: "github", ID: "d1", Type: "pull_request"}, ev...)
	ghPerson, err := db.PersonByRecipient(ctx, gh)
	if err != nil {
		t.Fatal(err)
	}

	p, err := db.LinkIdentities(ctx, slack, gh)
	if err != nil {
		t.Fatalf("LinkIdentities: %v", err)
	}
	if p.ID != chatPerson.ID || len(p.Identities) != 2 {
		t.Fatalf("linked person %+v: want person %d with two identities", p, chatPerson.ID)
	}
	for _, id := range p.Identities {
		if !id.Verified {
			t.Errorf("identity %s not verified after the link", id.Recipient)
		}
	}
	if _, err := db.PersonByHandle(ctx, ghPerson.Handle); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("merged-away person %q still there (err %v)", ghPerson.Handle, err)
	}

	// Every award, including both first-pr awards, now belongs to the
	// survivor and is found through either identity.
	for _, r := range []bot.Recipient{slack, gh} {
		got, err := db.Awards(ctx, bot.AwardFilter{Recipient: r})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range got {
			ids = append(ids, a.ID)
			if a.PersonID != p.ID {
				t.Errorf("award %s person %d, want %d", a.ID, a.PersonID, p.ID)
			}
		}
		if diff := cmp.Diff([]string{a3.ID, a2.ID, a1.ID}, ids); diff != "" {
			t.Errorf("awards of %s (-want +got):\n%s", r, diff)
		}
	}
	if n := count(t, db, "events", "person_id = ?", p.ID); n != 1 {
		t.Errorf("%d events moved to the survivor, want 1", n)
	}

	// The badge is still held: no third first-pr.
	err = db.CreateAward(ctx, newAward(t, db, "first-pr", gh), false, nil)
	wantCode(t, err, bot.ECONFLICT)

	// Linking again, either way round, changes nothing.
	again, err := db.LinkIdentities(ctx, gh, slack)
	if err != nil || again.ID != p.ID {
		t.Errorf("second link = %v, %v; want person %d", again, err, p.ID)
	}

	// An identity nobody had yet is created and joins.
	bz := recipient(t, "bugzilla:ada@example.org")
	p, err = db.LinkIdentities(ctx, slack, bz)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Identity(bot.PlatformBugzilla); !ok || len(p.Identities) != 3 {
		t.Errorf("after linking %s: identities %+v", bz, p.Identities)
	}
	if n := count(t, db, "people", ""); n != 1 {
		t.Errorf("%d people, want 1", n)
	}
}

// TestMigratePrivateHandles fills a database of migration 006 with people
// whose handle came from an address's local part, as the code before 008
// made them, and checks that 008 numbers them, keeps the others, and that
// their old handles lead to them and are given to nobody else.
func TestMigratePrivateHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "badgebot.db")
	old, _, err := openWith(t, path, migrations(t, 6, nil))
	if err != nil {
		t.Fatal(err)
	}
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
