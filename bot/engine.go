// Package bot is Kairos's dialogue engine: it records what a customer says,
// understands it, retrieves knowledge, has a reasoner answer (streaming the
// reply), records the answer and hands it to the outbox for delivery.
//
// Channels call the engine through a small interface (Connect, Receive,
// Replay, Ack, Observe). Turns run in the background on the engine's own
// context, so a customer who disconnects mid-turn still finds the answer
// waiting when they reconnect.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/knowledge"
	"github.com/kairoscx/kairos/memory"
)

// Outbox delivers outbound messages to whichever node holds the
// conversation's connection (channels/relay over NATS).
type Outbox interface {
	Publish(ctx context.Context, out channels.Outbound) error
}

// EventSink takes behaviour events for the proactive engine (channels/relay
// into JetStream).
type EventSink interface {
	PublishEvent(ctx context.Context, ev channels.Event) error
}

// Knowledge finds passages for a question (package knowledge).
type Knowledge interface {
	Search(ctx context.Context, query string, k int) ([]knowledge.Hit, error)
}

var (
	// ErrClosed is returned by Receive after Close began.
	ErrClosed = errors.New("bot: engine closed")
	// ErrBusy is returned by Receive when a conversation already has
	// MaxQueue turns waiting: a client flooding messages is refused before
	// its messages are stored, rather than queueing unbounded work.
	ErrBusy = errors.New("bot: too many messages waiting for an answer")
)

// Config configures an Engine. Store, Reasoner, Fallback and Outbox are
// required.
type Config struct {
	Store memory.Store
	// Knowledge is searched every turn; nil means no knowledge base, so only
	// small talk and honest "I don't know" replies are possible.
	Knowledge Knowledge
	// Reasoner is the primary reasoner (the LLM, or the offline one).
	Reasoner reason.Reasoner
	// Fallback is the offline reasoner, used when the primary fails or
	// times out and when there is no relevant knowledge to answer from.
	Fallback reason.Reasoner
	Outbox   Outbox
	// Events receives behaviour events from Observe; nil drops them.
	Events EventSink
	Logger *slog.Logger
	Now    func() time.Time
	// TurnTimeout bounds one turn from start to delivery (default 30s).
	TurnTimeout time.Duration
	// ReasonerTimeout bounds the primary reasoner (default 20s). It must be
	// shorter than TurnTimeout so the fallback has time to answer.
	ReasonerTimeout time.Duration
	// IdleAfter is how long a conversation may rest before the customer's
	// next visit starts a new one (default 24h).
	IdleAfter time.Duration
	// MaxQueue is how many turns of one conversation may wait (default 16).
	MaxQueue int
	// AckFlushEvery is how often clients' acks are written to the store
	// (default 1s); until then they are kept in memory (see Engine.Ack).
	AckFlushEvery time.Duration
	// Metrics registers the engine's metrics; nil registers none.
	Metrics prometheus.Registerer
	// Insight reads each customer turn with the conversation so far
	// (intent, hidden need, mood and its trajectory); nil means the
	// offline analyzer (insight.NewOffline).
	Insight insight.Analyzer
	// NextBest chooses an action to offer each turn and learns from the
	// customer's response; nil offers nothing. Churn scores the churn risk
	// it decides with (nil: 0). Both need memory (the customer's profile).
	NextBest NextBest
	Churn    ChurnModel
	// Memory configures long-term memory and the customer profile: each
	// turn recalls the customer's memories and profile for the reasoner,
	// updates the profile, and memories are extracted every few turns and
	// when a conversation goes idle. It needs a store that keeps customer
	// memories (memory.CustomerStore) and an Embedder; without them it is
	// off.
	Memory MemoryConfig
}

