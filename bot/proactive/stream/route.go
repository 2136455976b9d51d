package stream

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// Run routes and processes until ctx is done. It creates the router's
// durable consumer of the events stream, one pinned consumer of the
// ticket stream per partition and the timer consumer of the work stream,
// and routes only once they all exist: a ticket stream with interest
// retention drops a ticket no consumer is interested in.
func (r *Runner) Run(ctx context.Context) error {
	err := r.run(ctx)
	if ctx.Err() != nil {
		return nil // stopped, possibly while setting up
	}
	return err
}

func (r *Runner) run(ctx context.Context) error {
	js := r.cfg.JS
	if err := EnsureStream(ctx, js, r.cfg.Replicas); err != nil {
		return err
	}
	route, err := r.routerConsumer(ctx)
	if err != nil {
		return err
	}
	parts := make([]jetstream.Consumer, r.cfg.Partitions)
	for p := range parts {
		cons, err := js.CreateOrUpdateConsumer(ctx, TicketStream, jetstream.ConsumerConfig{
			Durable:       fmt.Sprintf("kairos-proactive-p%d", p),
			Description:   fmt.Sprintf("Kairos proactive: partition %d (pinned to one node)", p),
			FilterSubject: ticketSubject(p),
			// No acknowledgements: a ticket is removed once delivered; its
			// source is acknowledged after evaluation.
			AckPolicy:      jetstream.AckNonePolicy,
			PriorityPolicy: jetstream.PriorityPolicyPinned, PinnedTTL: r.cfg.PinnedTTL,
			PriorityGroups: []string{PartitionGroup},
		})
		if err != nil {
			return fmt.Errorf("proactive stream: partition %d consumer: %w", p, err)
		}
		parts[p] = cons
	}
	if err := r.dropLegacyPartitions(ctx); err != nil {
		return err
	}
	due, err := js.CreateOrUpdateConsumer(ctx, WorkStream, jetstream.ConsumerConfig{
		Durable: TimerDurable, Description: "Kairos proactive: routes fired timers to customer partitions; acknowledged by the partition once evaluated",
		FilterSubjects: []string{dueSubjects, legacyEvents},
		AckPolicy:      jetstream.AckExplicitPolicy, AckWait: r.cfg.AckWait, MaxAckPending: 1000,
	})
	if err != nil {
		return fmt.Errorf("proactive stream: timer consumer: %w", err)
	}
	var wg sync.WaitGroup
	var errs []error
	var emu sync.Mutex
	fail := func(err error) {
		emu.Lock()
		errs = append(errs, err)
		emu.Unlock()
	}
	for p, cons := range parts {
		wg.Go(func() {
			if err := r.partition(ctx, p, cons); err != nil {
				fail(err)
			}
		})
	}
	wg.Go(func() {
		if err := r.route(ctx, due, r.routeTimer); err != nil {
			fail(err)
		}
	})
	wg.Go(func() {
		if err := r.route(ctx, route, r.routeEvent); err != nil {
			fail(err)
		}
	})
	wg.Wait()
	return errors.Join(errs...)
}

// routerLookback is how far back a newly created router consumer starts:
// events published while a fresh node (or cluster) was starting, before
// the consumer existed, are evaluated too.
const routerLookback = time.Minute

// routerConsumer creates or updates the router's durable consumer of the
// events stream. A new one starts routerLookback before now; an existing
// one keeps where it starts (that cannot change) and takes the current ack
// wait and limit.
func (r *Runner) routerConsumer(ctx context.Context) (jetstream.Consumer, error) {
	for attempt := 0; ; attempt++ {
		cfg := jetstream.ConsumerConfig{
			Durable: RouterDurable, Description: "Kairos proactive: routes events to customer partitions; acknowledged by the partition once evaluated",
			AckPolicy: jetstream.AckExplicitPolicy, AckWait: r.cfg.AckWait, MaxAckPending: r.cfg.MaxInFlight,
		}
		old, err := r.cfg.JS.Consumer(ctx, EventsStream, RouterDurable)
		switch {
		case err == nil:
			c := old.CachedInfo().Config
			cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = c.DeliverPolicy, c.OptStartSeq, c.OptStartTime
		case errors.Is(err, jetstream.ErrConsumerNotFound):
			start := time.Now().Add(-routerLookback)
			cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
		default:
			return nil, fmt.Errorf("proactive stream: router consumer: %w", err)
		}
		cons, err := r.cfg.JS.CreateOrUpdateConsumer(ctx, EventsStream, cfg)
		if err != nil && attempt == 0 && ctx.Err() == nil {
			continue // another node created it meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("proactive stream: router consumer: %w", err)
		}
		return cons, nil
	}
}

