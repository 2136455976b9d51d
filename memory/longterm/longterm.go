// Package longterm keeps what Kairos learns about a customer across
// conversations: it extracts durable memories (facts, preferences,
// commitments, episode summaries) from transcripts, reconciles them with what
// is already stored, and recalls the relevant ones for a new question.
//
// Memory text is what a customer (or our own bot) said. It is data: nothing
// in this package, and nothing that shows recalled memories to a reasoner,
// may treat it as an instruction.
package longterm

import (
	"context"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Candidate is a memory an extractor proposes, before reconciliation.
type Candidate struct {
	Kind string // memory.MemoryFact, MemoryPreference, MemoryCommitment or MemoryEpisode
	// Key is the slot the memory fills ("baby.age"); empty for free-form
	// memories, which are only ever added or skipped as duplicates.
	Key        string
	Text       string // a sentence in the customer's language
	Value      string // the slot's normalised value ("8 months"), or empty
	Importance float64
	Sources    []memory.MessageRef
	// Lang is the language Text is written in ("zh", "en").
	Lang string
	// Retract says the slot is no longer true ("I don't have a dog
	// anymore"): reconciliation invalidates the current memory of Key and
	// stores nothing new.
	Retract bool
	// At is when it was said (the source message's time); zero means now.
	At time.Time
}

// ExtractInput is a stretch of one customer's conversation to learn from.
type ExtractInput struct {
	CustomerID string
	Lang       string // the conversation's language, "zh" or "en"; a hint
	// Messages are the new messages since the last extraction, oldest first.
	// Customer messages yield facts and preferences; bot and agent messages
	// yield the commitments we made.
	Messages []memory.Message
	// Known are the customer's current memories, so an extractor can
	// resolve "he is 10 months now" against a stored baby.age.
	Known []memory.Memory
}

// Extractor proposes memories from a stretch of conversation.
type Extractor interface {
	Extract(ctx context.Context, in ExtractInput) ([]Candidate, error)
}

// Store is the part of memory.CustomerStore long-term memory uses.
type Store interface {
	AddMemory(ctx context.Context, m memory.Memory) (memory.Memory, error)
	SupersedeMemory(ctx context.Context, oldID string, next memory.Memory) (memory.Memory, error)
	InvalidateMemory(ctx context.Context, id string, at time.Time) error
	Memories(ctx context.Context, customerID string, withHistory bool) ([]memory.Memory, error)
	SearchMemories(ctx context.Context, customerID string, v []float32, k int) ([]memory.MemoryHit, error)
	SearchMemoriesKeyword(ctx context.Context, customerID string, terms []string, k int) ([]memory.MemoryHit, error)
}

// Embedder turns texts into vectors (memory/embed provides them).
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Limits on what is stored, so a hostile or runaway transcript cannot grow
// a customer's memory without bound.
const (
	MaxText  = 500 // runes of a memory's text
	MaxValue = 200 // bytes of a slot value (cut on a character boundary)
	MaxKey   = 64  // bytes of a key
)
