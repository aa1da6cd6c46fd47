package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/integrations/console"
	"github.com/badgebot/badgebot/internal/golden"
	"github.com/badgebot/badgebot/issuer"
	"github.com/badgebot/badgebot/storage"
)

const baseURL = "https://badges.example.org"

// People of the tests, all on Slack.
const (
	owner  = "slack:U0OWNER"  // owns first-pr and helper
	owner2 = "slack:U0OWNER2" // owns helper
	admin  = "slack:U0ADMIN"
	ada    = "slack:U0ADA"
	bob    = "slack:U0BOB"
	carol  = "slack:U0CAROL"
)

// names are the display names the adapters would report.
var names = map[string]string{owner: "Olive", owner2: "Otto", admin: "Adele", ada: "Ada", bob: "Bob", carol: "Carol"}

// keyDir holds the tests' signing keys; TestMain removes it.
var keyDir string

// keyRing is created once: RSA key generation is slow, and signing with
// one ring from many tests is safe.
var keyRing = sync.OnceValues(func() (*issuer.KeyRing, error) {
	return issuer.OpenKeyRing(filepath.Join(keyDir, "keys"))
})

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "badgebot-bot-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	keyDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is the core wired on a real database and a real issuer, with a
// recording Slack platform and a fake clock.
type env struct {
	t         *testing.T
	ctx       context.Context
	db        *storage.DB
	clock     *bottest.Clock
	slack     *bottest.Platform
	svc       *bot.Service
	router    *bot.Router
	deliverer *bot.Deliverer
	cfg       bot.RouterConfig
}

