package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// testReplicas races writers on two handles of one database, as two
// processes or replicas would, for each thing that must happen once.
func testReplicas(t *testing.T, open Opener) {
	ctx := context.Background()
	first := openAt(t, open)
	second := first.Reopen(t)
	second.SetNow(func() time.Time { return t0 })
	dbs := []DB{first, second}
	addBadge(t, first, "first-pr", false)
	race := func(n int, fn func(i int, db DB) error) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = fn(i, dbs[i%2]) })
		}
		wg.Wait()
		return errs
	}

	t.Run("status indexes never collide", func(t *testing.T) {
		const n = 40
		firsts := make([]int, n)
		errs := race(n, func(i int, db DB) (err error) {
			firsts[i], err = db.ReserveStatusIndexes(ctx, 1+i%3)
			return err
		})
		countWins(t, errs, "", "call")
		used := map[int]int{}
		for i, f := range firsts {
			for k := range 1 + i%3 {
				if j, ok := used[f+k]; ok {
					t.Fatalf("index %d reserved by calls %d and %d", f+k, j, i)
				}
				used[f+k] = i
			}
		}
	})

	t.Run("one event per key", func(t *testing.T) {
		const n = 12
		for i := range n {
			d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: fmt.Sprintf("race-%d", i), Type: "pull_request", Body: []byte(`{}`)}
			if _, err := first.SaveDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		pending, err := first.PendingDeliveriesAfter(ctx, 0, 100)
		if err != nil || len(pending) < n {
			t.Fatalf("pending: %d, %v", len(pending), err)
		}
		stored := make([]int, 2*n)
		// Every delivery completed twice, once on each handle, and every
		// one carrying the same event: one event, one completion each.
		errs := race(2*n, func(i int, db DB) error {
			ev := prEvent(t, "77", "github:racer")
			got, err := db.CompleteDelivery(ctx, pending[i/2], []bot.Event{ev}, "")
			stored[i] = len(got)
			return err
		})
		countWins(t, errs, "", "call")
		total := 0
		for _, s := range stored {
			total += s
		}
		if total != 1 || count(t, first, "events", "key = ?", "github.com/o/r/pull/77") != 1 {
			t.Errorf("%d events reported stored, %d rows; want 1", total, count(t, first, "events", "key = ?", "github.com/o/r/pull/77"))
		}
		if got := count(t, first, "deliveries", "processed_at IS NULL"); got != 0 {
			t.Errorf("%d deliveries still pending", got)
		}
	})

	t.Run("nomination cap", func(t *testing.T) {
		const n, limit = 10, 3
		ids := make([]int64, n)
		for i := range n {
			id, err := dbs[i%2].NextNominationID(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = id
		}
		errs := race(n, func(i int, db DB) error {
			return db.CreateNomination(ctx, &bot.Nomination{
				ID: ids[i], Badge: "first-pr", Nominee: recipient(t, fmt.Sprintf("github:nominee%d", i)),
				Nominator: recipient(t, "slack:U0CAPPED"), Reason: "for the docs",
			}, bot.NominationLimit{Max: limit, Since: t0.Add(-7 * 24 * time.Hour)}, nil)
		})
		if got := countWins(t, errs, bot.ELIMIT, "call"); got != limit {
			t.Errorf("%d nominations made, want the cap of %d", got, limit)
		}
	})

	t.Run("one pending nomination per nominee", func(t *testing.T) {
		const n = 8
		errs := race(n, func(i int, db DB) error {
			id, err := db.NextNominationID(ctx)
			if err != nil {
				return err
			}
			return db.CreateNomination(ctx, &bot.Nomination{
				ID: id, Badge: "first-pr", Nominee: recipient(t, "github:popular"),
				Nominator: recipient(t, fmt.Sprintf("slack:U0FAN%d", i)), Reason: "great work",
			}, bot.NominationLimit{}, nil)
		})
		if got := countWins(t, errs, bot.ECONFLICT, "call"); got != 1 {
			t.Errorf("%d pending nominations made, want 1", got)
		}
	})

	t.Run("one decision", func(t *testing.T) {
		n, err := first.PendingNomination(ctx, "first-pr", recipient(t, "github:popular"))
		if err != nil {
			t.Fatal(err)
		}
		errs := race(6, func(i int, db DB) error {
			return db.DecideNomination(ctx, &bot.NominationDecision{
				ID: n.ID, Status: bot.NominationApproved, By: recipient(t, fmt.Sprintf("slack:U0OWNER%d", i)), Approve: true,
				Notices: []bot.Announcement{{Platform: bot.PlatformSlack, Channel: "C0NOTICE", Kind: bot.KindNotice, Message: bot.Message{Text: "approved"}}},
			})
		})
		if got := countWins(t, errs, bot.ECONFLICT, "call"); got != 1 {
			t.Errorf("%d decisions, want 1", got)
		}
		if got := count(t, first, "nomination_approvals", "nomination_id = ?", n.ID); got != 1 {
			t.Errorf("%d approvals stored, want 1", got)
		}
		if got := count(t, first, "outbox", "channel = 'C0NOTICE'"); got != 1 {
			t.Errorf("%d notices queued, want 1", got)
		}
	})

	testApprovalRaces(t, dbs)

	t.Run("one digest per week", func(t *testing.T) {
		errs := race(6, func(i int, db DB) error {
			return db.RecordDigest(ctx, &bot.DigestRun{Week: "2026-W48", Since: t0.Add(-7 * 24 * time.Hour), Until: t0},
				[]bot.Announcement{{Platform: bot.PlatformSlack, Channel: "C0DIGEST", Message: bot.Message{Title: "This week"}}})
		})
		if got := countWins(t, errs, bot.ECONFLICT, "call"); got != 1 {
			t.Errorf("%d digests recorded, want 1", got)
		}
		if got := count(t, first, "outbox", "channel = 'C0DIGEST'"); got != 1 {
			t.Errorf("%d digest posts queued, want 1", got)
		}
	})

	t.Run("each announcement claimed once", func(t *testing.T) {
		out := make([]bot.Announcement, 50)
		for i := range out {
			out[i] = bot.Announcement{Platform: bot.PlatformSlack, Channel: "C0CLAIM", Kind: bot.KindNotice, Message: bot.Message{Text: fmt.Sprint(i)}}
		}
		if err := first.Enqueue(ctx, out); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		claims := map[int64]int{}
		errs := race(10, func(i int, db DB) error {
			for {
				due, err := db.DueAnnouncements(ctx, t0.Add(time.Hour), 3)
				if err != nil || len(due) == 0 {
					return err
				}
				mu.Lock()
				for _, a := range due {
					claims[a.ID]++
				}
				mu.Unlock()
			}
		})
		countWins(t, errs, "", "call")
		for _, a := range out {
			if claims[a.ID] != 1 {
				t.Errorf("announcement %d claimed %d times, want once", a.ID, claims[a.ID])
			}
		}
	})
}
