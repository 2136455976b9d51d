package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/longterm"
	"github.com/kairoscx/kairos/memory/profile"
)

// MemoryConfig configures long-term memory and the customer profile in the
// engine: what each turn recalls, and when memories are extracted.
type MemoryConfig struct {
	// Disabled turns off recall, profile updates and extraction.
	Disabled bool
	// Embedder embeds memories and questions. It must be the embedder the
	// store's vectors are made with (the knowledge base's). Without one,
	// memory is off (the store needs an embedding for every memory).
	Embedder longterm.Embedder
	// Extractor proposes memories from conversation (bot/llm's Extractor
	// when an LLM is configured); nil means the offline rules.
	Extractor longterm.Extractor
	// EveryTurns runs extraction after this many customer turns of a
	// conversation (default 4).
	EveryTurns int
	// IdleAfter is how long a conversation rests before its new messages are
	// extracted and its episode summary written (default 10 minutes). It is
	// unrelated to Config.IdleAfter, which starts a new conversation.
	IdleAfter time.Duration
	// RecallK is how many memories a turn recalls (default 5).
	RecallK int
	// ExtractTimeout bounds one extraction run (default 30s).
	ExtractTimeout time.Duration
	// AfterFunc schedules the idle timers; nil means time.AfterFunc. Tests
	// pass a fake clock's.
	AfterFunc func(d time.Duration, f func()) Timer
}

// Timer is a scheduled idle check that can be cancelled.
type Timer interface {
	Stop() bool
}

// customerStore is what memory needs of the store beyond memory.Store.
// Both stores implement it (memory.CustomerStore).
type customerStore interface {
	longterm.Store
	Profile(ctx context.Context, customerID string) (memory.Profile, error)
	UpdateProfile(ctx context.Context, customerID string, update func(*memory.Profile) error) (memory.Profile, error)
}

