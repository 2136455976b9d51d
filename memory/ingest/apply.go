package ingest

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// storedBatch is a batch whose events are stored and whose profiles wait
// for the appliers. It holds its customers' locks (shared) until the last
// of them has written its part.
type storedBatch struct {
	jobs    []job // the messages to acknowledge, one per event
	events  []memory.Event
	created []bool
	now     time.Time
	unlock  func()
	// pending counts the appliers yet to write their part.
	pending atomic.Int32
	mu      sync.Mutex
	stale   []string // customers of the batch whose profile is rebuilt
}

// part is the share of a stored batch one applier writes: the new events
// of its customers.
type part struct {
	batch  *storedBatch
	events []memory.Event
}

// dispatch hands each applier the new events of its customers, or
// finishes a batch with none.
func (in *Ingest) dispatch(sb *storedBatch, queues []chan *part, repairs *sync.WaitGroup) {
	shares := make([][]memory.Event, len(queues))
	for i, ev := range sb.events {
		if sb.created[i] {
			k := in.applierOf(ev.CustomerID, len(queues))
			shares[k] = append(shares[k], ev)
		}
	}
	n := 0
	for _, evs := range shares {
		if len(evs) > 0 {
			n++
		}
	}
	if n == 0 {
		in.finish(sb, repairs)
		return
	}
	sb.pending.Store(int32(n))
	for k, evs := range shares {
		if len(evs) > 0 {
			queues[k] <- &part{batch: sb, events: evs}
		}
	}
}

// applierOf is the applier that writes a customer's profile.
func (in *Ingest) applierOf(customerID string, appliers int) int {
	return in.locks.stripe(customerID) % appliers
}

// applyLoop applies parts until queue is closed: whatever waits when it
// is free, in one profile write; while the events it writes are spread
// over many customers and more keeps coming, at most one write per
// ApplyInterval.
//
// The interval is what bounds the profile writes of traffic spread over
// many customers: every write rewrites each customer it touches whole, so
// writing more often costs more per event (at 20,000 events/s over 2,000
// customers, a write every 50 ms rewrites 0.86 profiles per event, every
// 200 ms 0.43), and a writer that is free sooner would only write more.
// Traffic that comes a customer at a time (sessions) rewrites few
// profiles however often it is written, so it is written at once, as is
// the end of a burst and a queue that is full.
func (in *Ingest) applyLoop(queue <-chan *part, repairs *sync.WaitGroup) {
	var last time.Time
	spread := false // the last write rewrote a profile per 4 events or more
	step := in.cfg.ApplyInterval / 8
	for first := range queue {
		for until := last.Add(in.cfg.ApplyInterval); spread && time.Now().Before(until); {
			n := len(queue)
			time.Sleep(min(step, time.Until(until)))
			if len(queue) == n {
				break
			}
		}
		last = time.Now()
		group := []*part{first}
	more:
		for {
			select {
			case p, ok := <-queue:
				if !ok {
					break more
				}
				group = append(group, p)
			default:
				break more
			}
		}
		customers, events := in.applyGroup(group, repairs)
		spread = 4*customers >= events
	}
}

// applyGroup updates the profiles of a group of parts and finishes the
// batches whose last part this was. It returns how many customers and
// events it applied.
func (in *Ingest) applyGroup(group []*part, repairs *sync.WaitGroup) (customers, events int) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	var evs []memory.Event
	now := group[0].batch.now
	for _, p := range group {
		evs = append(evs, p.events...)
		now = later(now, p.batch.now)
	}
	customers, stale := in.applyNew(ctx, evs, now)
	if len(stale) > 0 {
		for _, p := range group {
			p.batch.addStale(p.events, stale)
		}
	}
	for _, p := range group {
		if p.batch.pending.Add(-1) == 0 {
			in.finish(p.batch, repairs)
		}
	}
	return customers, len(evs)
}

// addStale records the customers of evs among stale.
func (sb *storedBatch) addStale(evs []memory.Event, stale map[string]bool) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	for _, ev := range evs {
		if stale[ev.CustomerID] && !slices.Contains(sb.stale, ev.CustomerID) {
			sb.stale = append(sb.stale, ev.CustomerID)
		}
	}
}

// finish releases a batch's locks once its profiles are written and
// acknowledges its messages; a batch with customers to rebuild is
// acknowledged once the rebuilds are done, off the applier, as a rebuild
// waits for batches the appliers have yet to apply.
func (in *Ingest) finish(sb *storedBatch, repairs *sync.WaitGroup) {
	sb.unlock()
	sb.mu.Lock()
	stale := sb.stale
	sb.mu.Unlock()
	rebuild := in.toRebuild(sb.jobs, sb.events, sb.created, stale)
	if len(rebuild) == 0 {
		in.ack(sb.jobs)
		return
	}
	repairs.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
		defer cancel()
		in.repair(ctx, rebuild)
		in.ack(sb.jobs)
	})
}

func (in *Ingest) ack(jobs []job) {
	for _, j := range jobs {
		if err := j.msg.Ack(); err != nil {
			in.logger.Warn("ack event", "id", j.ev.ID, "err", err)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// applyNew updates the profile of each customer with new events, once
// per customer, their events in time order, all in one profile write. It
// returns how many customers it updated, and those whose stored profile
// predated the state that keeps it exact, for a rebuild.
func (in *Ingest) applyNew(ctx context.Context, events []memory.Event, now time.Time) (customers int, stale map[string]bool) {
	byCustomer := make(map[string]*customerEvents)
	var cs []*customerEvents
	for _, ev := range events {
		c := byCustomer[ev.CustomerID]
		if c == nil {
			c = &customerEvents{id: ev.CustomerID}
			byCustomer[ev.CustomerID] = c
			cs = append(cs, c)
		}
		c.evs = append(c.evs, ev)
	}
	for _, c := range cs {
		slices.SortStableFunc(c.evs, func(a, b memory.Event) int { return a.At.Compare(b.At) })
	}
	lost := in.updateProfiles(ctx, cs, now)
	for id, err := range lost {
		// The events are stored, so a redelivery would not apply them
		// again: Rebuild recomputes the profile from stored events.
		in.logger.Error("profile update lost; rebuild the profile", "customer", id,
			"events", len(byCustomer[id].evs), "err", err)
	}
	for _, c := range cs {
		if c.stale && lost[c.id] == nil {
			if stale == nil {
				stale = make(map[string]bool)
			}
			stale[c.id] = true
		}
	}
	return len(cs), stale
}
