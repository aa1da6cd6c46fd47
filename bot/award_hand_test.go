package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/issuer"
)

// Who may award a badge by hand is the core's rule: its owners (a
// program's owners are stored as owners of each of the program's badges)
// and admins; a badge that needs more than one approval, admins only,
// and the audit trail records the override. An owner of another badge
// may not.
func TestAwardByHandWhoMay(t *testing.T) {
	const docsOwner = "slack:U0DOCS" // owns the docs program
	e := newEnv(t)
	e.Svc.Programs = []bot.Program{{Slug: "docs", Name: "Docs Team"}}
	if _, err := e.Svc.Signer.(*issuer.Issuer).AddProgram(issuer.Program{Slug: "docs", Name: "Docs Team"}); err != nil {
		t.Fatal(err)
	}
	ns := e.Router.Nominations()
	for _, approvals := range []int{1, 2} {
		slug := fmt.Sprintf("docs-guide-%d", approvals)
		b := bottest.Badge(slug, fmt.Sprintf("Docs Guide %d", approvals), bottest.Recipient(t, owner), bottest.Recipient(t, docsOwner))
		b.Program, b.Approvals = "docs", approvals
		if err := e.Svc.SaveBadge(e.Ctx, b); err != nil {
			t.Fatal(err)
		}
		for i, c := range []struct {
			who      string
			may      bool
			override bool
		}{
			{owner, approvals == 1, false},
			{docsOwner, approvals == 1, false},
			{admin, true, approvals > 1},
			{owner2, false, false}, // owns helper, not this badge
		} {
			name := fmt.Sprintf("%s/approvals=%d", c.who, approvals)
			by, err := ns.Party(e.Ctx, bottest.Recipient(t, c.who), "")
			if err != nil {
				t.Fatal(err)
			}
			// A new recipient each time: nobody holds the badge yet.
			to := &bot.Party{Who: bottest.Recipient(t, fmt.Sprintf("slack:U0NEW%d%d", approvals, i)), Name: "Newcomer"}
			ctx := bot.WithOrigin(e.Ctx, bot.Origin{By: c.who, Via: bot.PlatformSlack})
			a, err := ns.AwardByHand(ctx, bot.HandAward{By: by, To: to, Badge: b, Narrative: "wrote the install guide", Via: bot.PlatformSlack})
			if !c.may {
				if bot.ErrorCode(err) != bot.EFORBIDDEN || a != nil {
					t.Errorf("%s: awarded %t, err %v; want EFORBIDDEN", name, a != nil, err)
				}
				if held, err := e.DB.Awards(e.Ctx, bot.AwardFilter{Recipient: to.Who}); err != nil || len(held) != 0 {
					t.Errorf("%s: refused, yet %d awards stored (%v)", name, len(held), err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v; want an award", name, err)
				continue
			}
			if got := strings.Contains(a.SourceRef, "admin override"); got != c.override {
				t.Errorf("%s: source ref %q; override recorded %v, want %v", name, a.SourceRef, got, c.override)
			}
			trail, err := e.DB.Audit(e.Ctx, bot.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, x := range trail {
				if x.Action == bot.AuditAward && x.AwardID == a.ID {
					found = true
					if x.By != c.who || strings.Contains(x.Detail, "override") != c.override {
						t.Errorf("%s: audit entry by %q, detail %q; want by %s, override %v", name, x.By, x.Detail, c.who, c.override)
					}
				}
			}
			if !found {
				t.Errorf("%s: award %s not in the audit trail", name, a.ID)
			}
		}
	}
}
