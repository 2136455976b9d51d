package longterm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Config configures a Keeper.
type Config struct {
	// Store holds the memories (required).
	Store Store
	// Embedder embeds memories and queries; nil stores memories without an
	// embedding and recalls by keyword only. It must be the embedder the
	// store's vectors were made with.
	Embedder Embedder
	// Extractor proposes memories; nil means the offline Rules. When it
	// fails, Learn falls back to the Rules.
	Extractor Extractor
	Now       func() time.Time
	Logger    *slog.Logger
}

// Keeper learns and recalls one store's long-term memories. It is safe for
// concurrent use.
type Keeper struct {
	store Store
	emb   Embedder
	ext   Extractor
	rules *Rules
	now   func() time.Time
	log   *slog.Logger
}

// New checks cfg and returns a Keeper.
func New(cfg Config) (*Keeper, error) {
	if cfg.Store == nil {
		return nil, errors.New("longterm: config: Store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	k := &Keeper{store: cfg.Store, emb: cfg.Embedder, ext: cfg.Extractor, rules: NewRules(cfg.Now), now: cfg.Now,
		log: log.With("component", "longterm")}
	if k.ext == nil {
		k.ext = k.rules
	}
	return k, nil
}

// Outcome counts what Learn or Apply did.
type Outcome struct {
	Added, Superseded, Invalidated, Skipped int
}

// Learn extracts memories from in, reconciles them with the customer's
// current memories and stores the result.
func (k *Keeper) Learn(ctx context.Context, in ExtractInput) (Outcome, error) {
	if in.CustomerID == "" {
		return Outcome{}, fmt.Errorf("longterm: learn: customer id is required: %w", memory.ErrInvalid)
	}
	known, err := k.store.Memories(ctx, in.CustomerID, false)
	if err != nil {
		return Outcome{}, fmt.Errorf("longterm: learn: load memories: %w", err)
	}
	in.Known = known
	cands, err := k.ext.Extract(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return Outcome{}, fmt.Errorf("longterm: learn: %w", err)
		}
		k.log.Warn("extractor failed, using the offline rules", "err", err)
		if cands, err = k.rules.Extract(ctx, in); err != nil {
			return Outcome{}, fmt.Errorf("longterm: learn: %w", err)
		}
	}
	return k.Apply(ctx, in.CustomerID, Reconcile(cands, known))
}

// Apply carries out reconciliation actions for a customer. It goes on past
// a failed action and returns the first error with the counts of what was
// done.
func (k *Keeper) Apply(ctx context.Context, customerID string, actions []Action) (Outcome, error) {
	var out Outcome
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
		}
	}
	for _, a := range actions {
		switch a.Op {
		case OpSkip:
			out.Skipped++
		case OpAdd:
			m, err := k.prepare(ctx, customerID, a.Candidate)
			if err == nil {
				_, err = k.store.AddMemory(ctx, m)
			}
			if err != nil {
				fail(fmt.Errorf("longterm: add %s: %w", a.Candidate.Key, err))
				continue
			}
			out.Added++
		case OpSupersede:
			m, err := k.prepare(ctx, customerID, a.Candidate)
			if err == nil {
				_, err = k.store.SupersedeMemory(ctx, a.Old.ID, m)
			}
			if err != nil {
				fail(fmt.Errorf("longterm: supersede %s: %w", a.Old.ID, err))
				continue
			}
			out.Superseded++
		case OpInvalidate:
			at := a.Candidate.At
			if at.IsZero() {
				at = k.now()
			}
			if err := k.store.InvalidateMemory(ctx, a.Old.ID, at); err != nil && !errors.Is(err, memory.ErrConflict) {
				fail(fmt.Errorf("longterm: invalidate %s: %w", a.Old.ID, err))
				continue
			}
			out.Invalidated++
		}
	}
	return out, first
}

// Add stores a memory written elsewhere (the customer API, demo data),
// filling in its id, terms and embedding the way Learn does, so Recall finds
// it.
func (k *Keeper) Add(ctx context.Context, m memory.Memory) (memory.Memory, error) {
	c := Candidate{Kind: m.Kind, Key: m.Key, Text: m.Text, Value: m.Value, Importance: m.Importance,
		Sources: m.Sources, Lang: m.Lang, At: m.ValidFrom}
	p, err := k.prepare(ctx, m.CustomerID, c)
	if err != nil {
		return memory.Memory{}, err
	}
	return k.store.AddMemory(ctx, p)
}

