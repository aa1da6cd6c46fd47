package storage

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// runCallers runs op b.N times in all from callers goroutines (one
// goroutine when callers is 1).
func runCallers(b *testing.B, callers int, op func()) {
	if callers == 1 {
		for b.Loop() {
			op()
		}
		return
	}
	b.SetParallelism(max(1, callers/2)) // per GOMAXPROCS; 2 here
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			op()
		}
	})
}

// BenchmarkRecordDelivery stores one 25 KB delivery with one event per
// op, each durable before the call returns. "senders64" runs 64 callers at
// once, like the webhook target's 64 senders.
func BenchmarkRecordDelivery(b *testing.B) {
	// A stand-in for a merged-PR delivery, about 25 KB.
	body := bytes.Repeat([]byte(`{"action":"closed","pull_request":{"merged":true}}`), 512)
	for _, senders := range []int{1, 64} {
		b.Run(fmt.Sprintf("senders%d", senders), func(b *testing.B) {
			ctx := context.Background()
			db := openTest(b)
			db.now = time.Now
			var seq atomic.Int64
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			runCallers(b, senders, func() {
				n := seq.Add(1)
				d := bot.Delivery{Source: bot.PlatformGitHub, ID: fmt.Sprintf("d-%d", n), Type: "pull_request", Body: body}
				ev := []bot.Event{{
					Kind: bot.EventPRMerged, Key: fmt.Sprintf("github.com/o/r/pull/%d", n),
					Actor:      bot.Recipient{Platform: bot.PlatformGitHub, ID: fmt.Sprintf("user%d", n%1000)},
					Repository: "o/r", URL: fmt.Sprintf("https://github.com/o/r/pull/%d", n), OccurredAt: time.Now(),
				}}
				if ok, err := db.RecordDelivery(ctx, d, ev); err != nil || !ok {
					b.Errorf("RecordDelivery = %v, %v", ok, err)
				}
			})
		})
	}
}

// BenchmarkAwardRead reads awards by id, as GET /awards/{id} and
// credential.json do, from one reader and from 64 at once.
func BenchmarkAwardRead(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	addBadge(b, db, "first-pr", false)
	credential := bytes.Repeat([]byte("c"), 2500) // a signed credential's size
	const n = 1000
	ids := make([]string, n)
	for i := range n {
		a := newAward(b, db, "first-pr", bot.Recipient{Platform: bot.PlatformGitHub, ID: fmt.Sprintf("user%d", i)})
		a.Credential = credential
		if err := db.CreateAward(ctx, a, false, nil); err != nil {
			b.Fatal(err)
		}
		ids[i] = a.ID
	}
	src := db.IssuerSource("https://badges.example.org")
	reads := []struct {
		name string
		read func(id string) error
	}{
		{"DB.Award", func(id string) error { _, err := db.Award(ctx, id); return err }},
		{"IssuerSource.Award", func(id string) error { _, err := src.Award(ctx, id); return err }},
	}
	for _, r := range reads {
		for _, readers := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/readers%d", r.name, readers), func(b *testing.B) {
				var seq atomic.Int64
				runCallers(b, readers, func() {
					if err := r.read(ids[seq.Add(1)%n]); err != nil {
						b.Error(err)
					}
				})
			})
		}
	}
}
