package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/memory"
)

// Store is what the service needs of the system of record (memory.Store
// has it all).
type Store interface {
	AppendMessage(ctx context.Context, m memory.Message) (memory.Message, bool, error)
	Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]memory.Message, error)
	Conversation(ctx context.Context, id string) (memory.Conversation, error)
	CurrentConversation(ctx context.Context, customerID, channel string, idleSince time.Time) (memory.Conversation, error)
}

// Outbox delivers to whichever node holds the customer's connection
// (channels/relay).
type Outbox interface {
	Publish(ctx context.Context, out channels.Outbound) error
}

// Resolved is what an agent settled, handed to Config.Remember.
type Resolved struct {
	HandoffID      string
	ConversationID string
	CustomerID     string
	AgentID        string
	Lang           string
	Summary        string
	Settled        []string
	At             time.Time
}

// Config configures a Service. Conn, Store and Outbox are required.
type Config struct {
	Conn   *nats.Conn
	Store  Store
	Outbox Outbox
	// Packager builds the handoff package (bot.(*Engine).HandoffPackage);
	// nil stores a package with the request's summary only.
	Packager Packager
	// Remember writes what an agent settled to long-term memory
	// (bot.(*Engine).RememberHandoff); nil writes nothing.
	Remember func(ctx context.Context, r Resolved) error
	// Policy decides escalation; nil means DefaultPolicy().
	Policy *Policy
	// Routing configures queues, capacity and SLA timers (zero: defaults).
	Routing Routing
	// Hours are the agents' working hours (zero: always).
	Hours Hours
	// Replicas of the streams and buckets (default 1; 3 on a cluster).
	Replicas int
	Logger   *slog.Logger
	Now      func() time.Time
	// RequestTimeout bounds the store and NATS work of one request or
	// agent message (default 5s).
	RequestTimeout time.Duration
}

// Service runs the handoff side of one gateway node: it opens handoffs,
// forwards customer messages while a human owns a conversation, serves the
// desks' requests, processes agent messages, notes and resolutions, and
// raises the priority of handoffs past their SLA. Every node runs one;
// their state is shared through JetStream.
type Service struct {
	cfg    Config
	policy Policy
	log    *slog.Logger
	now    func() time.Time
	nc     *nats.Conn
	js     jetstream.JetStream
	state  jetstream.KeyValue
	agents jetstream.KeyValue

	mu       sync.RWMutex
	records  map[string]Record // mirror of h.*
	convs    map[string]string // mirror of c.*: conversation → handoff id
	latest   map[string]string // conversation → its newest handoff (any status)
	presence map[string]Presence

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	subs    []*nats.Subscription
	consume jetstream.ConsumeContext
	sem     chan struct{} // bounds concurrent requests
}

// New creates the streams and buckets when missing, loads the shared state
// and starts serving. Close stops it.
func New(ctx context.Context, cfg Config) (*Service, error) {
	switch {
	case cfg.Conn == nil:
		return nil, errors.New("handoff: config: Conn is required")
	case cfg.Store == nil:
		return nil, errors.New("handoff: config: Store is required")
	case cfg.Outbox == nil:
		return nil, errors.New("handoff: config: Outbox is required")
	}
	policy := DefaultPolicy()
	if cfg.Policy != nil {
		policy = *cfg.Policy
	}
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Routing.defaults(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, fmt.Errorf("handoff: jetstream: %w", err)
	}
	s := &Service{
		cfg: cfg, policy: policy, log: log.With("component", "handoff"), now: cfg.Now,
		nc: cfg.Conn, js: js,
		records: map[string]Record{}, convs: map[string]string{}, latest: map[string]string{}, presence: map[string]Presence{},
		sem: make(chan struct{}, 64),
	}
	if s.state, s.agents, err = ensure(ctx, js, cfg.Replicas, cfg.Routing.PresenceTTL); err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Policy returns the escalation policy in force.
func (s *Service) Policy() Policy { return s.policy }

// EnsureStreams creates or updates the handoff streams and buckets. New
// calls it; it is exported for tools that set up NATS ahead of the nodes.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, replicas int) error {
	_, _, err := ensure(ctx, js, replicas, 2*time.Minute)
	return err
}

