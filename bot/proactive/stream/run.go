package stream

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// Names and subjects of the partitioned work stream.
const (
	// WorkStream holds routed events, pending timers (as NATS message
	// schedules) and fired timers. Work-queue retention: a message is gone
	// once its partition consumer acknowledged it.
	WorkStream   = "KAIROS_PROACTIVE"
	workSubjects = "kairos.proactive.work.>"
	// EventsStream and its subjects are channels/relay's and memory/ingest's.
	EventsStream = "KAIROS_EVENTS"
	subjectIn    = "kairos.events.in"
	// RouterDurable is the consumer of EventsStream shared by every node.
	RouterDurable = "kairos-proactive-route"
	// PartitionGroup is the priority group of the pinned partition
	// consumers.
	PartitionGroup = "proactive"
	// DefaultPartitions is how many partitions customers are spread over.
	DefaultPartitions = 16
)

func eventSubject(p int) string { return fmt.Sprintf("kairos.proactive.work.ev.%d", p) }
func dueSubject(p int) string   { return fmt.Sprintf("kairos.proactive.work.due.%d", p) }
func schedSubject(p int, trigger, customer string) string {
	h := sha256.Sum256([]byte(trigger + "\x00" + customer))
	return fmt.Sprintf("kairos.proactive.work.sched.%d.%s", p, hex.EncodeToString(h[:12]))
}

// Partition is the partition of a customer.
func Partition(customer string, partitions int) int {
	h := fnv.New32a()
	h.Write([]byte(customer))
	return int(h.Sum32() % uint32(partitions))
}

// Resolver finds the customer of an identity (memory.Store provides it:
// an unknown identity creates the customer, as the ingest consumer does).
type Resolver interface {
	CustomerByIdentity(ctx context.Context, id memory.Identity) (memory.Customer, bool, error)
}

// Config configures a Runner.
type Config struct {
	JS       jetstream.JetStream
	Engine   *proactive.Engine
	Resolver Resolver // required for events addressed by identity
	// Partitions spreads customers (default DefaultPartitions). Every node
	// must use the same number; changing it re-routes customers, whose
	// windows are then rebuilt from the store.
	Partitions int
	Replicas   int
	// PinnedTTL is how long a silent node keeps its partitions before
	// another takes them over (default 30s).
	PinnedTTL time.Duration
	Logger    *slog.Logger
}

// Runner routes events to partitions and runs the engine on them. It
// implements proactive.Timers on NATS message schedules.
type Runner struct {
	cfg    Config
	logger *slog.Logger
	mu     sync.Mutex
	idents map[memory.Identity]string // identity → customer id, bounded
}

// New checks cfg and returns a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.JS == nil || cfg.Engine == nil {
		return nil, errors.New("proactive stream: JS and Engine are required")
	}
	cfg.Partitions = cmp.Or(cfg.Partitions, DefaultPartitions)
	cfg.PinnedTTL = cmp.Or(cfg.PinnedTTL, 30*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{cfg: cfg, logger: cfg.Logger.With("component", "proactive-stream"), idents: map[memory.Identity]string{}}, nil
}

// EnsureStream creates the work stream (message schedules allowed).
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: WorkStream, Description: "Kairos proactive: events by customer partition, timers",
		Subjects: []string{workSubjects}, Storage: jetstream.FileStorage, Retention: jetstream.WorkQueuePolicy,
		AllowMsgSchedules: true, AllowRollup: true, Duplicates: 2 * time.Minute, Replicas: max(replicas, 1),
	})
	if err != nil {
		return fmt.Errorf("proactive stream: ensure %s: %w", WorkStream, err)
	}
	return nil
}

// Arm implements proactive.Timers: a NATS message schedule ("@at due") on
// a subject of its own per (trigger, customer), whose target is the
// customer's partition. Publishing again replaces the schedule; with
// ifIdle, the publish expects no message on the subject, so a pending
// timer is kept. The stream leader fires it once, also after restarts.
func (r *Runner) Arm(ctx context.Context, t proactive.Timer, ifIdle bool) error {
	p := Partition(t.Customer, r.cfg.Partitions)
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	m := nats.NewMsg(schedSubject(p, t.Trigger, t.Customer))
	m.Data = b
	due := t.Due.UTC().Truncate(time.Second)
	if now := time.Now().UTC().Add(time.Second).Truncate(time.Second); due.Before(now) {
		due = now // overdue: fire as soon as possible
	}
	m.Header.Set("Nats-Schedule", "@at "+due.Format(time.RFC3339))
	m.Header.Set("Nats-Schedule-Target", dueSubject(p))
	if ifIdle {
		m.Header.Set("Nats-Expected-Last-Subject-Sequence", "0")
	}
	_, err = r.cfg.JS.PublishMsg(ctx, m)
	if ifIdle && isWrongSequence(err) {
		return nil // a timer is pending already
	}
	if err != nil {
		return fmt.Errorf("arm %s for %s: %w", t.Trigger, t.Customer, err)
	}
	return nil
}