// newEnv builds an env; mods may change the router's configuration and
// the platforms list before anything is built.
func newEnv(t *testing.T, mods ...func(*envConfig)) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, ctx: ctx, clock: bottest.NewClock(bottest.T0()), slack: bottest.NewPlatform(bot.PlatformSlack)}
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "badgebot.db"))
	if err != nil {
		t.Fatalf("storage.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetNow(e.clock.Now)
	e.db = db
	keys, err := keyRing()
	if err != nil {
		t.Fatalf("key ring: %v", err)
	}
	is, err := issuer.New(issuer.Profile{BaseURL: baseURL, Name: "Example Community"}, keys)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	ec := &envConfig{
		targets:   []bot.Target{{Platform: bot.PlatformSlack, Channel: "C0ANNOUNCE"}},
		platforms: []bot.Platform{e.slack},
		rules: []bot.Rule{
			{Name: "first-merged-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1},
			{Name: "appreciated", Badge: "appreciated", Event: bot.EventNominationApproved, Threshold: 1},
		},
	}
	e.svc = &bot.Service{Store: db, Signer: is, BaseURL: baseURL, Log: log, Now: e.clock.Now}
	ec.router = bot.RouterConfig{
		Service: e.svc, Store: db,
		Linker:         &bot.Linker{Store: db, Now: e.clock.Now},
		Repositories:   []string{"octo/hello"},
		Admins:         []bot.Recipient{bottest.Recipient(t, admin)},
		WeeklyCap:      3,
		Expiry:         14 * 24 * time.Hour,
		ReviewChannels: map[string]string{bot.PlatformSlack: "C0REVIEW"},
		Now:            e.clock.Now,
		BaseURL:        baseURL,
		Log:            log,
	}
	for _, b := range []*bot.Badge{
		bottest.Badge("first-pr", "First Pull Request", bottest.Recipient(t, owner)),
		withApprovals(bottest.Badge("helper", "Helper", bottest.Recipient(t, owner), bottest.Recipient(t, owner2)), 2),
		closed(bottest.Badge("closed", "Closed Badge", bottest.Recipient(t, owner))),
		bottest.Badge("appreciated", "Appreciated"),
		bottest.Badge("orphan", "Orphan"), // no owners: admins review
	} {
		if err := e.svc.SaveBadge(ctx, b); err != nil {
			t.Fatalf("SaveBadge(%s): %v", b.Slug, err)
		}
	}
	for _, m := range mods {
		m(ec)
	}
	e.svc.Targets = ec.targets
	ec.router.Rules = bot.NewRules(ec.rules, db, e.svc)
	e.deliverer = bot.NewDeliverer(bot.DelivererConfig{Store: db, Platforms: ec.platforms, Now: e.clock.Now, Log: log, MaxAttempts: ec.maxAttempts})
	if ec.syncDelivery {
		ec.router.Kick = func() {
			if _, err := e.deliverer.DeliverDue(ctx); err != nil {
				t.Errorf("DeliverDue: %v", err)
			}
		}
	}
	e.cfg = ec.router
	e.router = bot.NewRouter(ec.router)
	return e
}

// envConfig is what newEnv's mods may change.
type envConfig struct {
	router       bot.RouterConfig
	targets      []bot.Target
	platforms    []bot.Platform
	rules        []bot.Rule
	maxAttempts  int
	syncDelivery bool // deliver due announcements whenever the router queues some
}

func withApprovals(b *bot.Badge, n int) *bot.Badge { b.Approvals = n; return b }
func closed(b *bot.Badge) *bot.Badge               { b.Nominations = false; return b }

// cmd runs a command typed on Slack by who. Like the Slack adapter, it
// gives the display names of the people the text mentions.
func (e *env) cmd(who, text string) bot.Reply {
	e.t.Helper()
	r := bottest.Recipient(e.t, who)
	var mentioned map[string]string
	for key, name := range names {
		if strings.Contains(text, "@"+key) {
			if mentioned == nil {
				mentioned = map[string]string{}
			}
			mentioned[key] = name
		}
	}
	return e.router.Handle(e.ctx, bot.Command{
		Platform: bot.PlatformSlack, Caller: r, CallerName: names[who], Channel: "C0GENERAL", Text: text, Names: mentioned,
	})
}

// click presses a button on the Slack message messageID.
func (e *env) click(who, action, value, messageID string) bot.Reply {
	e.t.Helper()
	return e.router.Click(e.ctx, bot.Click{
		Platform: bot.PlatformSlack, Caller: bottest.Recipient(e.t, who), CallerName: names[who],
		Action: action, Value: value, Channel: "C0REVIEW", MessageID: messageID,
	})
}

// deliver runs the outbox worker once and returns how many it delivered.
func (e *env) deliver() int {
	e.t.Helper()
	n, err := e.deliverer.DeliverDue(e.ctx)
	if err != nil {
		e.t.Fatalf("DeliverDue: %v", err)
	}
	return n
}

// awards returns the unrevoked awards of who.
func (e *env) awards(who string) []*bot.Award {
	e.t.Helper()
	as, err := e.db.Awards(e.ctx, bot.AwardFilter{Recipient: bottest.Recipient(e.t, who), Revoked: new(false)})
	if err != nil {
		e.t.Fatal(err)
	}
	return as
}

// nomination returns nomination id.
func (e *env) nomination(id int64) *bot.Nomination {
	e.t.Helper()
	n, err := e.db.Nomination(e.ctx, id)
	if err != nil {
		e.t.Fatalf("Nomination(%d): %v", id, err)
	}
	return n
}

// text renders a reply as the console shows it.
func text(r bot.Reply) string { return console.Render(r.Message) }

// wantText fails unless the reply's rendering contains every part.
func wantText(t *testing.T, r bot.Reply, parts ...string) {
	t.Helper()
	got := text(r)
	for _, p := range parts {
		if !strings.Contains(got, p) {
			t.Errorf("reply %q does not contain %q", got, p)
		}
	}
}

// postsTo returns the posts to a channel.
func postsTo(p *bottest.Platform, channel string) []bottest.Post {
	var out []bottest.Post
	for _, x := range p.Posts() {
		if x.Channel == channel {
			out = append(out, x)
		}
	}
	return out
}

// scrubber replaces random ids (awards, link codes) by stable names, so
// that transcripts can be golden files.
type scrubber struct {
	db   *storage.DB
	seen map[string]string
}

var linkCode = regexp.MustCompile(`badgebot-link-[a-z2-7]{10}`)

func (s *scrubber) scrub(t *testing.T, text string) string {
	t.Helper()
	as, err := s.db.Awards(context.Background(), bot.AwardFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(as) - 1; i >= 0; i-- { // oldest first
		id := as[i].ID
		if _, ok := s.seen[id]; !ok {
			s.seen[id] = fmt.Sprintf("AWARD%d", len(s.seen)+1)
		}
	}
	for id, name := range s.seen {
		text = strings.ReplaceAll(text, id, name)
	}
	return linkCode.ReplaceAllString(text, "badgebot-link-CODE")
}

// golden compares got with testdata/name, rewriting it with -update.
func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), []byte(got))
}
