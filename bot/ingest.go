package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// LinkProof is a comment in which an account may have posted a one-time
// link code (the identity-proof flow).
type LinkProof struct {
	Identity Recipient // the account that wrote it, e.g. github:octocat
	Text     string
	URL      string
}

// Normalized is what a normaliser makes of one raw delivery.
type Normalized struct {
	Events []Event
	Proofs []LinkProof
}

// Normalizer turns one raw delivery of its source into events. An error
// means the delivery was stored but yields nothing (it is logged).
type Normalizer func(d WebhookDelivery) (Normalized, error)

// ErrStaleExtract is what a Normalizer returns (wrapped) for a delivery
// whose Extract it cannot read: another version of it took the extract.
// The Ingestor then normalises the delivery's Body instead.
var ErrStaleExtract = errors.New("the stored extract was taken by another version; reading the body")

// IngestStore keeps raw deliveries and the events made of them.
type IngestStore interface {
	// SaveDelivery stores a delivery durably; concurrent calls share one
	// commit. It reports a delivery recorded before; nothing changed then.
	SaveDelivery(ctx context.Context, d WebhookDelivery) (dup bool, err error)
	// PendingDeliveriesAfter returns stored, unprocessed deliveries whose
	// Seq is greater than after, oldest first: at most limit, and fewer when
	// their bodies are large, but at least one when there is one. A
	// delivery whose stored body cannot be read back comes with Unreadable
	// set, so that it is completed with that problem instead of holding up
	// the ones after it.
	//
	// A delivery stored with an Extract comes with it and without its Body.
	PendingDeliveriesAfter(ctx context.Context, after int64, limit int) ([]WebhookDelivery, error)
	// DeliveryBody reads back the Body of a stored delivery, for a
	// normaliser that could not read its Extract.
	DeliveryBody(ctx context.Context, seq int64) ([]byte, error)
	// CompleteDelivery stores the events of a delivery and marks it
	// processed, in one transaction. It returns the events that were new
	// (by Key), with their ID and PersonID set.
	CompleteDelivery(ctx context.Context, d WebhookDelivery, events []Event, problem string) ([]Event, error)
}

// EventHandler reacts to newly stored events (the rules engine).
type EventHandler func(ctx context.Context, events []Event) error

// ProofHandler reacts to link proofs (the identity flow).
type ProofHandler func(ctx context.Context, proofs []LinkProof) error

// Ingestor makes webhook deliveries durable, then normalises and processes
// them in the background.
//
// Accept returns only once the raw delivery is committed to disk, so
// callers may acknowledge it then; the store shares one commit among
// concurrent callers. Normalising (a full decode) happens off the request
// path, which keeps the ingest rate near that of the signature check.
type Ingestor struct {
	store       IngestStore
	log         *slog.Logger
	normalizers map[string]Normalizer
	onEvents    EventHandler
	onProofs    ProofHandler

	kick       chan struct{}
	lastAccept atomic.Int64 // unix nanoseconds of the last stored delivery
	accepting  atomic.Int64 // deliveries being stored now
	mu         sync.Mutex   // one processing round at a time
}

// NewIngestor returns an Ingestor. Run processes what Accept stored.
func NewIngestor(store IngestStore, log *slog.Logger) *Ingestor {
	return &Ingestor{
		store:       store,
		log:         log,
		normalizers: map[string]Normalizer{},
		kick:        make(chan struct{}, 1),
	}
}

// Register sets the normaliser of a source ("github", "bugzilla").
func (in *Ingestor) Register(source string, n Normalizer) { in.normalizers[source] = n }

// OnEvents sets what runs on newly stored events.
func (in *Ingestor) OnEvents(h EventHandler) { in.onEvents = h }

// OnProofs sets what runs on link proofs.
func (in *Ingestor) OnProofs(h ProofHandler) { in.onProofs = h }

// Accept stores d durably. It reports duplicate deliveries, which were
// stored before and are not processed again.
func (in *Ingestor) Accept(ctx context.Context, d WebhookDelivery) (dup bool, err error) {
	if d.Source == "" || d.ID == "" {
		return false, Errorf(EINVALID, "delivery without source or id")
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = time.Now().UTC()
	}
	dup, err = in.save(ctx, d)
	if err == nil && !dup {
		in.lastAccept.Store(time.Now().UnixNano())
		select {
		case in.kick <- struct{}{}:
		default:
		}
	}
	return dup, err
}

