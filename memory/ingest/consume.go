package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// Consumer settings.
const (
	// ackWait is how long the stream waits for a batch's acks before it
	// redelivers; generous, since a batch waits for the store.
	ackWait = time.Minute
	// batchTimeout bounds one batch's store work, also at shutdown.
	batchTimeout = 30 * time.Second
)

// Run consumes the event stream with the durable consumer until ctx is
// done: each batch is validated, its customers resolved and its events
// stored by one of Workers workers; Appliers appliers then update the
// profiles of the customers with new events, each for its own share of
// the customers and for all the batches stored meanwhile at once (a group
// commit), and a batch is acknowledged once all its profiles are written.
// Invalid messages are logged and terminated (never redelivered); a batch
// the store fails on is redelivered after a delay. Run returns nil when
// ctx is done, after the batches in hand are finished, or an error when
// the consumer cannot be set up.
//
// Appliers by customer, not one profile write per worker: batches of
// traffic spread over many customers share customers, so parallel profile
// transactions of whole batches would queue on each other's row locks;
// appliers with disjoint customers never wait on each other, and the more
// is stored while one writes, the more events each profile write carries.
// More than one, so that one writes while another prepares its documents.
func (in *Ingest) Run(ctx context.Context) error {
	// Unacknowledged at most: the pull buffer, the channel to the
	// workers and the workers' batches (inFlight each), and the stored
	// batches queued for each applier and in its group (queued each):
	// room for an ApplyInterval's worth of batches at full speed.
	inFlight := in.cfg.Batch * in.cfg.Workers
	queued := 4 * in.cfg.Workers
	cons, err := in.js.CreateOrUpdateConsumer(ctx, in.cfg.Stream, jetstream.ConsumerConfig{
		Durable:       in.cfg.Durable,
		Description:   "Kairos ingest: stores events and updates customer profiles",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 3*inFlight + 2*queued*in.cfg.Batch,
	})
	if err != nil {
		if ctx.Err() != nil { // stopped before it started: done, not failed
			return nil
		}
		return fmt.Errorf("ingest: consumer %s on %s: %w", in.cfg.Durable, in.cfg.Stream, err)
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(inFlight))
	if err != nil {
		return fmt.Errorf("ingest: consume %s: %w", in.cfg.Stream, err)
	}
	msgs := make(chan jetstream.Msg, inFlight)
	go in.pull(iter, msgs)
	var appliers, repairs sync.WaitGroup
	queues := make([]chan *part, in.cfg.Appliers)
	for k := range queues {
		queues[k] = make(chan *part, queued)
		appliers.Go(func() { in.applyLoop(queues[k], &repairs) })
	}
	var wg sync.WaitGroup
	for range in.cfg.Workers {
		wg.Go(func() {
			for batch := collect(msgs, in.cfg.Batch); batch != nil; batch = collect(msgs, in.cfg.Batch) {
				// A batch in hand is finished even when ctx ends, so that
				// shutdown does not leave stored-but-unapplied events.
				bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
				if sb := in.storeBatch(bctx, batch); sb != nil {
					in.dispatch(sb, queues, &repairs)
				}
				cancel()
			}
		})
	}
	<-ctx.Done()
	iter.Drain() // hand over what is buffered, then Next reports closed
	wg.Wait()
	for _, q := range queues {
		close(q)
	}
	appliers.Wait()
	repairs.Wait()
	return nil
}

// pull moves messages from the iterator to msgs until it is closed.
func (in *Ingest) pull(iter jetstream.MessagesContext, msgs chan<- jetstream.Msg) {
	defer close(msgs)
	for {
		m, err := iter.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return
		}
		if err != nil {
			// Missed heartbeats and the like: the iterator recovers.
			in.logger.Warn("event stream pull", "err", err)
			continue
		}
		msgs <- m
	}
}

// collect waits for one message, then takes what else is waiting, up to
// max: full batches under load, no waiting when quiet. nil means closed.
func collect(msgs <-chan jetstream.Msg, max int) []jetstream.Msg {
	m, ok := <-msgs
	if !ok {
		return nil
	}
	batch := []jetstream.Msg{m}
	for len(batch) < max {
		select {
		case m, ok := <-msgs:
			if !ok {
				return batch
			}
			batch = append(batch, m)
		default:
			return batch
		}
	}
	return batch
}

// job is a decoded message.
type job struct {
	msg jetstream.Msg
	ev  Event
}

