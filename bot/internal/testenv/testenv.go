// Package testenv wires the core on a real database and a real issuer for
// the tests of bot, bot/chat and bot/jobs.
package testenv

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/bot/chat"
	"github.com/badgebot/badgebot/integrations/console"
	"github.com/badgebot/badgebot/internal/golden"
	"github.com/badgebot/badgebot/issuer"
	"github.com/badgebot/badgebot/storage"
)

// BaseURL is the public URL of the tests' server.
const BaseURL = "https://badges.example.org"

// People of the tests, all on Slack.
const (
	Owner  = "slack:U0OWNER"  // owns first-pr and helper
	Owner2 = "slack:U0OWNER2" // owns helper
	Admin  = "slack:U0ADMIN"
	Ada    = "slack:U0ADA"
	Bob    = "slack:U0BOB"
	Carol  = "slack:U0CAROL"
)

// Names are the display names the adapters would report.
var Names = map[string]string{Owner: "Olive", Owner2: "Otto", Admin: "Adele", Ada: "Ada", Bob: "Bob", Carol: "Carol"}

// keyDir holds the tests' signing keys; Main removes it.
var keyDir string

// keyRing is created once: RSA key generation is slow, and signing with
// one ring from many tests is safe.
var keyRing = sync.OnceValues(func() (*issuer.KeyRing, error) {
	return issuer.OpenKeyRing(filepath.Join(keyDir, "keys"))
})