// save stores d, counted as arriving meanwhile (quietFor), even should
// the store panic.
func (in *Ingestor) save(ctx context.Context, d WebhookDelivery) (dup bool, err error) {
	in.accepting.Add(1)
	defer in.accepting.Add(-1)
	return in.store.SaveDelivery(ctx, d)
}

// Run processes stored deliveries until ctx ends: at start (what a crash
// left), when Accept stored something, and every few seconds.
func (in *Ingestor) Run(ctx context.Context) error {
	in.processLoop(ctx)
	return nil
}

// Processing yields to ingestion: while deliveries keep arriving, the
// processor waits for a quiet moment (ingestQuiet) but never longer than
// maxProcessDelay, so acknowledging stays fast under a burst and awards
// follow shortly after it. A delivery still being stored counts as
// arriving: when a commit is slow, every sender waits on it and none is
// acknowledged for a while, which is no pause. Taken for one, it started a
// pass in the middle of a burst, whose first 256 deliveries (on PostgreSQL
// half a second of its work) held every acknowledgement up behind them.
//
// Processing a delivery costs little CPU but waits for two durable commits
// (its events, then its award), so many deliveries are processed at once:
// their writes share the group commits (storage batch.go), and the more
// writers wait, the fuller and fewer the commits. Fuller commits also share
// more index pages: with 256 workers instead of 64 a processed delivery
// cost about a fifth less CPU (cmd/badgebot BenchmarkProcess,
// cpu-µs/award), for a few megabytes of deliveries in flight. With 256 the
// two cores were still a seventh idle in a timed drain of 36,000 merged
// pull requests, workers waiting on commits; 512 drained them 6-17% faster
// (three alternating runs, 1.77-1.79 cores busy against 1.74-1.76) for a
// peak RSS of 102 MB against 82. 1024 were no faster than 512 and peaked
// at 141 MB. A burst that arrives during a pass competes with the
// deliveries in flight: with cmd/loadgen -target started half a second
// into a pass of 36,000, its acknowledgements' p99 was 23-26 ms with 256
// and with 512 workers (DESIGN §7 asks under 50), their max 64-92 and
// 69-128 ms. What they wait for is the CPU, not the group commit: letting
// other writes go ahead of processing's in the commit queue left the p99
// as it was.
const (
	ingestQuiet     = 200 * time.Millisecond
	maxProcessDelay = 30 * time.Second
	processWorkers  = 512 // deliveries processed at once
	processBatch    = 256 // deliveries read at once, while the workers work
)

func (in *Ingestor) processLoop(ctx context.Context) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	lastRun := time.Now()
	for {
		for {
			quietFor := in.quietFor()
			if quietFor >= ingestQuiet || time.Since(lastRun) >= maxProcessDelay {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(ingestQuiet - quietFor):
			}
		}
		_, yielded, err := in.processPass(ctx, true)
		if err != nil && ctx.Err() == nil {
			in.log.Error("ingest: process deliveries", "err", err)
		}
		lastRun = time.Now()
		if yielded && err == nil {
			continue // deliveries are arriving again: wait for a pause
		}
		// Drained, or failed: a failing delivery is tried again later,
		// not in a tight loop.
		select {
		case <-ctx.Done():
			return
		case <-in.kick:
		case <-tick.C:
		}
	}
}

// quietFor is how long no delivery has arrived: since the last one was
// stored, or none while one is being stored.
func (in *Ingestor) quietFor() time.Duration {
	if in.accepting.Load() > 0 {
		return 0
	}
	return time.Since(time.Unix(0, in.lastAccept.Load()))
}

// ProcessPending normalises and processes every stored, unprocessed
// delivery. It returns how many it processed.
func (in *Ingestor) ProcessPending(ctx context.Context) (int, error) {
	n, _, err := in.processPass(ctx, false)
	return n, err
}