func ensure(ctx context.Context, js jetstream.JetStream, replicas int, presenceTTL time.Duration) (jetstream.KeyValue, jetstream.KeyValue, error) {
	if replicas <= 0 {
		replicas = 1
	}
	streams := []jetstream.StreamConfig{
		{Name: HandoffStream, Description: "Kairos handoffs: requested and every later change",
			Subjects: []string{SubjectRequested, SubjectUpdated}, MaxAge: 30 * 24 * time.Hour},
		{Name: ConvStream, Description: "Kairos conversations owned by humans: customer and agent messages, notes, resolutions",
			Subjects: []string{ConvSubject("*", "customer"), ConvSubject("*", "agent"), ConvSubject("*", "note"), ConvSubject("*", "resolved")},
			MaxAge:   7 * 24 * time.Hour},
	}
	for _, sc := range streams {
		sc.Storage, sc.Retention, sc.Duplicates, sc.Replicas = jetstream.FileStorage, jetstream.LimitsPolicy, 2*time.Minute, replicas
		sc.MaxMsgSize = MaxPayload + 4096
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return nil, nil, fmt.Errorf("handoff: ensure stream %s: %w", sc.Name, err)
		}
	}
	state, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: StateBucket, Description: "Kairos handoff records, packages and conversation ownership",
		History: 1, TTL: 30 * 24 * time.Hour, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("handoff: ensure bucket %s: %w", StateBucket, err)
	}
	agents, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: AgentBucket, Description: "Kairos agent presence",
		History: 1, TTL: presenceTTL, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("handoff: ensure bucket %s: %w", AgentBucket, err)
	}
	return state, agents, nil
}

// start loads the mirrors, subscribes the request subjects, starts the
// gateway consumer and the SLA timer.
func (s *Service) start(ctx context.Context) error {
	// One watcher per key pattern (not one filtered by both): servers
	// before NATS 2.10 take a single filter subject per consumer.
	synced := make(chan struct{}, 3)
	hw, err := s.state.Watch(s.ctx, "h.*")
	if err != nil {
		return fmt.Errorf("handoff: watch state: %w", err)
	}
	cw, err := s.state.Watch(s.ctx, "c.*")
	if err != nil {
		return fmt.Errorf("handoff: watch state: %w", err)
	}
	aw, err := s.agents.WatchAll(s.ctx)
	if err != nil {
		return fmt.Errorf("handoff: watch agents: %w", err)
	}
	s.wg.Add(3)
	go s.mirror(hw, synced, s.applyState)
	go s.mirror(cw, synced, s.applyState)
	go s.mirror(aw, synced, s.applyPresence)
	for range 3 {
		select {
		case <-synced:
		case <-ctx.Done():
			return fmt.Errorf("handoff: load state: %w", ctx.Err())
		}
	}
	handlers := map[string]func(context.Context, []byte) Reply{
		SubjectClaim: s.handleClaim, SubjectList: s.handleList, SubjectGet: s.handleGet,
		SubjectTranscript: s.handleTranscript, SubjectTransfer: s.handleTransfer, SubjectPresence: s.handlePresence,
	}
	for subj, h := range handlers {
		sub, err := s.nc.QueueSubscribe(subj, QueueGroup, s.serve(subj, h))
		if err != nil {
			return fmt.Errorf("handoff: subscribe %s: %w", subj, err)
		}
		s.subs = append(s.subs, sub)
	}
	sub, err := s.nc.QueueSubscribe(ConvSubject("*", "typing"), QueueGroup, s.handleTyping)
	if err != nil {
		return fmt.Errorf("handoff: subscribe typing: %w", err)
	}
	s.subs = append(s.subs, sub)
	if err := s.nc.FlushTimeout(5 * time.Second); err != nil {
		return fmt.Errorf("handoff: subscribe: %w", err)
	}
	cons, err := s.js.CreateOrUpdateConsumer(ctx, ConvStream, jetstream.ConsumerConfig{
		Durable:     GatewayConsumer,
		Description: "gateway nodes: agent messages, notes and resolutions, in order",
		// Agent messages, notes and resolutions; customer messages share the
		// filter (one subject filter works on every server version) and
		// are acknowledged unread.
		FilterSubject: ConvSubject("*", "*"),
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		// One message in flight across all nodes keeps a conversation's
		// agent messages and its resolution in the order they were sent.
		MaxAckPending: 1,
		AckWait:       30 * time.Second,
		MaxDeliver:    20,
	})
	if err != nil {
		return fmt.Errorf("handoff: consumer: %w", err)
	}
	if s.consume, err = cons.Consume(s.handleConv); err != nil {
		return fmt.Errorf("handoff: consume: %w", err)
	}
	s.wg.Add(1)
	go s.slaLoop()
	return nil
}

