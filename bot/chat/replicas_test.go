package chat_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/bot/chat"
	"github.com/badgebot/badgebot/storage"
)

// TestTwoRoutersOnOneDatabase runs the nomination flow on two routers,
// each with its own handle on one database, as two replicas would: no
// process lock orders them, only the store's transactions. Duplicate
// nominations make one nomination and supports; approvals racing for a
// badge needing two make exactly one award, two approvals and one
// decision, for a repeatable badge too (where holding it stops nothing).
func TestTwoRoutersOnOneDatabase(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.Router.WeeklyCap = 0 })
	kudos := bottest.Badge("kudos", "Kudos", bottest.Recipient(t, owner), bottest.Recipient(t, owner2))
	kudos.Approvals, kudos.Repeatable = 2, true
	if err := e.Svc.SaveBadge(e.Ctx, kudos); err != nil {
		t.Fatal(err)
	}
	second, err := storage.Open(e.Ctx, e.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	second.SetNow(e.Clock.Now)
	svc2 := &bot.Service{Store: second, Signer: e.Svc.Signer, BaseURL: e.Svc.BaseURL, Targets: e.Svc.Targets, Log: e.Svc.Log, Now: e.Clock.Now}
	cfg := e.Cfg
	cfg.Service, cfg.Store, cfg.Linker, cfg.WeeklyCap = svc2, second, nil, 0
	cfg.Rules = bot.NewRules(nil, second, svc2)
	routers := []*chat.Router{e.Router, chat.NewRouter(cfg)}
	cmd := func(i int, who, text string) bot.Reply {
		return routers[i%2].Handle(e.Ctx, bot.Command{
			Platform: bot.PlatformSlack, Caller: bottest.Recipient(t, who), CallerName: names[who], Channel: "C0GENERAL", Text: text,
		})
	}
	race := func(fns ...func() bot.Reply) []string {
		out := make([]string, len(fns))
		var wg sync.WaitGroup
		for i, fn := range fns {
			wg.Go(func() { out[i] = text(fn()) })
		}
		wg.Wait()
		return out
	}

	const rounds = 8
	nominees := []string{"slack:U0N1", "slack:U0N2", "slack:U0N3", "slack:U0N4", "slack:U0N5", "slack:U0N6", "slack:U0N7", "slack:U0N8"}
	for round, nominee := range nominees[:rounds] {
		// Two people nominate the same person at once, on different
		// replicas: one nomination, backed by both.
		got := race(
			func() bot.Reply { return cmd(round, bob, "nominate @"+nominee+" kudos always helps") },
			func() bot.Reply { return cmd(round+1, carol, "nominate @"+nominee+" kudos kind reviews") },
		)
		ns, err := e.DB.Nominations(e.Ctx, bot.NominationFilter{Badge: "kudos", Status: bot.NominationPending})
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 1 || len(ns[0].Backers()) != 2 {
			t.Fatalf("round %d: pending nominations %d (want 1, backed by 2); replies %q", round, len(ns), got)
		}
		id := ns[0].ID
		if !strings.Contains(got[0]+got[1], "I added your support") {
			t.Errorf("round %d: neither nominator was told of the support: %q", round, got)
		}

		// Three approvers at once where two approvals are needed.
		approve := "approve " + itoa(id)
		got = race(
			func() bot.Reply { return cmd(round, owner, approve) },
			func() bot.Reply { return cmd(round+1, owner2, approve) },
			func() bot.Reply { return cmd(round, admin, approve) },
		)
		awarded, counted, late := 0, 0, 0
		for _, g := range got {
			switch {
			case strings.Contains(g, "now holds Kudos"):
				awarded++
			case strings.Contains(g, "has 1 of 2 approvals"):
				counted++
			case strings.Contains(g, "was approved already"):
				late++
			default:
				t.Errorf("round %d: unexpected reply %q", round, g)
			}
		}
		if awarded != 1 || counted != 1 || late != 1 {
			t.Errorf("round %d: replies %q; want one award, one counted approval, one too late", round, got)
		}
		as, err := e.DB.Awards(e.Ctx, bot.AwardFilter{Badge: "kudos", Recipient: bottest.Recipient(t, nominee)})
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 1 {
			t.Errorf("round %d: %d Kudos awards for %s, want 1", round, len(as), nominee)
		}
		n := e.Nomination(id)
		if n.Status != bot.NominationApproved || len(n.Approvals) != 2 || (len(as) == 1 && n.AwardID != as[0].ID) {
			t.Errorf("round %d: nomination %+v", round, n)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