// Run routes and processes until ctx is done. It creates the router's
// durable consumer and one pinned consumer per partition.
func (r *Runner) Run(ctx context.Context) error {
	js := r.cfg.JS
	if err := EnsureStream(ctx, js, r.cfg.Replicas); err != nil {
		return err
	}
	route, err := js.CreateOrUpdateConsumer(ctx, EventsStream, jetstream.ConsumerConfig{
		Durable: RouterDurable, Description: "Kairos proactive: routes events to customer partitions",
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, DeliverPolicy: jetstream.DeliverNewPolicy,
		MaxAckPending: 10000,
	})
	if err != nil {
		return fmt.Errorf("proactive stream: router consumer: %w", err)
	}
	var wg sync.WaitGroup
	var errs []error
	var emu sync.Mutex
	fail := func(err error) {
		emu.Lock()
		errs = append(errs, err)
		emu.Unlock()
	}
	wg.Go(func() {
		if err := r.route(ctx, route); err != nil {
			fail(err)
		}
	})
	for p := range r.cfg.Partitions {
		cons, err := js.CreateOrUpdateConsumer(ctx, WorkStream, jetstream.ConsumerConfig{
			Durable:        fmt.Sprintf("kairos-proactive-p%d", p),
			Description:    fmt.Sprintf("Kairos proactive: partition %d (pinned to one node)", p),
			FilterSubjects: []string{eventSubject(p), dueSubject(p)},
			AckPolicy:      jetstream.AckExplicitPolicy, AckWait: time.Minute,
			PriorityPolicy: jetstream.PriorityPolicyPinned, PinnedTTL: r.cfg.PinnedTTL,
			PriorityGroups: []string{PartitionGroup}, MaxAckPending: 1000,
		})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			fail(fmt.Errorf("proactive stream: partition %d consumer: %w", p, err))
			continue
		}
		wg.Go(func() {
			if err := r.partition(ctx, p, cons); err != nil {
				fail(err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// routed is the payload of a routed event.
type routed struct {
	V     int          `json:"v"`
	Event memory.Event `json:"event"`
}

func (r *Runner) route(ctx context.Context, cons jetstream.Consumer) error {
	iter, err := cons.Messages(jetstream.PullMaxMessages(routeInFlight))
	if err != nil {
		return fmt.Errorf("proactive stream: route: %w", err)
	}
	go func() {
		<-ctx.Done()
		iter.Stop()
	}()
	// Events are re-published asynchronously and in order; a second
	// goroutine acknowledges each source message once the work stream has
	// stored its copy (and asks for a redelivery when it has not), so the
	// router never waits for a round trip per event or per batch: up to
	// routeInFlight copies are in flight.
	inflight := make(chan routedMsg, routeInFlight)
	var acks sync.WaitGroup
	acks.Go(func() { r.ackRouted(inflight) })
	defer func() {
		close(inflight)
		acks.Wait()
	}()
	for {
		m, err := iter.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil
		}
		if err != nil {
			r.logger.Debug("router pull", "err", err)
			continue
		}
		if rm, ok := r.routeOne(ctx, m); ok {
			inflight <- rm
		}
	}
}

// routeInFlight bounds the re-published events waiting for the work
// stream's acknowledgement (below the JetStream context's async publish
// limit, 4000 by default).
const routeInFlight = 1000

// routedMsg is a source message and its copy's publish acknowledgement.
type routedMsg struct {
	m jetstream.Msg
	f jetstream.PubAckFuture
}

// routeOne decodes a source event and publishes it, asynchronously, to its
// customer's partition (the event id is the message id, so a redelivered
// source message is stored once). Invalid events are terminated; others
// that cannot be routed now are redelivered later.
func (r *Runner) routeOne(ctx context.Context, m jetstream.Msg) (routedMsg, bool) {
	ev, err := r.decode(ctx, m)
	if err != nil {
		if errors.Is(err, memory.ErrInvalid) {
			_ = m.Term() // the ingest consumer logs it
			return routedMsg{}, false
		}
		r.logger.Warn("route event; redelivering", "subject", m.Subject(), "err", err)
		_ = m.NakWithDelay(5 * time.Second)
		return routedMsg{}, false
	}
	b, _ := json.Marshal(routed{V: 1, Event: ev})
	f, err := r.cfg.JS.PublishAsync(eventSubject(Partition(ev.CustomerID, r.cfg.Partitions)), b, jetstream.WithMsgID(ev.ID))
	if err != nil {
		r.logger.Warn("route event; redelivering", "id", ev.ID, "err", err)
		_ = m.NakWithDelay(time.Second)
		return routedMsg{}, false
	}
	return routedMsg{m, f}, true
}

// ackRouted acknowledges source messages as their copies are stored, in
// publish order.
func (r *Runner) ackRouted(inflight <-chan routedMsg) {
	timeout := time.NewTimer(time.Hour)
	defer timeout.Stop()
	for p := range inflight {
		timeout.Reset(30 * time.Second)
		select {
		case <-p.f.Ok():
			_ = p.m.Ack()
		case err := <-p.f.Err():
			r.logger.Warn("route event; redelivering", "err", err)
			_ = p.m.NakWithDelay(time.Second)
		case <-timeout.C:
			_ = p.m.NakWithDelay(time.Second)
		}
	}
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

func (r *Runner) decode(ctx context.Context, m jetstream.Msg) (memory.Event, error) {
	var ev memory.Event
	now := time.Now()
	if md, err := m.Metadata(); err == nil {
		now = md.Timestamp
	}
	subject := m.Subject()
	switch tokens := strings.Split(subject, "."); {
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
	case len(tokens) == 4 && tokens[1] == "events":
		var ce channelEvent
		if err := json.Unmarshal(m.Data(), &ce); err != nil || ce.V != 1 {
			return ev, fmt.Errorf("channel event: %w", memory.ErrInvalid)
		}
		ev = memory.Event{ID: ce.ID, CustomerID: ce.CustomerID, Type: ce.Name, Source: tokens[2], Props: ce.Props, At: ce.At}
	default:
		return ev, fmt.Errorf("subject %s: %w", subject, memory.ErrInvalid)
	}
	if ev.At.IsZero() {
		ev.At = now
	}
	if err := profile.Validate(ev, now); err != nil {
		return ev, err
	}
	if err := memory.ValidateEvent(ev); err != nil {
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

// partition processes one partition's events and due timers in order,
// while this node holds the partition's pin.
func (r *Runner) partition(ctx context.Context, p int, cons jetstream.Consumer) error {
	iter, err := cons.Messages(jetstream.PullPriorityGroup(PartitionGroup), jetstream.PullMaxMessages(500))
	if err != nil {
		return fmt.Errorf("proactive stream: partition %d: %w", p, err)
	}
	go func() {
		<-ctx.Done()
		iter.Stop()
	}()
	eng := r.cfg.Engine
	for {
		m, err := iter.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil
		}
		if err != nil {
			r.logger.Debug("partition pull", "partition", p, "err", err)
			continue
		}
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		if strings.HasPrefix(m.Subject(), "kairos.proactive.work.due.") {
			var t proactive.Timer
			if json.Unmarshal(m.Data(), &t) != nil || t.Trigger == "" || t.Customer == "" {
				r.logger.Warn("malformed timer dropped", "partition", p)
				_ = m.Term()
				cancel()
				continue
			}
			err = eng.HandleTimer(hctx, t)
		} else {
			var rt routed
			if json.Unmarshal(m.Data(), &rt) != nil || rt.V != 1 {
				r.logger.Warn("malformed routed event dropped", "partition", p)
				_ = m.Term()
				cancel()
				continue
			}
			err = eng.HandleEvent(hctx, rt.Event)
		}
		cancel()
		if err != nil {
			if errors.Is(err, memory.ErrInvalid) {
				_ = m.Term()
				continue
			}
			r.logger.Warn("proactive state unavailable; redelivering", "partition", p, "err", err)
			_ = m.NakWithDelay(2 * time.Second)
			continue
		}
		_ = m.Ack()
	}
}
