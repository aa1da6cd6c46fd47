package storetest

import (
	"context"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

// testSigningKeysRecordedWithAwards: every stored award's key is listed,
// in the award's own transaction: an award refused records nothing.
func testSigningKeysRecordedWithAwards(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	keys, any, err := db.SigningKeys(ctx)
	if err != nil || any || len(keys) != 0 {
		t.Fatalf("empty database: keys %v, any award %v, err %v", keys, any, err)
	}
	addBadge(t, db, "first-pr", false)
	addBadge(t, db, "helper", true)
	signed := func(badge, to, key string) (*bot.Award, error) {
		a := newAward(t, db, badge, recipient(t, to))
		a.SigningKey = key
		return a, db.CreateAward(ctx, a, badge == "helper", nil)
	}
	first, err := signed("first-pr", "github:octocat", "z6MkOld")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signed("helper", "github:octocat", "z6MkOld"); err != nil {
		t.Fatal(err)
	}
	second, err := signed("helper", "github:hubot", "z6MkNew")
	if err != nil {
		t.Fatal(err)
	}
	_, err = signed("first-pr", "github:octocat", "z6MkRefused")
	wantCode(t, err, bot.ECONFLICT)

	keys, any, err = db.SigningKeys(ctx)
	if err != nil || !any {
		t.Fatalf("any award %v, err %v", any, err)
	}
	want := map[string]string{"z6MkOld": first.ID, "z6MkNew": second.ID}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("signing keys (-want +got):\n%s", diff)
	}
}