// Main runs the tests of a package: its TestMain calls it.
func Main(m *testing.M) {
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

// Env is the core wired on a real database and a real issuer, with a
// recording Slack platform and a fake clock.
type Env struct {
	T      *testing.T
	Ctx    context.Context
	DB     *storage.DB
	Path   string // the database file
	Clock  *bottest.Clock
	Slack  *bottest.Platform
	Svc    *bot.Service
	Router *chat.Router
	Worker *bot.OutboxWorker
	Cfg    chat.RouterConfig
}

// New builds an Env; mods may change the router's configuration and
// the platforms list before anything is built.
func New(t *testing.T, mods ...func(*Config)) *Env {
	t.Helper()
	ctx := context.Background()
	e := &Env{T: t, Ctx: ctx, Clock: bottest.NewClock(bottest.T0()), Slack: bottest.NewPlatform(bot.PlatformSlack)}
	e.Path = filepath.Join(t.TempDir(), "badgebot.db")
	db, err := storage.Open(ctx, e.Path)
	if err != nil {
		t.Fatalf("storage.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetNow(e.Clock.Now)
	e.DB = db
	keys, err := keyRing()
	if err != nil {
		t.Fatalf("key ring: %v", err)
	}
	is, err := issuer.New(issuer.Profile{BaseURL: BaseURL, Name: "Example Community"}, keys)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	ec := &Config{
		Targets:   []bot.Target{{Platform: bot.PlatformSlack, Channel: "C0ANNOUNCE"}},
		Platforms: []bot.Platform{e.Slack},
		Rules: []bot.Rule{
			{Name: "first-merged-pr", Badge: "first-pr", Event: bot.EventPRMerged, Threshold: 1},
			{Name: "appreciated", Badge: "appreciated", Event: bot.EventNominationApproved, Threshold: 1},
		},
	}
	e.Svc = &bot.Service{Store: db, Signer: is, BaseURL: BaseURL, Log: log, Now: e.Clock.Now}
	ec.Router = chat.RouterConfig{
		Service: e.Svc, Store: db,
		Linker:         &bot.Linker{Store: db, Now: e.Clock.Now},
		Repositories:   []string{"octo/hello"},
		Admins:         []bot.Recipient{bottest.Recipient(t, Admin)},
		WeeklyCap:      3,
		Expiry:         14 * 24 * time.Hour,
		ReviewChannels: map[string]string{bot.PlatformSlack: "C0REVIEW"},
		Now:            e.Clock.Now,
		BaseURL:        BaseURL,
		Log:            log,
	}
	for _, b := range []*bot.Badge{
		bottest.Badge("first-pr", "First Pull Request", bottest.Recipient(t, Owner)),
		WithApprovals(bottest.Badge("helper", "Helper", bottest.Recipient(t, Owner), bottest.Recipient(t, Owner2)), 2),
		Closed(bottest.Badge("closed", "Closed Badge", bottest.Recipient(t, Owner))),
		bottest.Badge("appreciated", "Appreciated"),
		bottest.Badge("orphan", "Orphan"), // no owners: admins review
	} {
		if err := e.Svc.SaveBadge(ctx, b); err != nil {
			t.Fatalf("SaveBadge(%s): %v", b.Slug, err)
		}
	}
	for _, m := range mods {
		m(ec)
	}
	e.Svc.Targets = ec.Targets
	ec.Router.Rules = bot.NewRules(ec.Rules, db, e.Svc)
	e.Worker = bot.NewOutboxWorker(bot.OutboxWorkerConfig{Store: db, Platforms: ec.Platforms, Now: e.Clock.Now, Log: log, MaxAttempts: ec.MaxAttempts})
	if ec.SyncDelivery {
		ec.Router.Kick = func() {
			if _, err := e.Worker.DeliverDue(ctx); err != nil {
				t.Errorf("DeliverDue: %v", err)
			}
		}
	}
	e.Cfg = ec.Router
	e.Router = chat.NewRouter(ec.Router)
	return e
}

// Config is what New's mods may change.
type Config struct {
	Router       chat.RouterConfig
	Targets      []bot.Target
	Platforms    []bot.Platform
	Rules        []bot.Rule
	MaxAttempts  int
	SyncDelivery bool // Deliver due announcements whenever the router queues some
}

// WithApprovals sets the approvals a badge needs.
func WithApprovals(b *bot.Badge, n int) *bot.Badge { b.Approvals = n; return b }

// Closed closes a badge to nominations.
func Closed(b *bot.Badge) *bot.Badge { b.Nominations = false; return b }

// Cmd runs a command typed on Slack by who. Like the Slack adapter, it
// gives the display names of the people the text mentions.
func (e *Env) Cmd(who, text string) bot.Reply {
	e.T.Helper()
	r := bottest.Recipient(e.T, who)
	var mentioned map[string]string
	for key, name := range Names {
		if strings.Contains(text, "@"+key) {
			if mentioned == nil {
				mentioned = map[string]string{}
			}
			mentioned[key] = name
		}
	}
	return e.Router.Handle(e.Ctx, bot.Command{
		Platform: bot.PlatformSlack, Caller: r, CallerName: Names[who], Channel: "C0GENERAL", Text: text, Names: mentioned,
	})
}

// Click presses a button on the Slack message messageID.
func (e *Env) Click(who, action, value, messageID string) bot.Reply {
	e.T.Helper()
	return e.Router.Click(e.Ctx, bot.Click{
		Platform: bot.PlatformSlack, Caller: bottest.Recipient(e.T, who), CallerName: Names[who],
		Action: action, Value: value, Channel: "C0REVIEW", MessageID: messageID,
	})
}

// deliver runs the outbox worker once and returns how many it delivered.
func (e *Env) Deliver() int {
	e.T.Helper()
	n, err := e.Worker.DeliverDue(e.Ctx)
	if err != nil {
		e.T.Fatalf("DeliverDue: %v", err)
	}
	return n
}

// Awards returns the unrevoked awards of who, each read whole, with the
// signed credential a listing leaves out.
func (e *Env) Awards(who string) []*bot.Award {
	e.T.Helper()
	as, err := e.DB.Awards(e.Ctx, bot.AwardFilter{Recipient: bottest.Recipient(e.T, who), Revoked: new(false)})
	if err != nil {
		e.T.Fatal(err)
	}
	for i, a := range as {
		if as[i], err = e.DB.Award(e.Ctx, a.ID); err != nil {
			e.T.Fatal(err)
		}
	}
	return as
}

// Nomination returns nomination id.
func (e *Env) Nomination(id int64) *bot.Nomination {
	e.T.Helper()
	n, err := e.DB.Nomination(e.Ctx, id)
	if err != nil {
		e.T.Fatalf("Nomination(%d): %v", id, err)
	}
	return n
}

// Text renders a reply as the console shows it.
func Text(r bot.Reply) string { return console.Render(r.Message) }

// WantText fails unless the reply's rendering contains every part.
func WantText(t *testing.T, r bot.Reply, parts ...string) {
	t.Helper()
	got := Text(r)
	for _, p := range parts {
		if !strings.Contains(got, p) {
			t.Errorf("reply %q does not contain %q", got, p)
		}
	}
}

// PostsTo returns the posts to a channel.
func PostsTo(p *bottest.Platform, channel string) []bottest.Post {
	var out []bottest.Post
	for _, x := range p.Posts() {
		if x.Channel == channel {
			out = append(out, x)
		}
	}
	return out
}

// Scrubber replaces random ids (awards, link codes) by stable names, so
// that transcripts can be golden files.
type Scrubber struct {
	db   *storage.DB
	seen map[string]string
	// bySecond numbers awards of the same second by badge and recipient,
	// not in the order they were stored (BySecond).
	bySecond bool
}

// NewScrubber returns a Scrubber of the awards in db.
func NewScrubber(db *storage.DB) *Scrubber { return &Scrubber{db: db, seen: map[string]string{}} }

// BySecond makes s number awards made in the same second by badge and
// recipient: a sweep stores several at once, in no set order.
func (s *Scrubber) BySecond() *Scrubber {
	s.bySecond = true
	return s
}

var linkCode = regexp.MustCompile(`badgebot-link-[a-z2-7]{10}`)

// Scrub replaces the ids in text.
func (s *Scrubber) Scrub(t *testing.T, text string) string {
	t.Helper()
	as, err := s.db.Awards(context.Background(), bot.AwardFilter{})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(as) // oldest first
	if s.bySecond {
		slices.SortStableFunc(as, func(a, b *bot.Award) int {
			return cmp.Or(a.IssuedAt.Compare(b.IssuedAt), strings.Compare(a.Badge, b.Badge),
				strings.Compare(a.Recipient.String(), b.Recipient.String()))
		})
	}
	for _, a := range as {
		if _, ok := s.seen[a.ID]; !ok {
			s.seen[a.ID] = fmt.Sprintf("AWARD%d", len(s.seen)+1)
		}
	}
	for id, name := range s.seen {
		text = strings.ReplaceAll(text, id, name)
	}
	return linkCode.ReplaceAllString(text, "badgebot-link-CODE")
}

// GoldenFile compares got with testdata/name, rewriting it with -update.
func GoldenFile(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), []byte(got))
}