// dropLegacyPartitions deletes the partition consumers an earlier version
// kept on the work stream (their filters overlap the timer consumer's,
// which a work-queue stream refuses). What they had not processed is
// drained by the timer consumer.
func (r *Runner) dropLegacyPartitions(ctx context.Context) error {
	st, err := r.cfg.JS.Stream(ctx, WorkStream)
	if err != nil {
		return fmt.Errorf("proactive stream: %s: %w", WorkStream, err)
	}
	names := st.ConsumerNames(ctx)
	var old []string
	for n := range names.Name() {
		if strings.HasPrefix(n, "kairos-proactive-p") {
			old = append(old, n)
		}
	}
	if err := names.Err(); err != nil {
		return fmt.Errorf("proactive stream: consumers of %s: %w", WorkStream, err)
	}
	for _, n := range old {
		if err := st.DeleteConsumer(ctx, n); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return fmt.Errorf("proactive stream: drop legacy consumer %s: %w", n, err)
		}
		r.logger.Info("dropped the partition consumer of an earlier version", "consumer", n)
	}
	return nil
}

// routeBatch is how many source messages a router pulls at once.
const routeBatch = 1000

// route reads a source consumer and hands each message to fn, which adds
// its ticket to a batcher. The router never waits for the partitions: a
// source message stays unacknowledged until its partition has evaluated
// it, and the consumer's MaxAckPending bounds how many are in flight.
func (r *Runner) route(ctx context.Context, cons jetstream.Consumer, fn func(ctx context.Context, m jetstream.Msg, b *batcher)) error {
	// Messages are handed over on a channel of our own so that the router
	// can tell when none is at hand (then it publishes its batches).
	// (Consume, not Messages: the iterator's channel subscription drops a
	// message when its buffer is full, and the pull then stalls until its
	// heartbeat check, about 30 s, on a busy machine.)
	in := make(chan jetstream.Msg, routeBatch)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case in <- m:
		case <-ctx.Done():
		}
	}, jetstream.PullMaxMessages(routeBatch), jetstream.PullExpiry(pullExpiry),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) { r.logger.Debug("router pull", "err", err) }))
	if err != nil {
		return fmt.Errorf("proactive stream: route: %w", err)
	}
	defer cc.Stop()
	b := newBatcher(r)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for {
		select {
		case <-ctx.Done():
			b.flush()
			return nil
		case m := <-in:
			fn(ctx, m, b)
		case <-linger.C:
		}
	drain:
		for b.pending < flushEvery {
			select {
			case m := <-in:
				fn(ctx, m, b)
			default:
				break drain
			}
		}
		// Nothing more at hand: publish, unless the router is busy — the
		// last flush had more than one ticket and went out less than
		// batchLinger ago — then wait for more until then. A router that
		// sees one event at a time publishes each at once.
		switch wait := batchLinger - time.Since(b.flushed); {
		case b.pending == 0:
		case b.pending >= flushEvery || wait <= 0 || b.lastFlush <= 1:
			linger.Stop()
			b.flush()
		default:
			linger.Reset(wait)
		}
	}
}

// pullExpiry is how long a pull request of a router or partition waits:
// short enough that a lost request is renewed quickly, and well within a
// partition's pin TTL.
const pullExpiry = 2 * time.Second

// Batches of tickets: one message of the ticket stream per partition
// carries what the router had at hand for it. Batches are published when
// no source message is waiting and either the last flush had a single
// ticket or went out at least batchLinger ago, after flushEvery tickets in
// all (so a quiet partition does not wait behind busy ones), or when one
// is full.
const (
	batchLinger   = 2 * time.Millisecond
	flushEvery    = 512
	maxBatchCount = 128
	maxBatchBytes = 48 << 10
)