func (c *MemoryConfig) defaults() error {
	if c.EveryTurns == 0 {
		c.EveryTurns = 4
	}
	if c.IdleAfter == 0 {
		c.IdleAfter = 10 * time.Minute
	}
	if c.RecallK == 0 {
		c.RecallK = 5
	}
	if c.ExtractTimeout == 0 {
		c.ExtractTimeout = 30 * time.Second
	}
	if c.AfterFunc == nil {
		c.AfterFunc = func(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
	}
	if c.EveryTurns < 0 || c.IdleAfter < 0 || c.RecallK < 0 || c.ExtractTimeout < 0 {
		return errors.New("bot: config: memory settings must not be negative")
	}
	return nil
}

// memories is the engine's long-term memory: per-turn recall and profile,
// and extraction off the turn's path.
type memories struct {
	cfg    MemoryConfig
	store  customerStore
	keeper *longterm.Keeper
	log    *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	convs  map[string]*convMemory
	closed bool
	wg     sync.WaitGroup // profile flushes and extraction runs
	// pending are turns not yet written to each customer's profile, and
	// flushes the timers that will write them.
	pending map[string][]turnDelta
	flushes map[string]Timer
}

// turnDelta is one turn's change to the interaction profile.
type turnDelta struct {
	at                 time.Time
	intent, mood       string
	valence            float64
	startsConversation bool
}

// ProfileFlushEvery is how long a turn's profile change may wait to be
// written together with the customer's next ones: a write per turn would
// make every turn contend for the store's single writer (it tripled the
// embedded store's turn time), while the profile is only a summary.
const ProfileFlushEvery = time.Second

// convMemory tracks one active conversation's extraction.
type convMemory struct {
	lastSeq  int64 // messages up to here have been extracted
	turns    int   // customer turns since the last extraction
	timer    Timer
	gen      int // bumped by every turn, so a stale idle run leaves a newer turn's state alone
	running  bool
	again    bool // another run was asked for while one ran
	summary  bool // the run asked for should write the episode summary
	lang     string
	finished bool // summarised since its last turn
}

// newMemories returns nil (memory off) when cfg disables it, when there is
// no embedder, or when the store cannot keep memories.
func newMemories(cfg MemoryConfig, store memory.Store, log *slog.Logger, now func() time.Time) (*memories, error) {
	if cfg.Disabled {
		return nil, nil
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	cs, ok := store.(customerStore)
	if !ok {
		log.Warn("long-term memory off: the store does not keep customer memories")
		return nil, nil
	}
	if cfg.Embedder == nil {
		log.Warn("long-term memory off: no embedder configured")
		return nil, nil
	}
	k, err := longterm.New(longterm.Config{Store: cs, Embedder: cfg.Embedder, Extractor: cfg.Extractor, Now: now, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("bot: config: %w", err)
	}
	return &memories{cfg: cfg, store: cs, keeper: k, log: log.With("part", "memory"), now: now, convs: map[string]*convMemory{},
		pending: map[string][]turnDelta{}, flushes: map[string]Timer{}}, nil
}

// recallTimeout bounds the per-turn profile load and recall, so a slow store
// delays a reply by at most this much; the turn goes on without them.
const recallTimeout = 2 * time.Second

// customerContext loads the profile and recalls memories for a question.
// The full profile is returned too (nil when it could not be loaded), for
// the next-best-action decision.
// Failures are logged: a reply without memory beats no reply.
func (m *memories) customerContext(ctx context.Context, log *slog.Logger, customerID, question string) (*reason.ProfileSummary, []reason.Memory, *memory.Profile) {
	if m == nil || customerID == "" {
		return nil, nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, recallTimeout)
	defer cancel()
	var (
		wg       sync.WaitGroup
		p        memory.Profile
		pErr     error
		recalled []longterm.Recalled
		rErr     error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		p, pErr = m.store.Profile(ctx, customerID)
	}()
	recalled, rErr = m.keeper.Recall(ctx, customerID, question, m.cfg.RecallK)
	wg.Wait()
	if pErr != nil {
		log.Warn("load profile", "err", pErr)
	}
	if rErr != nil {
		log.Warn("recall memories", "err", rErr)
	}
	var summary *reason.ProfileSummary
	var full *memory.Profile
	if pErr == nil {
		summary = summarizeProfile(p)
		full = &p
	}
	return summary, toReasonMemories(recalled), full
}

func toReasonMemories(rs []longterm.Recalled) []reason.Memory {
	if len(rs) == 0 {
		return nil
	}
	out := make([]reason.Memory, 0, len(rs))
	for _, r := range rs {
		rm := reason.Memory{Kind: r.Kind, Key: r.Key, Value: r.Value, Text: r.Text, SaidAt: r.ValidFrom,
			Importance: r.Importance, Relevant: r.Relevant, Score: r.Score}
		if len(r.Sources) > 0 {
			rm.ConversationID = r.Sources[0].ConversationID
		}
		out = append(out, rm)
	}
	return out
}

// summarizeProfile keeps what a reasoner may use; nil for an empty profile.
func summarizeProfile(p memory.Profile) *reason.ProfileSummary {
	if p.UpdatedAt.IsZero() && p.Business.Orders == 0 && p.Interaction.Conversations == 0 {
		return nil
	}
	s := &reason.ProfileSummary{
		Tier: p.Business.Tier, Stage: p.Business.Stage, Orders: p.Business.Orders, LifetimeValue: p.Business.LifetimeValue,
		LastOrderAt: p.Business.LastOrderAt, Refunds: p.Business.Refunds, Conversations: p.Interaction.Conversations,
		CSAT: p.Interaction.CSAT.Mean, LastSeen: p.Behaviour.LastSeen,
	}
	type qt struct {
		intent string
		n      int
	}
	var qs []qt
	for k, n := range p.Interaction.QuestionTypes {
		if k != insight.IntentGreeting && k != insight.IntentThanks && k != insight.IntentOther {
			qs = append(qs, qt{k, n})
		}
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].n > qs[j].n || qs[i].n == qs[j].n && qs[i].intent < qs[j].intent })
	for i := 0; i < len(qs) && i < 3; i++ {
		s.TopQuestions = append(s.TopQuestions, qs[i].intent)
	}
	sent := p.Interaction.Sentiment
	for _, pt := range sent[max(0, len(sent)-3):] {
		s.RecentMood = append(s.RecentMood, pt.Mood)
	}
	return s
}

// turnDone records a finished turn: the profile is updated and the
// conversation's extraction scheduled, all off the turn's path.
func (m *memories) turnDone(base context.Context, customerID string, msg memory.Message, in insight.Insight, lang string, newConversation bool) {
	if m == nil || customerID == "" {
		return
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	c := m.convs[msg.ConversationID]
	if c == nil {
		c = &convMemory{}
		m.convs[msg.ConversationID] = c
	}
	c.turns++
	c.gen++
	c.lang = lang
	c.finished = false
	if c.timer != nil {
		c.timer.Stop()
	}
	conv, gen := msg.ConversationID, c.gen
	c.timer = m.cfg.AfterFunc(m.cfg.IdleAfter, func() { m.idle(base, conv, gen) })
	due := c.turns >= m.cfg.EveryTurns
	m.pending[customerID] = append(m.pending[customerID], turnDelta{
		at: msg.CreatedAt, intent: in.Intent, mood: in.Mood, valence: in.Valence, startsConversation: newConversation})
	if m.flushes[customerID] == nil {
		m.wg.Add(1)
		m.flushes[customerID] = m.cfg.AfterFunc(ProfileFlushEvery, func() {
			defer m.wg.Done()
			m.flushProfile(base, customerID)
		})
	}
	m.mu.Unlock()
	if due {
		m.schedule(base, conv, false)
	}
}

// flushProfile writes a customer's pending turns to their profile in one
// update.
func (m *memories) flushProfile(base context.Context, customerID string) {
	m.mu.Lock()
	ds := m.pending[customerID]
	delete(m.pending, customerID)
	delete(m.flushes, customerID)
	m.mu.Unlock()
	if len(ds) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(base, recallTimeout)
	defer cancel()
	_, err := m.store.UpdateProfile(ctx, customerID, func(p *memory.Profile) error {
		for _, d := range ds {
			profile.ApplyTurn(p, d.at, d.intent, d.mood, d.valence, d.startsConversation)
		}
		return nil
	})
	if err != nil {
		m.log.Warn("update profile", "customer", customerID, "turns", len(ds), "err", err)
	}
}

// idle runs when a conversation has rested IdleAfter: its new messages are
// extracted and its episode summarised.
func (m *memories) idle(base context.Context, conv string, gen int) {
	m.mu.Lock()
	c := m.convs[conv]
	stale := c == nil || c.gen != gen || m.closed
	m.mu.Unlock()
	if stale {
		return
	}
	m.schedule(base, conv, true)
}

// schedule starts an extraction run for conv in the background, or marks
// one to follow the run under way.
func (m *memories) schedule(base context.Context, conv string, summary bool) {
	m.mu.Lock()
	c := m.convs[conv]
	if c == nil || m.closed && base.Err() != nil {
		m.mu.Unlock()
		return
	}
	c.summary = c.summary || summary
	if c.running {
		c.again = true
		m.mu.Unlock()
		return
	}
	c.running = true
	m.wg.Add(1)
	m.mu.Unlock()
	go func() {
		defer m.wg.Done()
		m.run(base, conv)
	}()
}

// run extracts until no further run was asked for.
func (m *memories) run(base context.Context, conv string) {
	for {
		m.mu.Lock()
		c := m.convs[conv]
		from, summary, lang, gen := c.lastSeq, c.summary, c.lang, c.gen
		c.summary, c.again, c.turns = false, false, 0
		m.mu.Unlock()

		last, err := m.extract(base, conv, from, lang, summary)
		if err != nil {
			m.log.Warn("extract memories", "conversation", conv, "err", err)
		}

		m.mu.Lock()
		if last > c.lastSeq {
			c.lastSeq = last
		}
		if summary && err == nil && c.gen == gen {
			c.finished = true
		}
		if !c.again {
			c.running = false
			if c.finished && c.gen == gen {
				// Summarised and quiet: forget it until its next turn.
				delete(m.convs, conv)
			}
			m.mu.Unlock()
			return
		}
		m.mu.Unlock()
	}
}

// extractPage bounds how many messages one store read returns.
const extractPage = 200

// extract learns from conv's messages after from and, when summary is set,
// writes the conversation's episode summary. It returns the last seq read.
func (m *memories) extract(base context.Context, conv string, from int64, lang string, summary bool) (int64, error) {
	ctx, cancel := context.WithTimeout(base, m.cfg.ExtractTimeout)
	defer cancel()
	cs, ok := m.store.(interface {
		Conversation(ctx context.Context, id string) (memory.Conversation, error)
		Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]memory.Message, error)
	})
	if !ok {
		return from, errors.New("store cannot read conversations")
	}
	c, err := cs.Conversation(ctx, conv)
	if err != nil {
		return from, fmt.Errorf("load conversation: %w", err)
	}
	var fresh []memory.Message
	last := from
	for {
		page, err := cs.Messages(ctx, conv, last, extractPage)
		if err != nil {
			return from, fmt.Errorf("load messages: %w", err)
		}
		fresh = append(fresh, page...)
		if len(page) > 0 {
			last = page[len(page)-1].Seq
		}
		if len(page) < extractPage || len(fresh) >= 10*extractPage {
			break
		}
	}
	if len(fresh) > 0 {
		if _, err := m.keeper.Learn(ctx, longterm.ExtractInput{CustomerID: c.CustomerID, Lang: lang, Messages: fresh}); err != nil {
			return last, err
		}
	}
	if summary {
		all, err := cs.Messages(ctx, conv, 0, 2*extractPage)
		if err != nil {
			return last, fmt.Errorf("load transcript: %w", err)
		}
		if _, _, err := m.keeper.SummarizeConversation(ctx, c.CustomerID, conv, lang, all); err != nil {
			return last, err
		}
	}
	return last, nil
}

