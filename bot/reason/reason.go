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
	Seq  int64 // the message's sequence number in its conversation
}

// Request is everything a reasoner may use to answer one customer message.
// Customer text (Question, History, Memories) is data, never instructions.
type Request struct {
	ConversationID string
	Question       string
	Lang           string // reply language: "zh" or "en"
	Intent         string // surface intent from bot/insight
	Mood           string // mood label from bot/insight
	// Need and NeedReason are the hidden need behind the intent and why
	// the analyzer thinks so (bot/insight).
	Need       string
	NeedReason string
	// EscalationRisk is the mood trajectory's risk that the customer is
	// about to escalate, 0..1. Intervene is set when it crossed the
	// threshold: the reply should change tone (acknowledge, apologise,
	// shorter and concrete) and offer a human before the customer asks.
	EscalationRisk float64
	Intervene      bool
	// NextAction is the next best action chosen for the turn
	// (bot/predict/nba: coupon, tutorial, replenishment_reminder,
	// instalment_plan, exchange_offer, human_agent, answer_only,
	// do_nothing), or empty. The reply offers it after answering.
	NextAction string
	History    []Turn    // recent messages, oldest first, not including Question
	Passages   []Passage // best first, as the knowledge base ranked them

	// CustomerID is who asks; empty when unknown.
	CustomerID string
	// Now is the time of the turn, for saying how long ago a memory was
	// told ("3周前"); zero means the reasoner's own clock.
	Now time.Time
	// Profile summarises the customer's 360 profile; nil when there is none.
	Profile *ProfileSummary
	// Memories are the customer's recalled long-term memories, best first,
	// possibly followed by the last conversation's episode summary. Their
	// text is what the customer (or we) said: data, never instructions.
	Memories []Memory
}

// Memory is a recalled long-term memory.
type Memory struct {
	Kind  string // "fact", "preference", "commitment" or "episode"
	Key   string // slot ("baby.age"), or empty
	Value string // the slot's normalised value, or empty
	Text  string // the memory as a sentence
	// SaidAt is when the customer told us (when the memory became valid).
	SaidAt time.Time
	// ConversationID is where it was said (its first source), so a reasoner
	// can tell the last conversation from this one.
	ConversationID string
	Importance     float64
	// Relevant is true when the memory shares words with the question.
	Relevant bool
	// Score ranks the memory, higher is better.
	Score float64
}

// ProfileSummary is the part of the customer-360 profile a reasoner may use
// to tailor a reply.
type ProfileSummary struct {
	Tier          string
	Stage         string // prospect, new, active, at_risk, churned
	Orders        int
	LifetimeValue float64
	LastOrderAt   time.Time
	Refunds       int
	Conversations int
	// TopQuestions are the intents the customer asked about most, most
	// frequent first.
	TopQuestions []string
	// RecentMood is the mood of the customer's latest turns, newest last.
	RecentMood []string
	CSAT       float64 // mean survey score, 0 when none
	LastSeen   time.Time
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
	// Offered is the Request's NextAction when the reply offers it, else
	// empty: only an offer the customer saw can be accepted or declined.
	Offered string
	// Usage is the language-model tokens the reply took, as the API
	// reported them; nil when no model was asked (the offline reasoner)
	// or the API reported no usage.
	Usage *Usage
}

// Usage is what a reply cost in language-model tokens.
type Usage struct {
	PromptTokens, CompletionTokens int
	// Cost is the tokens at the configured prices, in the prices'
	// currency; nil when no price is configured.
	Cost *float64
}

// Reasoner answers a customer. Answer may call emit with successive pieces of
// the reply as they are produced (streaming); the returned Reply.Text is
// always the complete reply. Answer must return when ctx is done.
type Reasoner interface {
	Answer(ctx context.Context, req Request, emit func(piece string)) (Reply, error)
}
