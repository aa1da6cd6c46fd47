package storage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/internal/cputime"
	"github.com/badgebot/badgebot/issuer"
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

// mergedPR is the real 30 KB merged-PR payload the webhook load sends.
func mergedPR(b *testing.B) []byte {
	body, err := os.ReadFile("../integrations/github/testdata/pull_request.closed.merged.json")
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// seqAfter is the Seq to read pending deliveries after, given those read.
func seqAfter(ds []bot.WebhookDelivery) int64 {
	if len(ds) == 0 {
		return 0
	}
	return ds[len(ds)-1].Seq
}

// BenchmarkSaveDelivery is what acknowledging a webhook costs the store:
// one delivery stored per op, durable before the call returns, from one
// caller and from 64 at once like the webhook target's 64 senders. Each is
// the real merged-PR payload (stored S2-compressed in about 4.4 KB) under
// its own id.
func BenchmarkSaveDelivery(b *testing.B) {
	body := mergedPR(b)
	for _, senders := range []int{1, 64} {
		b.Run(fmt.Sprintf("senders%d", senders), func(b *testing.B) {
			ctx := context.Background()
			db := openTest(b)
			db.now = time.Now
			var seq atomic.Int64
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			runCallers(b, senders, func() {
				d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: fmt.Sprintf("d-%d", seq.Add(1)), Type: "pull_request", Body: body}
				if dup, err := db.SaveDelivery(ctx, d); err != nil || dup {
					b.Errorf("SaveDelivery = %v, %v", dup, err)
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

// BenchmarkAwardsList lists a badge's 1,000 awards, newest first, as the
// chat's holder list and GET /api/awards do. Each award holds a signed
// credential's 2.5 KB, which a listing never shows.
func BenchmarkAwardsList(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	addBadge(b, db, "first-pr", false)
	credential := bytes.Repeat([]byte("c"), 2500)
	const n = 1000
	for i := range n {
		a := newAward(b, db, "first-pr", bot.Recipient{Platform: bot.PlatformGitHub, ID: fmt.Sprintf("user%d", i)})
		a.Credential = credential
		if err := db.CreateAward(ctx, a, false, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		as, err := db.Awards(ctx, bot.AwardFilter{Badge: "first-pr"})
		if err != nil || len(as) != n {
			b.Fatalf("Awards = %d awards, %v; want %d", len(as), err, n)
		}
	}
}

// BenchmarkProcessDelivery is the storage side of processing a stored
// delivery (bot.Ingestor): mark it processed with its event, then store
// the award its rule earns, as 64 workers at once. The deliveries (the
// real merged-PR payload, about 4.4 KB stored) are stored and read back
// before the timer starts.
func BenchmarkProcessDelivery(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	db.now = time.Now
	addBadge(b, db, "first-pr", false)
	body := mergedPR(b)
	parallel(64, b.N, func(i int) {
		d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: fmt.Sprintf("d-%d", i), Type: "pull_request", Body: body}
		if _, err := db.SaveDelivery(ctx, d); err != nil {
			b.Error(err)
		}
	})
	var ds []bot.WebhookDelivery
	for len(ds) < b.N {
		batch, err := db.PendingDeliveriesAfter(ctx, seqAfter(ds), b.N-len(ds))
		if err != nil || len(batch) == 0 {
			b.Fatalf("PendingDeliveriesAfter = %d, %v after %d", len(batch), err, len(ds))
		}
		ds = append(ds, batch...)
	}
	credential := bytes.Repeat([]byte("c"), 2500)
	busy, cpu := db.WriterBusy(), cputime.Self(b)
	b.ResetTimer()
	parallel(64, b.N, func(i int) {
		d := ds[i]
		login := fmt.Sprintf("user%d", d.Seq)
		ev := []bot.Event{{
			Kind: bot.EventPRMerged, Key: fmt.Sprintf("github.com/o/r/pull/%d", d.Seq),
			Actor: bot.Recipient{Platform: bot.PlatformGitHub, ID: login}, Repository: "o/r",
			URL: fmt.Sprintf("https://github.com/o/r/pull/%d", d.Seq), OccurredAt: time.Now(),
		}}
		stored, err := db.CompleteDelivery(ctx, d, ev, "")
		if err != nil || len(stored) != 1 {
			b.Errorf("CompleteDelivery = %d events, %v", len(stored), err)
			return
		}
		a := &bot.Award{
			ID: fmt.Sprintf("a%011d", d.Seq), Badge: "first-pr", Recipient: ev[0].Actor,
			Evidence: []bot.Evidence{{URL: ev[0].URL, Name: "PR", Genre: "Pull request"}},
			Source:   bot.SourceRule, SourceRef: "first-merged-pr", StatusIndex: int(d.Seq),
			IdentityType: issuer.RecipientURL, Identity: "https://github.com/" + login, Salt: "salt",
			Credential: credential, SigningKey: "z6MkBenchKey",
		}
		if err := db.CreateAward(ctx, a, false, nil); err != nil {
			b.Error(err)
		}
	})
	// The one writer's time and the CPU per delivery hold better on a
	// shared machine, where the wall time depends on what else runs.
	b.ReportMetric(float64((db.WriterBusy()-busy).Microseconds())/float64(b.N), "writer-µs/op")
	b.ReportMetric(float64((cputime.Self(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
}

// parallel runs fn(0) … fn(n-1) on workers goroutines.
func parallel(workers, n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				fn(int(i))
			}
		})
	}
	wg.Wait()
}
