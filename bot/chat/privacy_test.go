package chat_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/integrations/console"
)

// TestPrivateEventsAwardWithoutTitleOrURL: a merged pull request of a
// private repository and a fixed private bug earn their badges, but
// neither the repository, the title nor the URL reaches the award, its
// signed credential or the announcement; a repeatable badge does not count
// the same private event twice.
func TestPrivateEventsAwardWithoutTitleOrURL(t *testing.T) {
	e := newEnv(t, func(c *envConfig) {
		c.Rules = append(c.Rules,
			bot.Rule{Name: "merger", Badge: "merger", Event: bot.EventPRMerged, Threshold: 1},
			bot.Rule{Name: "fixer", Badge: "orphan", Event: bot.EventBugFixed, Threshold: 1})
	})
	merger := bottest.Badge("merger", "Merger")
	merger.Repeatable = true
	if err := e.Svc.SaveBadge(e.Ctx, merger); err != nil {
		t.Fatal(err)
	}
	at := bottest.T0()
	events := []bot.Event{{
		Source: bot.PlatformGitHub, Kind: bot.EventPRMerged, Key: "github.com/acme/secret-merger-project/pull/9",
		Actor: bottest.Recipient(t, "github:octocat"), Repository: "acme/secret-merger-project",
		URL: "https://github.com/acme/secret-merger-project/pull/9", Private: true, OccurredAt: at, ReceivedAt: at,
	}, {
		Source: bot.PlatformBugzilla, Kind: bot.EventBugFixed, Key: "bugzilla:4815162:fixed",
		Actor: bottest.Recipient(t, "bugzilla:ada@example.org"), Product: "Security",
		URL: "https://bugzilla.example.org/show_bug.cgi?id=4815162", Private: true, OccurredAt: at, ReceivedAt: at,
	}}
	stored, err := e.DB.StoreEvents(e.Ctx, events)
	if err != nil || len(stored) != 2 {
		t.Fatalf("StoreEvents: %d, %v", len(stored), err)
	}
	for range 2 { // the second time: nothing new to count
		if err := e.Cfg.Rules.OnEvents(e.Ctx, stored); err != nil {
			t.Fatal(err)
		}
	}
	e.Deliver()

	secrets := []string{"secret-merger-project", "acme", "pull/9", "show_bug.cgi", "4815162"}
	for who, want := range map[string]string{
		"github:octocat":           "A contribution to a private repository",
		"bugzilla:ada@example.org": "A fix to a private bug",
	} {
		as := e.Awards(who)
		if who == "github:octocat" && len(as) != 2 { // first-pr and merger, once each
			t.Fatalf("awards of %s: %d, want first-pr and merger once each", who, len(as))
		}
		if len(as) == 0 {
			t.Fatalf("no award for %s", who)
		}
		for _, a := range as {
			ev, _ := json.Marshal(a.Evidence)
			if len(a.Evidence) != 1 || a.Evidence[0].Name != want || !strings.HasPrefix(a.Evidence[0].URL, bot.PrivateEvidencePrefix) {
				t.Errorf("%s: evidence %s, want %q and no URL", a.Badge, ev, want)
			}
			for _, s := range secrets {
				if strings.Contains(string(a.Credential), s) || strings.Contains(string(ev), s) || strings.Contains(a.Narrative, s) {
					t.Errorf("%s of %s: %q in the award or its credential", a.Badge, who, s)
				}
			}
		}
	}
	posts := postsTo(e.Slack, "C0ANNOUNCE")
	if len(posts) == 0 {
		t.Fatal("nothing announced")
	}
	for _, p := range posts {
		out := console.Render(p.Message)
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("announcement shows %q:\n%s", s, out)
			}
		}
		for _, f := range p.Message.Fields {
			if f.URL != "" && !strings.HasPrefix(f.URL, "https://") {
				t.Errorf("announcement links %q", f.URL)
			}
		}
	}
}

