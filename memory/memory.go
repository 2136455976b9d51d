// Package memory is Kairos's system of record: customers and their
// identities, conversations and their messages, the knowledge chunks the
// dialogue engine answers from, and the customer-360 data (events, profiles,
// long-term memories).
//
// This package holds the vocabulary (types, the Store contract and error
// kinds). Implementations live beside it: memory/embedded (a single pure-Go
// file, the default) and memory/postgres (PostgreSQL with pgvector). Both pass
// the same contract suite in memory/storetest.
package memory

import (
	"context"
	"time"
)

// Role says who wrote a message.
type Role string

// The roles a message can have.
const (
	RoleCustomer Role = "customer"
	RoleBot      Role = "bot"
	RoleAgent    Role = "agent"
	RoleSystem   Role = "system"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleCustomer, RoleBot, RoleAgent, RoleSystem:
		return true
	}
	return false
}

// Customer is one person, however many identities they reach us through.
type Customer struct {
	ID        string
	CreatedAt time.Time
}

// Identity is one way a customer is known: a web visitor token's id, a
// WeChat openid, the host site's user id. Kind and Value together are unique.
type Identity struct {
	Kind  string // e.g. "web_visitor", "site_user", "wechat_openid"
	Value string
}

// Conversation is a thread of messages with one customer on one channel.
type Conversation struct {
	ID         string
	CustomerID string
	Channel    string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// LastSeq is the highest sequence number handed out in this
	// conversation, by ReserveSeq or AppendMessage.
	LastSeq int64
	// AckedSeq is the highest sequence number a client of this conversation
	// acknowledged having received.
	AckedSeq int64
}

// Message is one utterance in a conversation. Seq orders the transcript and
// is unique within the conversation; it may have gaps (a reserved sequence
// number whose turn failed is never used).
type Message struct {
	ConversationID string
	Seq            int64
	Role           Role
	Text           string
	// ClientID is the id a client gave its message, so a resend of the same
	// message is recognised. Empty for messages we produce.
	ClientID string
	// ReplyTo is the Seq of the customer message this one answers, or 0.
	ReplyTo   int64
	CreatedAt time.Time
}

// Document is a knowledge source as ingested: a Markdown file, a text, an FAQ.
type Document struct {
	ID        string
	Title     string
	Source    string // where it came from: a file name, "api", "sample"
	Format    string // "markdown", "text" or "faq"
	Lang      string // "zh", "en" or "" when mixed or unknown
	CreatedAt time.Time
	Chunks    int // how many chunks the document was cut into
}

// Chunk is a searchable piece of a document.
type Chunk struct {
	ID         string
	DocumentID string
	Ord        int    // position within the document
	Title      string // the document's title, copied for display
	Heading    string // section path ("Returns > Refund timing"), or the FAQ question
	Text       string // the passage, or the FAQ answer
	Lang       string
	// Terms are the keyword-search tokens of Heading and Text (words and CJK
	// bigrams), as knowledge.Terms produces them.
	Terms     []string
	Embedding []float32
}

// ChunkHit is a chunk found by a search, with the score that ranked it
// (cosine similarity for vector search, a keyword relevance for keyword
// search; higher is better in both). Its Embedding is left empty: no caller
// of a search needs it, and it is most of a chunk's bytes.
type ChunkHit struct {
	Chunk
	Score float64
}

// Store is the contract every storage backend keeps. Methods are safe for
// concurrent use. Errors are wrapped; test them with errors.Is against the
// kinds in this package (ErrNotFound, ErrInvalid, ErrConflict).
type Store interface {
	// CustomerByIdentity returns the customer known by id, creating the
	// customer and the identity on first sight. created reports whether it
	// was created by this call.
	CustomerByIdentity(ctx context.Context, id Identity) (c Customer, created bool, err error)

	// CurrentConversation returns the customer's most recent conversation on
	// channel, or starts one when there is none or the most recent was last
	// updated before idleSince.
	CurrentConversation(ctx context.Context, customerID, channel string, idleSince time.Time) (Conversation, error)
	// Conversation returns one conversation, or ErrNotFound.
	Conversation(ctx context.Context, id string) (Conversation, error)

	// ReserveSeq hands out the next sequence number of a conversation
	// without storing a message, so a streamed reply can be announced under
	// the number its final message will carry.
	ReserveSeq(ctx context.Context, conversationID string) (int64, error)
	// AppendMessage stores m. When m.Seq is 0 the next sequence number is
	// assigned; otherwise m.Seq must have been reserved and not yet used.
	// When m.ClientID is set and a message with that client id exists in
	// the conversation, the existing message is returned with created false
	// and nothing is written: resends are idempotent.
	AppendMessage(ctx context.Context, m Message) (stored Message, created bool, err error)
	// Messages returns up to limit messages with Seq > afterSeq, oldest first.
	Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]Message, error)
	// LastMessages returns the last n messages, oldest first.
	LastMessages(ctx context.Context, conversationID string, n int) ([]Message, error)
	// ReplyTo returns the bot or agent message that answers the customer
	// message with sequence number seq, or ErrNotFound.
	ReplyTo(ctx context.Context, conversationID string, seq int64) (Message, error)
	// Ack records that a client received everything up to seq. Acks never
	// move backwards; an ack beyond LastSeq is ErrInvalid.
	Ack(ctx context.Context, conversationID string, seq int64) error

	// AddDocument stores a document and its chunks (with terms and
	// embeddings filled in) atomically and returns the stored document.
	AddDocument(ctx context.Context, d Document, chunks []Chunk) (Document, error)
	// Documents lists documents, newest first.
	Documents(ctx context.Context) ([]Document, error)
	// DeleteDocument removes a document and its chunks, or ErrNotFound.
	DeleteDocument(ctx context.Context, id string) error
	// SearchVector returns the k chunks nearest to v by cosine similarity.
	SearchVector(ctx context.Context, v []float32, k int) ([]ChunkHit, error)
	// SearchKeyword returns the k chunks best matching any of terms.
	SearchKeyword(ctx context.Context, terms []string, k int) ([]ChunkHit, error)

	// CustomerStore is the customer-360 part: identities and merges,
	// events, profiles and long-term memories (memory/customer.go).
	CustomerStore

	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error
	// Close flushes and releases the store.
	Close() error
}
