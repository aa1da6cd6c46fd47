package jobs_test

import (
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/badgebot/badgebot/bot/internal/testenv"
)

// The core wired for tests, and its people: see testenv.
type (
	env       struct{ *testenv.Env }
	envConfig = testenv.Config
)

const (
	baseURL = testenv.BaseURL
	owner   = testenv.Owner
	owner2  = testenv.Owner2
	admin   = testenv.Admin
	ada     = testenv.Ada
	bob     = testenv.Bob
	carol   = testenv.Carol
)

var names = testenv.Names

func TestMain(m *testing.M) { testenv.Main(m) }

func newEnv(t *testing.T, mods ...func(*envConfig)) *env { return &env{testenv.New(t, mods...)} }

func wantText(t *testing.T, r bot.Reply, parts ...string) {
	t.Helper()
	testenv.WantText(t, r, parts...)
}
func postsTo(p *bottest.Platform, channel string) []bottest.Post { return testenv.PostsTo(p, channel) }
func goldenFile(t *testing.T, name, got string)                  { t.Helper(); testenv.GoldenFile(t, name, got) }