// batcher holds the router's unpublished tickets per partition.
type batcher struct {
	r       *Runner
	bufs    [][]byte          // per partition: ticketVersion, then tickets
	srcs    [][]jetstream.Msg // per partition: the source of each ticket
	pending int               // tickets not yet published
	flushed time.Time         // when flush last ran
	// lastFlush is how many tickets the last flush published.
	lastFlush int
}

func newBatcher(r *Runner) *batcher {
	b := &batcher{r: r, bufs: make([][]byte, r.cfg.Partitions), srcs: make([][]jetstream.Msg, r.cfg.Partitions)}
	for p := range b.bufs {
		b.bufs[p] = append(make([]byte, 0, 4096), ticketVersion)
	}
	return b
}

// next makes room for a ticket from src in partition p's batch and
// returns the batch, for the caller to append the ticket to.
func (b *batcher) next(p int, src jetstream.Msg) *[]byte {
	if len(b.srcs[p]) >= maxBatchCount || len(b.bufs[p]) >= maxBatchBytes {
		b.publish(p)
	}
	b.srcs[p] = append(b.srcs[p], src)
	b.pending++
	return &b.bufs[p]
}

// flush publishes every partition's batch.
func (b *batcher) flush() {
	b.flushed, b.lastFlush = time.Now(), b.pending
	for p := range b.srcs {
		if len(b.srcs[p]) > 0 {
			b.publish(p)
		}
	}
	b.pending = 0
}

// publish sends partition p's batch with a plain publish: there is no
// acknowledgement from the stream to wait for, because the sources stay
// pending until the partition acknowledges them; a batch that is lost is
// routed again when their ack wait ends.
func (b *batcher) publish(p int) {
	if err := b.r.cfg.JS.Conn().Publish(b.r.tickets[p], b.bufs[p]); err != nil {
		b.r.logger.Warn("route; redelivering", "partition", p, "tickets", len(b.srcs[p]), "err", err)
		for _, m := range b.srcs[p] {
			_ = m.NakWithDelay(time.Second)
		}
	}
	b.pending -= len(b.srcs[p])
	b.bufs[p] = b.bufs[p][:1]
	clear(b.srcs[p])
	b.srcs[p] = b.srcs[p][:0]
}

// routeEvent decodes a source event and adds its ticket to its
// customer's partition. Invalid events are terminated (the ingest
// consumer logs them); others that cannot be routed now are redelivered
// later.
func (r *Runner) routeEvent(ctx context.Context, m jetstream.Msg, b *batcher) {
	ev, err := r.decode(ctx, m)
	if err != nil {
		if errors.Is(err, memory.ErrInvalid) {
			_ = m.Term()
			return
		}
		r.logger.Warn("route event; redelivering", "subject", m.Subject(), "err", err)
		_ = m.NakWithDelay(5 * time.Second)
		return
	}
	buf := b.next(Partition(ev.CustomerID, r.cfg.Partitions), m)
	*buf = appendEventTicket(*buf, m.Reply(), &ev)
}

// routeTimer adds the ticket of a fired timer (or of an event routed by
// an earlier version) to its customer's partition.
func (r *Runner) routeTimer(_ context.Context, m jetstream.Msg, b *batcher) {
	if strings.HasPrefix(m.Subject(), "kairos.proactive.work.ev.") {
		var rt routed
		if json.Unmarshal(m.Data(), &rt) != nil || rt.V != 1 || rt.Event.CustomerID == "" {
			r.logger.Warn("malformed routed event dropped", "subject", m.Subject())
			_ = m.Term()
			return
		}
		buf := b.next(Partition(rt.Event.CustomerID, r.cfg.Partitions), m)
		*buf = appendEventTicket(*buf, m.Reply(), &rt.Event)
		return
	}
	var t proactive.Timer
	if json.Unmarshal(m.Data(), &t) != nil || t.Trigger == "" || t.Customer == "" {
		r.logger.Warn("malformed timer dropped", "subject", m.Subject())
		_ = m.Term()
		return
	}
	buf := b.next(Partition(t.Customer, r.cfg.Partitions), m)
	*buf = appendTimerTicket(*buf, m.Reply(), m.Data())
}

