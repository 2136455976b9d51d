package stream

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/memory"
)

// Names and subjects of the streams and consumers.
const (
	// WorkStream holds pending timers (as NATS message schedules) and
	// fired timers, on file storage: a timer is durable until its
	// partition has evaluated it. Work-queue retention: a fired timer is
	// gone once acknowledged. (Until 2026-11-21 it also held a copy of
	// every routed event; see docs/triggers.md.)
	WorkStream   = "KAIROS_PROACTIVE"
	workSubjects = "kairos.proactive.work.>"
	// TicketStream carries routed events and fired timers to their
	// customer's partition: memory storage, interest retention, read by
	// one pinned consumer per partition without acknowledgements. A ticket
	// is gone once delivered; what it carries stays in its durable source
	// until the partition has evaluated it (see ticket).
	TicketStream   = "KAIROS_PROACTIVE_TICKETS"
	ticketSubjects = "kairos.proactive.ticket.>"
	// EventsStream and its subjects are channels/relay's and memory/ingest's.
	EventsStream = "KAIROS_EVENTS"
	subjectIn    = "kairos.events.in"
	// RouterDurable is the consumer of EventsStream shared by every node.
	RouterDurable = "kairos-proactive-route"
	// TimerDurable is the consumer of WorkStream's fired timers shared by
	// every node.
	TimerDurable = "kairos-proactive-due"
	// PartitionGroup is the priority group of the pinned partition
	// consumers.
	PartitionGroup = "proactive"
	// DefaultPartitions is how many partitions customers are spread over.
	DefaultPartitions = 16
	// DefaultAckWait is how long an event or timer may take from its
	// routing to its evaluation before its source is delivered again.
	DefaultAckWait = time.Minute
	// DefaultMaxInFlight bounds the events routed but not yet evaluated.
	DefaultMaxInFlight = 20_000
)

func ticketSubject(p int) string { return fmt.Sprintf("kairos.proactive.ticket.%d", p) }
func dueSubject(p int) string    { return fmt.Sprintf("kairos.proactive.work.due.%d", p) }
func schedSubject(p int, trigger, customer string) string {
	h := sha256.Sum256([]byte(trigger + "\x00" + customer))
	return fmt.Sprintf("kairos.proactive.work.sched.%d.%s", p, hex.EncodeToString(h[:12]))
}

// dueSubjects are the fired timers of all partitions.
const dueSubjects = "kairos.proactive.work.due.>"

// legacyEvents are routed-event copies a version before tickets left in
// WorkStream; the timer consumer drains them.
const legacyEvents = "kairos.proactive.work.ev.>"

// Partition is the partition of a customer.
func Partition(customer string, partitions int) int {
	// FNV-1a (hash/fnv's New32a), written out so that it does not
	// allocate.
	h := uint32(2166136261)
	for i := 0; i < len(customer); i++ {
		h ^= uint32(customer[i])
		h *= 16777619
	}
	return int(h % uint32(partitions))
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
	// AckWait is how long an event (or fired timer) may take from being
	// routed to being evaluated before its source message is delivered
	// and routed again (default DefaultAckWait). Keep it above PinnedTTL,
	// or a partition moving to another node has its events routed twice
	// (harmless: evaluated once, but wasted work).
	AckWait time.Duration
	// MaxInFlight bounds the events routed but not yet evaluated, over
	// all nodes (the router consumer's MaxAckPending; default
	// DefaultMaxInFlight). A stalled partition holds up the others once
	// this many wait for it.
	MaxInFlight int
	Logger      *slog.Logger
}

// Runner routes events to partitions and runs the engine on them. It
// implements proactive.Timers on NATS message schedules.
type Runner struct {
	cfg     Config
	logger  *slog.Logger
	tickets []string // ticket subject per partition
	mu      sync.Mutex
	idents  map[memory.Identity]string // identity → customer id, bounded

	// beforeAck, when set (tests), runs after a ticket was evaluated and
	// before its source is acknowledged; false skips the acknowledgement
	// (as a node stopping at that moment would).
	beforeAck func(p int, err error) bool
	// beforeEval, when set (tests), runs before a ticket is evaluated;
	// false drops it (as a node stopping at that moment would).
	beforeEval func(p int) bool
}

// New checks cfg and returns a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.JS == nil || cfg.Engine == nil {
		return nil, errors.New("proactive stream: JS and Engine are required")
	}
	cfg.Partitions = cmp.Or(cfg.Partitions, DefaultPartitions)
	cfg.PinnedTTL = cmp.Or(cfg.PinnedTTL, 30*time.Second)
	cfg.AckWait = cmp.Or(cfg.AckWait, DefaultAckWait)
	cfg.MaxInFlight = cmp.Or(cfg.MaxInFlight, DefaultMaxInFlight)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{cfg: cfg, logger: cfg.Logger.With("component", "proactive-stream"), idents: map[memory.Identity]string{}}
	for p := range cfg.Partitions {
		r.tickets = append(r.tickets, ticketSubject(p))
	}
	return r, nil
}

// EnsureStream creates the work stream of timers (message schedules
// allowed) and the ticket stream.
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: WorkStream, Description: "Kairos proactive: pending and fired timers",
		Subjects: []string{workSubjects}, Storage: jetstream.FileStorage, Retention: jetstream.WorkQueuePolicy,
		AllowMsgSchedules: true, AllowRollup: true, Duplicates: 2 * time.Minute, Replicas: max(replicas, 1),
	})
	if err != nil {
		return fmt.Errorf("proactive stream: ensure %s: %w", WorkStream, err)
	}
	tcfg := jetstream.StreamConfig{
		Name: TicketStream, Description: "Kairos proactive: events and fired timers on their way to a customer partition",
		Subjects: []string{ticketSubjects}, Storage: jetstream.MemoryStorage, Retention: jetstream.InterestPolicy,
		// Tickets in flight are bounded by the router's MaxAckPending;
		// this is a guard. A ticket dropped here is routed again when
		// its source's ack wait ends.
		MaxBytes: 256 << 20, Discard: jetstream.DiscardOld, Replicas: max(replicas, 1),
	}
	if _, err := js.CreateOrUpdateStream(ctx, tcfg); err != nil {
		// A server or account without room for memory streams: tickets
		// on file work the same, at some cost.
		tcfg.Storage = jetstream.FileStorage
		if _, ferr := js.CreateOrUpdateStream(ctx, tcfg); ferr != nil {
			return fmt.Errorf("proactive stream: ensure %s: %w", TicketStream, errors.Join(err, ferr))
		}
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
