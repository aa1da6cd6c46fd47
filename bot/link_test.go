package bot_test

import (
	"slices"
	"testing"

	"github.com/badgebot/badgebot/bot"
)

// Link joins two identities at once, records who did it and from where,
// and refuses an identity linked with itself.
func TestLinkerLink(t *testing.T) {
	e := newEnv(t)
	l := &bot.Linker{Store: e.DB}
	gh, slack := bot.Recipient{Platform: bot.PlatformGitHub, ID: "octocat"}, bot.Recipient{Platform: bot.PlatformSlack, ID: "U0ADA"}
	ctx := bot.WithOrigin(e.Ctx, bot.Origin{By: bot.ViaAPI, Via: bot.ViaAPI})

	if _, err := l.Link(ctx, gh, gh); bot.ErrorCode(err) != bot.EINVALID || bot.ErrorMessage(err) != "the two identities are the same" {
		t.Errorf("Link(gh, gh) = %v, want EINVALID", err)
	}
	p, err := l.Link(ctx, slack, gh)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, id := range p.Identities {
		ids = append(ids, id.Recipient.String())
	}
	if !slices.Contains(ids, "github:octocat") || !slices.Contains(ids, "slack:U0ADA") {
		t.Errorf("linked person's identities %v, want both", ids)
	}
	trail, err := e.DB.Audit(e.Ctx, bot.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(trail); n == 0 || trail[n-1].Action != bot.AuditLink || trail[n-1].By != bot.ViaAPI || trail[n-1].Via != bot.ViaAPI {
		t.Errorf("audit trail %+v, want the link by api via api last", trail)
	}
}
