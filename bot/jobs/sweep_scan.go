package jobs

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/badgebot/badgebot/bot"
)

// A sweep reads and judges its blocks of people on every core: a full
// sweep of a million events was one goroutine reading events from the
// store and judging them in turn, about 4.5 s on two cores with one
// busy. Blocks are independent (each holds its own people and reads
// their awards itself), so up to one goroutine per core takes the next
// block, with an evaluator of its own. What they find is handed to the
// caller's goroutine in the order of the blocks, which awards it (settle)
// and reports the results in the people's order.

// scanWorkers is how many blocks are read and judged at once: one per
// core, and no more than half the store's readers, so that each block's
// scan can run its nested read (FillEvents) whatever the others hold.
func (s *Sweeper) scanWorkers() int {
	return max(1, min(runtime.GOMAXPROCS(0), s.cfg.Store.Readers()/2))
}

// block is what the judging of one block of people found.
type block[T any] struct {
	// batches carries what was found, in order; it is closed once the
	// block is read, after people, events and err are set.
	batches        chan []T
	people, events int
	err            error
}

// blockJudge judges the person pid, whose events ev holds, appending what
// it finds to found.
type blockJudge[T any] func(ctx context.Context, pid int64, ev *evaluator, held map[string]*bot.PastAwards, found []T) ([]T, error)

// scan reads the people of chunks block by block and judges each person
// with judge. It hands what was found to use in the order of the blocks,
// in batches, and calls blockDone after each block; both run on the
// calling goroutine. Memory stays bounded whatever the rules find: at
// most one block more than there are goroutines is started and not yet
// used, a block that finds much waits for its turn with one batch ready,
// and batches are cut so that all those held at once (one being filled
// per goroutine, one ready per block, one being used) weigh about budget
// in all. Every matching rule's newest match goes into rep.LastMatch.
func scan[T any](ctx context.Context, s *Sweeper, plan *sweepPlan, chunks []bot.PersonSelection, rep *SweepReport,
	judge blockJudge[T], weight func(T) int, budget int, use func([]T) error, blockDone func() error) error {
	if len(plan.kinds) == 0 || len(chunks) == 0 {
		return nil // no rules, or nobody: nothing to read
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blocks := make([]*block[T], len(chunks))
	for i := range blocks {
		blocks[i] = &block[T]{batches: make(chan []T, 1)}
	}
	workers := min(s.scanWorkers(), len(chunks))
	ahead := make(chan struct{}, workers+1) // blocks started and not yet used
	limit := max(budget/(2*workers+2), 1)   // a batch's weight
	evs := make([]*evaluator, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		ev := newEvaluator(plan)
		evs[w] = ev
		wg.Go(func() {
			for {
				select {
				case ahead <- struct{}{}:
				case <-ctx.Done():
					return
				}
				i := int(next.Add(1)) - 1
				if i >= len(chunks) {
					return
				}
				b := blocks[i]
				b.err = scanBlock(ctx, s, plan, chunks[i], ev, b, judge, weight, limit)
				close(b.batches)
			}
		})
	}
	err := func() error {
		for _, b := range blocks {
			for done := false; !done; {
				select {
				case batch, ok := <-b.batches:
					if done = !ok; !done {
						if err := use(batch); err != nil {
							return err
						}
					}
				case <-ctx.Done():
					return ctx.Err() // the workers stopped: this block may never start
				}
			}
			if b.err != nil {
				return b.err
			}
			<-ahead
			rep.People += b.people
			rep.Events += b.events
			if err := blockDone(); err != nil {
				return err
			}
		}
		return nil
	}()
	cancel() // on an error, the blocks still being read stop
	wg.Wait()
	if err != nil {
		return err
	}
	for _, ev := range evs {
		for i, t := range ev.lastMatch {
			if name := plan.rules[i].Name; t.After(rep.LastMatch[name]) {
				rep.LastMatch[name] = t
			}
		}
	}
	return nil
}

// scanBlock reads and judges one block of people, sending what it finds
// to b.batches.
func scanBlock[T any](ctx context.Context, s *Sweeper, plan *sweepPlan, sel bot.PersonSelection, ev *evaluator, b *block[T],
	judge blockJudge[T], weight func(T) int, limit int) error {
	awards, err := s.cfg.Store.HeldAwards(ctx, sel, plan.repeatable)
	if err != nil {
		return err
	}
	held := map[int64]map[string]*bot.PastAwards{}
	for _, a := range awards {
		m := held[a.PersonID]
		if m == nil {
			m = map[string]*bot.PastAwards{}
			held[a.PersonID] = m
		}
		h := m[a.Badge]
		if h == nil {
			h = &bot.PastAwards{}
			m[a.Badge] = h
		}
		h.Add(a.Revoked, a.EvidenceURLs)
	}
	var batch []T
	weighed := 0
	send := func() error {
		select {
		case b.batches <- batch:
			batch, weighed = nil, 0
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err = s.cfg.Store.ScanPersonEvents(ctx, sel, plan.kinds, func(pid int64, events []bot.Event) error {
		b.people++
		b.events += len(events)
		ev.load(events)
		n := len(batch)
		var err error
		if batch, err = judge(ctx, pid, ev, held[pid], batch); err != nil {
			return err
		}
		for _, x := range batch[n:] {
			weighed += weight(x)
		}
		if weighed >= limit {
			return send()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(batch) > 0 {
		return send()
	}
	return nil
}