// close stops the idle timers, runs a final extraction with summary for
// every conversation with turns not yet summarised, and waits for the
// background work, or for ctx.
func (m *memories) close(ctx context.Context) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.closed = true
	var customers []string
	for id, t := range m.flushes {
		if t.Stop() {
			m.wg.Done() // its function will not run
		}
		customers = append(customers, id)
	}
	var pending []string
	for id, c := range m.convs {
		if c.timer != nil {
			c.timer.Stop()
		}
		if !c.finished {
			pending = append(pending, id)
		}
	}
	m.mu.Unlock()
	for _, id := range customers {
		m.flushProfile(ctx, id)
	}
	for _, id := range pending {
		m.schedule(ctx, id, true)
	}
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Recall returns the customer's long-term memories relevant to query, best
// first: what the LLM reasoner's recall_memory tool gives the model. It
// returns nothing when memory is off.
func (e *Engine) Recall(ctx context.Context, customerID, query string) ([]reason.Memory, error) {
	if e.mem == nil || customerID == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, recallTimeout)
	defer cancel()
	rs, err := e.mem.keeper.Recall(ctx, customerID, query, e.mem.cfg.RecallK)
	if err != nil {
		return nil, fmt.Errorf("bot: recall: %w", err)
	}
	return toReasonMemories(rs), nil
}