// processPass processes pending deliveries with up to processWorkers
// workers until none is left or (with yield) deliveries arrive again: then
// it stops reading more and reports yielded, after finishing what it read.
// A delivery that fails is left pending for the next pass; the others go
// on. It returns how many it processed.
//
// The calling goroutine reads batches of pending deliveries, each after
// the last one read, and hands them out one by one, so the workers do not
// wait for a whole batch to finish, nor for the next read.
func (in *Ingestor) processPass(ctx context.Context, yield bool) (processed int, yielded bool, err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	work := make(chan WebhookDelivery)
	var done, failed atomic.Int64
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	workers := 0
	hand := func(d WebhookDelivery) bool {
		select {
		case work <- d:
			return true
		default:
		}
		if workers < processWorkers {
			workers++
			wg.Go(func() {
				for d := range work {
					// A delivery taken is processed to its end, even
					// when ctx ends meanwhile (shutdown): its events
					// are stored before its awards are made, and an
					// award given up between the two would wait for the
					// next sweep.
					if err := in.process(context.WithoutCancel(ctx), d); err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, &err)
						continue
					}
					done.Add(1)
				}
			})
		}
		select {
		case work <- d:
			return true
		case <-ctx.Done():
			return false
		}
	}
	yielded, err = in.feed(ctx, hand, yield)
	close(work)
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		err = errors.Join(err, fmt.Errorf("%d deliveries failed, first: %w", failed.Load(), *p))
	}
	return int(done.Load()), yielded, err
}

// feed hands pending deliveries out until none is left, hand refuses one
// (ctx ended) or (with yield) ingestion is busy again; it reports the last.
func (in *Ingestor) feed(ctx context.Context, hand func(WebhookDelivery) bool, yield bool) (yielded bool, err error) {
	var after int64
	for first := true; ; first = false {
		if !first && yield && in.quietFor() < ingestQuiet {
			return true, nil
		}
		ds, err := in.store.PendingDeliveriesAfter(ctx, after, processBatch)
		if err != nil || len(ds) == 0 {
			return false, err
		}
		for _, d := range ds {
			if !hand(d) {
				return false, ctx.Err()
			}
		}
		after = ds[len(ds)-1].Seq
	}
}

func (in *Ingestor) process(ctx context.Context, d WebhookDelivery) error {
	if d.Release != nil {
		defer d.Release()
	}
	var norm Normalized
	problem := ""
	if d.Unreadable != "" {
		problem = d.Unreadable
		in.log.Error("ingest: stored delivery unreadable", "source", d.Source, "delivery", d.ID, "reason", problem)
	} else if fn, ok := in.normalizers[d.Source]; !ok {
		problem = fmt.Sprintf("no normaliser for source %q", d.Source)
	} else if norm, problem = in.normalize(ctx, fn, d); problem != "" {
		in.log.Warn("ingest: delivery incomplete", "source", d.Source, "delivery", d.ID, "type", d.Type,
			"events", len(norm.Events), "reason", problem)
	}
	stored, err := in.store.CompleteDelivery(ctx, d, norm.Events, problem)
	if err != nil {
		return fmt.Errorf("complete delivery %s/%s: %w", d.Source, d.ID, err)
	}
	// Rules and proofs failing must not block later deliveries; the
	// scheduled sweep evaluates every rule over every event again.
	if len(stored) > 0 && in.onEvents != nil {
		if err := in.onEvents(ctx, stored); err != nil {
			in.log.Error("ingest: rules", "delivery", d.ID, "err", err)
		}
	}
	if len(norm.Proofs) > 0 && in.onProofs != nil {
		if err := in.onProofs(ctx, norm.Proofs); err != nil {
			in.log.Error("ingest: link proofs", "delivery", d.ID, "err", err)
		}
	}
	return nil
}

// normalize runs fn over d, and over d's body read back from the store when
// fn cannot read d's extract.
func (in *Ingestor) normalize(ctx context.Context, fn Normalizer, d WebhookDelivery) (Normalized, string) {
	n, err := safeNormalize(fn, d)
	if d.Extract == nil || !errors.Is(err, ErrStaleExtract) {
		return n, problemOf(err)
	}
	body, err := in.store.DeliveryBody(ctx, d.Seq)
	if err != nil {
		return Normalized{}, fmt.Sprintf("reading the body back: %v", err)
	}
	d.Body, d.Extract = body, nil
	n, err = safeNormalize(fn, d)
	return n, problemOf(err)
}

// problemOf is the problem a delivery is completed with for err.
func problemOf(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// safeNormalize runs a normaliser, turning a panic into an error: no
// payload may take the process down. A normaliser may return what it could
// build together with an error about the rest.
func safeNormalize(fn Normalizer, d WebhookDelivery) (n Normalized, err error) {
	defer func() {
		if v := recover(); v != nil {
			n, err = Normalized{}, fmt.Errorf("normaliser panicked: %v", v)
		}
	}()
	n, err = fn(d)
	for i := range n.Events {
		if n.Events[i].Source == "" {
			n.Events[i].Source = d.Source
		}
		if n.Events[i].ReceivedAt.IsZero() {
			n.Events[i].ReceivedAt = d.ReceivedAt
		}
	}
	return n, err
}