// routed is the payload of an event routed by an earlier version.
type routed struct {
	V     int          `json:"v"`
	Event memory.Event `json:"event"`
}

// inEvent is an event on kairos.events.in (docs/events.md).
type inEvent struct {
	V        int    `json:"v"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Customer struct {
		ID       string           `json:"id"`
		Identity *memory.Identity `json:"identity"`
	} `json:"customer"`
	At     time.Time       `json:"at"`
	Source string          `json:"source"`
	Props  json.RawMessage `json:"props"`
}

// channelEvent is a channel's event on kairos.events.<channel>.<name>.
type channelEvent struct {
	V          int             `json:"v"`
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	CustomerID string          `json:"customer_id"`
	Channel    string          `json:"channel"`
	Props      json.RawMessage `json:"props"`
	At         time.Time       `json:"at"`
}

// decode parses and validates a source event as the ingest consumer does,
// so the engine evaluates exactly the events ingest stores.
func (r *Runner) decode(ctx context.Context, m jetstream.Msg) (memory.Event, error) {
	var ev memory.Event
	subject := m.Subject()
	switch {
	case subject == subjectIn:
		var in inEvent
		if err := json.Unmarshal(m.Data(), &in); err != nil || (in.V != 0 && in.V != 1) {
			return ev, fmt.Errorf("event: %w", memory.ErrInvalid)
		}
		ev = memory.Event{ID: in.ID, CustomerID: in.Customer.ID, Type: in.Type, Source: cmp.Or(in.Source, "nats"), Props: in.Props, At: in.At}
		if in.Customer.Identity != nil && in.Customer.ID == "" {
			id, err := r.resolve(ctx, *in.Customer.Identity)
			if err != nil {
				return ev, err
			}
			ev.CustomerID = id
		}
	case strings.HasPrefix(subject, "kairos.events.") && strings.Count(subject, ".") == 3:
		var ce channelEvent
		if err := decodeChannelEvent(m.Data(), &ce); err != nil || ce.V != 1 {
			return ev, fmt.Errorf("channel event: %w", memory.ErrInvalid)
		}
		channel := subject[len("kairos.events."):]
		channel = channel[:strings.IndexByte(channel, '.')]
		ev = memory.Event{ID: ce.ID, CustomerID: ce.CustomerID, Type: ce.Name, Source: channel, Props: ce.Props, At: ce.At}
	default:
		return ev, fmt.Errorf("subject %s: %w", subject, memory.ErrInvalid)
	}
	now, ok := ackTime(m.Reply())
	if !ok {
		now = time.Now()
		if md, err := m.Metadata(); err == nil {
			now = md.Timestamp
		}
	}
	if ev.At.IsZero() {
		ev.At = now
	}
	if err := profile.Validate(ev, now); err != nil {
		return ev, err
	}
	// profile.Validate has checked the props (a JSON object of the type's
	// shape); the rest of the envelope is checked as the stores do.
	envelope := ev
	envelope.Props = nil
	if err := memory.ValidateEvent(envelope); err != nil {
		return ev, err
	}
	return ev, nil
}

const maxIdentities = 100_000

func (r *Runner) resolve(ctx context.Context, id memory.Identity) (string, error) {
	r.mu.Lock()
	c, ok := r.idents[id]
	r.mu.Unlock()
	if ok {
		return c, nil
	}
	if r.cfg.Resolver == nil || id.Kind == "" || id.Value == "" {
		return "", fmt.Errorf("identity %s: %w", id.Kind, memory.ErrInvalid)
	}
	cus, _, err := r.cfg.Resolver.CustomerByIdentity(ctx, id)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	if len(r.idents) >= maxIdentities {
		clear(r.idents)
	}
	r.idents[id] = cus.ID
	r.mu.Unlock()
	return cus.ID, nil
}