// prepare validates a candidate and turns it into a memory ready to store.
func (k *Keeper) prepare(ctx context.Context, customerID string, c Candidate) (memory.Memory, error) {
	if err := validCandidate(c); err != nil {
		return memory.Memory{}, err
	}
	now := k.now()
	from := c.At
	if from.IsZero() || from.After(now) {
		from = now
	}
	m := memory.Memory{
		ID: memory.NewID("mem_"), CustomerID: customerID, Kind: c.Kind, Key: c.Key,
		Text: cut(strings.TrimSpace(c.Text), MaxText), Value: truncate(c.Value, MaxValue), Lang: c.Lang,
		Importance: clamp01(c.Importance), Sources: c.Sources, CreatedAt: now, ValidFrom: from,
	}
	if m.Lang == "" {
		m.Lang = langOf(m.Text)
	}
	m.Terms = indexTerms(m)
	if k.emb != nil {
		vs, err := k.emb.Embed(ctx, []string{m.Text + " " + Topics(m.Key)})
		if err != nil {
			return memory.Memory{}, fmt.Errorf("embed memory: %w", err)
		}
		if len(vs) == 1 {
			m.Embedding = vs[0]
		}
	}
	return m, nil
}

// validCandidate checks what any extractor (rules or a model) proposes.
func validCandidate(c Candidate) error {
	switch c.Kind {
	case memory.MemoryFact, memory.MemoryPreference, memory.MemoryCommitment, memory.MemoryEpisode:
	default:
		return fmt.Errorf("memory kind %q: %w", c.Kind, memory.ErrInvalid)
	}
	if strings.TrimSpace(c.Text) == "" {
		return fmt.Errorf("memory text is empty: %w", memory.ErrInvalid)
	}
	if !ValidKey(c.Key) {
		return fmt.Errorf("memory key %q: %w", c.Key, memory.ErrInvalid)
	}
	return nil
}

// ValidKey reports whether key is empty or dot-separated segments of
// [a-z0-9_], at most MaxKey bytes.
func ValidKey(key string) bool {
	if key == "" {
		return true
	}
	if len(key) > MaxKey || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") || strings.Contains(key, "..") {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func clamp01(f float64) float64 {
	switch {
	case f != f || f < 0:
		return 0
	case f > 1:
		return 1
	}
	return f
}

// SummarizeConversation writes the episode summary of a conversation's
// messages as the customer's memory "episode.<conversation id>", so a later
// summary of the same conversation supersedes it. ok is false when there was
// nothing to summarise.
func (k *Keeper) SummarizeConversation(ctx context.Context, customerID, conversationID, lang string, msgs []memory.Message) (memory.Memory, bool, error) {
	ep, ok := Summarize(msgs, lang)
	if !ok {
		return memory.Memory{}, false, nil
	}
	key := "episode." + episodeSlug(conversationID)
	c := Candidate{Kind: memory.MemoryEpisode, Key: key, Text: ep.Text, Value: truncate(ep.Topics, MaxValue),
		Importance: 0.5, Sources: ep.Sources, Lang: ep.Lang}
	if len(msgs) > 0 {
		c.At = msgs[len(msgs)-1].CreatedAt
	}
	known, err := k.store.Memories(ctx, customerID, false)
	if err != nil {
		return memory.Memory{}, false, fmt.Errorf("longterm: summarize: %w", err)
	}
	if _, err := k.Apply(ctx, customerID, Reconcile([]Candidate{c}, known)); err != nil {
		return memory.Memory{}, false, err
	}
	return memory.Memory{Kind: c.Kind, Key: c.Key, Text: c.Text, Value: c.Value, Lang: c.Lang}, true, nil
}

// episodeSlug makes a conversation id fit a key.
func episodeSlug(id string) string {
	if ValidKey(strings.ToLower(id)) {
		return strings.ToLower(id)
	}
	return slugOf(id)
}
