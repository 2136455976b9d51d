// Package ingest takes business and behaviour events into Kairos: the
// POST /api/v1/events batch API and the NATS subject kairos.events.in put
// them on the JetStream event stream, and one durable consumer of the whole
// stream stores them and keeps each customer's profile up to date.
//
// The stream is the hand-over point. An event the API reports "accepted"
// is in the stream (the publish was acknowledged), so it is not lost if
// the node stops; the consumer acknowledges a message only after the event
// is stored and applied. Ids make both halves idempotent: the stream drops
// a re-published id within its dedupe window, the store skips an id it
// holds, and only events the store reports new change a profile.
package ingest

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/memory"
)

// Subjects and names.
const (
	// SubjectIn is where business systems publish events (one Event per
	// message, "v": 1) and where the API puts the events it accepts.
	SubjectIn = "kairos.events.in"
	// DefaultStream is the JetStream stream of behaviour and business
	// events (channels/relay creates it).
	DefaultStream = "KAIROS_EVENTS"
	// DefaultDurable is the name of the ingest consumer.
	DefaultDurable = "kairos-ingest"
	// DefaultBatch is how many messages the consumer stores and applies
	// at once.
	DefaultBatch = 500
	// DefaultWorkers is how many batches are processed at once.
	DefaultWorkers = 4
	// DefaultAppliers is how many profile writers run at once, each for
	// its own share of the customers.
	DefaultAppliers = 2
	// DefaultApplyInterval is the shortest time between the starts of two
	// profile writes of one applier under spread traffic.
	DefaultApplyInterval = 200 * time.Millisecond
)

// Store is what ingestion needs of the system of record
// (memory.CustomerStore and memory.Store provide it).
type Store interface {
	Customers(ctx context.Context, ids []string) (map[string]memory.Customer, error)
	CustomerByIdentity(ctx context.Context, id memory.Identity) (memory.Customer, bool, error)
	AppendEvents(ctx context.Context, events []memory.Event) ([]bool, error)
	StoredEvents(ctx context.Context, ids []string) ([]bool, error)
	Events(ctx context.Context, customerID string, q memory.EventQuery) ([]memory.Event, error)
	UpdateProfile(ctx context.Context, customerID string, update func(*memory.Profile) error) (memory.Profile, error)
	UpdateProfiles(ctx context.Context, customerIDs []string, update func(customerID string, p *memory.Profile) error) error
}

// Config configures an Ingest.
type Config struct {
	// JS is the JetStream context events are published and consumed on.
	// The stream (Stream) must exist before Run; relay.EnsureStreams
	// creates it. Required.
	JS jetstream.JetStream
	// Store holds events and profiles. Required.
	Store Store
	// Logger receives rejected events and store failures; nil discards.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Batch is how many messages the consumer takes at once
	// (default DefaultBatch).
	Batch int
	// Workers is how many batches are decoded, resolved and stored at
	// once (default DefaultWorkers).
	Workers int
	// Appliers is how many writers update the profiles of stored batches
	// at once (default DefaultAppliers). Each owns a fixed share of the
	// customers, so no two ever write one profile.
	Appliers int
	// ApplyInterval is the shortest time between the starts of two
	// profile writes of one applier while its writes rewrite a profile
	// per 4 events or more (default DefaultApplyInterval; negative:
	// none). Under such load the events of an interval go into one
	// write, so a customer's profile is written at most once per
	// interval however many events they have; traffic that rewrites
	// fewer profiles, and the end of a burst, is written at once. It
	// bounds how late a profile shows an event under load.
	ApplyInterval time.Duration
	// Stream is the event stream's name (default DefaultStream).
	Stream string
	// Durable is the consumer's name (default DefaultDurable).
	Durable string
	// RetryDelay is when a batch the store failed on is redelivered
	// (default 5s).
	RetryDelay time.Duration
	// SkipStoreCheck makes the API report events the store already holds
	// as "accepted" rather than looking them up ("duplicate"), and
	// customer ids it does not know as "accepted" rather than "invalid"
	// (the consumer drops those). They are still stored and applied once;
	// only the report differs. It saves two store reads per request.
	SkipStoreCheck bool
}

// Ingest is the event pipeline of one node. It is safe for concurrent use.
type Ingest struct {
	js     jetstream.JetStream
	store  Store
	logger *slog.Logger
	now    func() time.Time
	cfg    Config
	locks  customerLocks
}

// New checks cfg and returns an Ingest. It does no I/O: the consumer is
// created by Run.
func New(cfg Config) (*Ingest, error) {
	if cfg.JS == nil {
		return nil, errors.New("ingest: new: JS is required")
	}
	if cfg.Store == nil {
		return nil, errors.New("ingest: new: Store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Appliers <= 0 {
		cfg.Appliers = DefaultAppliers
	}
	if cfg.ApplyInterval == 0 {
		cfg.ApplyInterval = DefaultApplyInterval
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = 5 * time.Second
	}
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.Durable == "" {
		cfg.Durable = DefaultDurable
	}
	return &Ingest{js: cfg.JS, store: cfg.Store, logger: cfg.Logger, now: cfg.Now, cfg: cfg}, nil
}