// TestEmailAddressesRefusedAtInput types e-mail addresses, plain and
// percent-encoded, into every text of chat that reaches an award: a manual
// award's evidence and narrative, a nomination's and a supporter's reason,
// a revocation's reason. Each is refused with what to type instead, and
// nothing is stored or signed.
func TestEmailAddressesRefusedAtInput(t *testing.T) {
	e := newEnv(t)
	refused := func(who, text string) {
		t.Helper()
		r := e.Cmd(who, text)
		if got := textOf(r); !strings.Contains(got, "contains an e-mail address") || !strings.Contains(got, "@mention") {
			t.Errorf("%s: reply %q, want the address refused with what to type instead", text, got)
		}
	}
	refused(owner, "award @slack:U0ADA first-pr https://example.org/report?email=carol%40example.org landed the parser")
	refused(owner, "award @slack:U0ADA first-pr https://example.org/report?email=carol@example.org")
	refused(owner, "award @slack:U0ADA first-pr thanks for helping carol@example.org")
	if as := e.Awards(ada); len(as) != 0 {
		t.Fatalf("awards of ada after refusals: %d", len(as))
	}
	refused(bob, "nominate @slack:U0ADA helper she answered carol@example.org in a day")
	if _, err := e.DB.PendingNomination(e.Ctx, "helper", bottest.Recipient(t, ada)); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Fatalf("a nomination was stored: %v", err)
	}
	// A supporter's reason joins a pending nomination: refused the same.
	wantText(t, e.Cmd(bob, "nominate @slack:U0ADA helper she answers everyone"), "Nomination #")
	refused(carol, "nominate @slack:U0ADA helper mail her at ada%40example.org")
	n, err := e.DB.PendingNomination(e.Ctx, "helper", bottest.Recipient(t, ada))
	if err != nil || len(n.Supporters) != 0 {
		t.Fatalf("pending nomination %+v, %v: want no supporter", n, err)
	}

	wantText(t, e.Cmd(owner, "award @slack:U0ADA first-pr https://github.com/octo/hello/pull/1 landed the parser"), "Awarded")
	as := e.Awards(ada)
	if len(as) != 1 {
		t.Fatalf("awards of ada: %d", len(as))
	}
	refused(admin, "revoke "+as[0].ID+" duplicate of carol@example.org's award")
	if as := e.Awards(ada); len(as) != 1 {
		t.Errorf("the award was revoked")
	}

	// The core refuses for every caller (CLI, API, import), not only chat.
	_, err = e.Svc.Award(e.Ctx, bot.AwardRequest{Badge: "helper", To: bottest.Recipient(t, "github:octocat"), Source: bot.SourceAPI,
		Evidence: []bot.Evidence{{URL: "https://example.org/x?u=carol%40example.org"}}})
	if bot.ErrorCode(err) != bot.EINVALID {
		t.Errorf("API award with an address in its evidence: %v, want EINVALID", err)
	}
}

// TestChatLookupsByEmailAreForAdmins: `of` and `why` about an e-mail
// identity answer admins and its owner; anyone else gets the same refusal
// whether or not someone has the address.
func TestChatLookupsByEmailAreForAdmins(t *testing.T) {
	e := newEnv(t)
	if _, err := e.Svc.Award(e.Ctx, bot.AwardRequest{Badge: "first-pr", To: bottest.Recipient(t, "bugzilla:ada@example.org"), Source: bot.SourceManual,
		Evidence: []bot.Evidence{{URL: "https://github.com/octo/hello/pull/1"}}}); err != nil {
		t.Fatal(err)
	}
	known := textOf(e.Cmd(bob, "of bugzilla:ada@example.org"))
	unknown := textOf(e.Cmd(bob, "of bugzilla:nobody@example.org"))
	if !strings.Contains(known, "Only admins") || known != unknown {
		t.Errorf("bob asks of a known address: %q, of an unknown one: %q; want the same refusal", known, unknown)
	}
	if got := textOf(e.Cmd(bob, "why @bugzilla:ada@example.org first-pr")); !strings.Contains(got, "Only admins") {
		t.Errorf("bob asks why: %q, want the refusal", got)
	}
	if got := textOf(e.Cmd(admin, "of bugzilla:ada@example.org")); !strings.Contains(got, "First Pull Request") {
		t.Errorf("the admin asks: %q, want the award", got)
	}
	if got := textOf(e.Cmd(bob, "of slack:U0ADA")); strings.Contains(got, "Only admins") {
		t.Errorf("bob asks of a chat user: %q", got)
	}
}