// Close stops serving. Handoffs stay in JetStream for the other nodes and
// the next start.
func (s *Service) Close() {
	if s.consume != nil {
		s.consume.Stop()
	}
	for _, sub := range s.subs {
		_ = sub.Unsubscribe()
	}
	s.cancel()
	s.wg.Wait()
	// Requests still running finish on their own timeouts.
	for range cap(s.sem) {
		s.sem <- struct{}{}
	}
}

// mirror keeps a node-local copy of a bucket's keys, pushed by JetStream.
func (s *Service) mirror(w jetstream.KeyWatcher, synced chan<- struct{}, apply func(jetstream.KeyValueEntry)) {
	defer s.wg.Done()
	defer w.Stop()
	first := true
	for {
		select {
		case <-s.ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				if first {
					first = false
					synced <- struct{}{}
				}
				continue
			}
			apply(e)
		}
	}
}

func (s *Service) applyState(e jetstream.KeyValueEntry) {
	key, del := e.Key(), e.Operation() != jetstream.KeyValuePut
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case strings.HasPrefix(key, "h."):
		id := key[2:]
		if del {
			delete(s.records, id)
			return
		}
		var r Record
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			s.log.Warn("undecodable handoff record", "key", key, "err", err)
			return
		}
		r.Revision = e.Revision()
		if old, ok := s.records[id]; ok && old.Revision > r.Revision {
			return
		}
		s.records[id] = r
		s.noteLatest(r)
	case strings.HasPrefix(key, "c."):
		if del {
			delete(s.convs, key[2:])
			return
		}
		s.convs[key[2:]] = string(e.Value())
	}
}

func (s *Service) applyPresence(e jetstream.KeyValueEntry) {
	id := strings.TrimPrefix(e.Key(), "a.")
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(s.presence, id)
		return
	}
	var p Presence
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		return
	}
	s.presence[id] = p
}

// noteLatest keeps the conversation's newest handoff; s.mu is held.
func (s *Service) noteLatest(r Record) {
	if cur, ok := s.records[s.latest[r.ConversationID]]; ok && cur.HandoffID != r.HandoffID && cur.CreatedAt.After(r.CreatedAt) {
		return
	}
	s.latest[r.ConversationID] = r.HandoffID
}

// Latest returns the conversation's newest handoff, whatever its status,
// from the node's mirror.
func (s *Service) Latest(conversationID string) (Record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.records[s.latest[conversationID]]
	return r, ok
}

// cached returns the mirrored record of a handoff, if any. It reflects
// every change this node made and, a moment later, those of other nodes.
func (s *Service) cached(id string) (Record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.records[id]
	return r, ok
}

// Owner returns the open handoff of a conversation, if a human owns it
// (waiting, callback or claimed). It reads the node's mirror: no round
// trip on the customer's path.
func (s *Service) Owner(conversationID string) (Record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.convs[conversationID]
	if !ok {
		return Record{}, false
	}
	r, ok := s.records[id]
	if !ok || !open(r.Status) {
		return Record{}, false
	}
	return r, true
}

// Wait returns until the node's mirror shows handoff id at revision rev or
// later, or ctx ends; tests and callers that need read-your-writes use it.
func (s *Service) Wait(ctx context.Context, id string, rev uint64) error {
	for {
		if r, ok := s.cached(id); ok && r.Revision >= rev {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}