// storeBatch decodes, resolves and stores a batch, and returns it for the
// applier, or nil when nothing is left to apply (every message rejected,
// or the batch left for redelivery).
func (in *Ingest) storeBatch(ctx context.Context, msgs []jetstream.Msg) *storedBatch {
	now := in.now()
	jobs := make([]job, 0, len(msgs))
	for _, m := range msgs {
		ev, err := in.decodeMsg(m, now)
		if err != nil {
			in.reject(m, ev.ID, err)
			continue
		}
		jobs = append(jobs, job{m, ev})
	}
	var addrs []address
	seen := make(map[address]bool)
	for _, j := range jobs {
		if a := j.ev.Customer.address(); !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	res, err := in.resolve(ctx, addrs, true)
	if err != nil {
		in.retryLater(jobs, err)
		return nil
	}
	ok := jobs[:0]
	events := make([]memory.Event, 0, len(jobs))
	for _, j := range jobs {
		r := res[j.ev.Customer.address()]
		if r.err != nil {
			in.reject(j.msg, j.ev.ID, r.err)
			continue
		}
		ok = append(ok, j)
		events = append(events, j.ev.memoryEvent(r.id, now))
	}
	if len(events) == 0 {
		return nil
	}
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.CustomerID
	}
	unlock := in.locks.share(ids)
	created, err := in.store.AppendEvents(ctx, events)
	if err != nil {
		unlock()
		in.retryLater(ok, err)
		return nil
	}
	return &storedBatch{jobs: ok, events: events, created: created, now: now, unlock: unlock}
}

// decodeMsg reads an event from a stream message: an Event on SubjectIn,
// a channel event (channels.Event) on kairos.events.<channel>.<name>.
func (in *Ingest) decodeMsg(m jetstream.Msg, now time.Time) (Event, error) {
	subject := m.Subject()
	var ev Event
	switch tokens := strings.Split(subject, "."); {
	case subject == SubjectIn:
		var err error
		if ev, err = decodeEvent(m.Data(), ""); err != nil {
			return ev, err
		}
		if ev.V != 1 && ev.V != 0 {
			return ev, &profile.FieldError{Field: "v", Message: fmt.Sprintf("unsupported version %d", ev.V)}
		}
		return in.normalize(ev, "nats", now)
	case len(tokens) == 4 && tokens[0] == "kairos" && tokens[1] == "events":
		var ce channelEvent
		if err := json.Unmarshal(m.Data(), &ce); err != nil {
			return ev, fmt.Errorf("channel event: %w", err)
		}
		if ce.V != 1 {
			return ce.event(), &profile.FieldError{Field: "v", Message: fmt.Sprintf("unsupported version %d", ce.V)}
		}
		return in.normalize(ce.event(), tokens[2], now)
	}
	return ev, fmt.Errorf("no event format for subject %s", subject)
}

// reject terminates a message that can never be ingested.
func (in *Ingest) reject(m jetstream.Msg, id string, err error) {
	in.logger.Warn("rejected event", "subject", m.Subject(), "id", id, "err", err)
	if err := m.Term(); err != nil {
		in.logger.Warn("terminate event", "id", id, "err", err)
	}
}

// retryLater asks the stream to redeliver a batch the store failed on.
func (in *Ingest) retryLater(jobs []job, err error) {
	in.logger.Error("event batch not stored; redelivering", "events", len(jobs), "after", in.cfg.RetryDelay, "err", err)
	for _, j := range jobs {
		if err := j.msg.NakWithDelay(in.cfg.RetryDelay); err != nil {
			in.logger.Warn("nak event", "id", j.ev.ID, "err", err)
		}
	}
}

// toRebuild returns the customers whose profiles must be rebuilt from
// their stored events: those with redelivered events the store already
// held, and those in stale (profiles from before the profile kept its
// exact state). A redelivery means an earlier attempt did not finish: it
// may have stored the events and stopped before their profile write, and
// applying only new events would then lose them for good. Rebuilding from
// the stored events is exact whichever way the earlier attempt ended; it
// cannot race that attempt, which gave up (batchTimeout) before the stream
// redelivers (ackWait), and it holds the customer's lock alone, so no
// other batch is between storing and applying events of the customer
// (customerLocks).
func (in *Ingest) toRebuild(jobs []job, events []memory.Event, created []bool, stale []string) []string {
	customers := make(map[string]bool)
	for _, id := range stale {
		customers[id] = true
	}
	for i, j := range jobs {
		if created[i] {
			continue
		}
		if md, err := j.msg.Metadata(); err == nil && md.NumDelivered > 1 {
			customers[events[i].CustomerID] = true
		}
	}
	out := make([]string, 0, len(customers))
	for id := range customers {
		out = append(out, id)
	}
	return out
}

// repair rebuilds the profiles of customers.
func (in *Ingest) repair(ctx context.Context, customers []string) {
	for _, id := range customers {
		if _, err := in.Rebuild(ctx, id); err != nil {
			in.logger.Error("rebuild profile", "customer", id, "err", err)
			continue
		}
		in.logger.Info("rebuilt profile", "customer", id)
	}
}
