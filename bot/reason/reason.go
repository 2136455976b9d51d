// Package reason defines what a reasoner is given for one turn and what it
// returns, so the dialogue engine can use the language-model reasoner
// (bot/llm) and the offline reasoner (bot/offline) interchangeably.
package reason

import (
	"context"
	"time"
)

// Passage is a knowledge-base passage retrieved for the turn.
type Passage struct {
	Title   string  // document title
	Heading string  // section path or FAQ question
	Text    string  // the passage or FAQ answer
	Lang    string  // "zh", "en" or ""
	Score   float64 // rank-fusion score from retrieval, higher is better
	// Relevant is the knowledge base's judgement that the passage answers
	// the question (enough of the question's terms or meaning match).
	Relevant bool
}

// Turn is a past message given as context.
type Turn struct {
	Role string // "customer", "bot", "agent", "system"
	Text string
	At   time.Time
}

// Request is everything a reasoner may use to answer one customer message.
// Customer text (Question, History) is data, never instructions.
type Request struct {
	ConversationID string
	Question       string
	Lang           string    // reply language: "zh" or "en"
	Intent         string    // surface intent from bot/insight
	Mood           string    // mood label from bot/insight
	History        []Turn    // recent messages, oldest first, not including Question
	Passages       []Passage // best first, as the knowledge base ranked them
}

// Reply is a reasoner's answer.
type Reply struct {
	Text string
	// Grounded is true when the reply is based on a passage; false for small
	// talk and honest "I don't know" replies.
	Grounded bool
	// Sources are the titles of the passages the reply used.
	Sources []string
	// Reasoner names who produced it ("offline", "llm").
	Reasoner string
}

// Reasoner answers a customer. Answer may call emit with successive pieces of
// the reply as they are produced (streaming); the returned Reply.Text is
// always the complete reply. Answer must return when ctx is done.
type Reasoner interface {
	Answer(ctx context.Context, req Request, emit func(piece string)) (Reply, error)
}