// Engine runs turns. It is safe for concurrent use.
type Engine struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics
	// streams is false when the primary reasoner is instant: its replies
	// are sent whole, without deltas or a reserved seq.
	streams bool
	// mem is long-term memory; nil when off.
	mem *memories
	// moods holds recent conversations' analysed turns.
	moods moodBook
	// offers holds the action each conversation's last reply offered.
	offers offerBook
	// optOuts receives opt-out events (SetOptOuts); nil ignores them.
	optOuts OptOuts

	// ctx lives as long as the engine: turns run on it, not on the
	// context of the request that started them.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	queues map[string]*queue // conversation id → its waiting turns
	busy   map[turnKey]bool  // customer messages queued or being answered
	wg     sync.WaitGroup    // queue goroutines

	acks     ackBook
	flushMu  sync.Mutex // one ack flush at a time
	acksStop chan struct{}
	acksDone chan struct{} // closed when the flusher has stopped
	stopAcks sync.Once
}

// New checks cfg, fills in defaults and returns a running Engine.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("bot: config: Store is required")
	case cfg.Reasoner == nil:
		return nil, errors.New("bot: config: Reasoner is required")
	case cfg.Fallback == nil:
		return nil, errors.New("bot: config: Fallback is required")
	case cfg.Outbox == nil:
		return nil, errors.New("bot: config: Outbox is required")
	}
	if cfg.Insight == nil {
		cfg.Insight = insight.NewOffline()
	}
	if cfg.TurnTimeout == 0 {
		cfg.TurnTimeout = 30 * time.Second
	}
	if cfg.ReasonerTimeout == 0 {
		cfg.ReasonerTimeout = 20 * time.Second
	}
	if cfg.IdleAfter == 0 {
		cfg.IdleAfter = 24 * time.Hour
	}
	if cfg.MaxQueue == 0 {
		cfg.MaxQueue = 16
	}
	if cfg.AckFlushEvery == 0 {
		cfg.AckFlushEvery = time.Second
	}
	if cfg.TurnTimeout < 0 || cfg.ReasonerTimeout < 0 || cfg.IdleAfter < 0 || cfg.MaxQueue < 0 || cfg.AckFlushEvery < 0 {
		return nil, errors.New("bot: config: durations and MaxQueue must not be negative")
	}
	if cfg.ReasonerTimeout >= cfg.TurnTimeout {
		return nil, fmt.Errorf("bot: config: ReasonerTimeout %v must be shorter than TurnTimeout %v to leave time for the fallback",
			cfg.ReasonerTimeout, cfg.TurnTimeout)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, err
	}
	mem, err := newMemories(cfg.Memory, cfg.Store, log.With("component", "bot"), cfg.Now)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{
		cfg: cfg, log: log.With("component", "bot"), now: cfg.Now, metrics: m,
		streams: streams(cfg.Reasoner), mem: mem,
		ctx: ctx, cancel: cancel,
		queues: map[string]*queue{}, busy: map[turnKey]bool{},
		acks:     newAckBook(cfg.Now()),
		acksStop: make(chan struct{}), acksDone: make(chan struct{}),
	}
	go e.flushAcksLoop(e.acksStop)
	return e, nil
}

// Close stops accepting messages, waits for accepted turns to finish and
// writes the acks not yet stored. When ctx ends first, the turns still
// running are cancelled and Close returns ctx's error; their messages stay
// recorded, and a resend from the client after restart gets them answered.
// Acks are written all the same, within a few seconds; later ones are
// written one by one as they come.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	done := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		e.cancel()
		<-done
		err = fmt.Errorf("bot: close: %w", ctx.Err())
	}
	// Conversations still active have their last memories extracted and
	// their episodes summarised before the store closes.
	e.mem.close(ctx)
	e.closeAcks(ctx)
	e.cancel()
	return err
}

// errInvalid is wrapped by errors caused by what the customer sent. It is
// both memory.ErrInvalid, for callers inside Kairos, and channels.ErrInvalid,
// so a channel can tell its sender without knowing about storage.
var errInvalid error = invalidInput{}

type invalidInput struct{}

func (invalidInput) Error() string { return "invalid input" }

func (invalidInput) Is(target error) bool {
	return target == memory.ErrInvalid || target == channels.ErrInvalid
}
