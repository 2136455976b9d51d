package memory

import (
	"context"
	"encoding/json"
	"time"
)

// Identity kinds Kairos knows. Any other non-empty kind is accepted too, for
// identities a business system defines.
const (
	IdentityWebVisitor    = "web_visitor"           // the widget's signed visitor token
	IdentitySiteUser      = "site_user"             // the host site's own user id (kairos.identify)
	IdentityWeChatOpenID  = "wechat_openid"         // per official account
	IdentityWeChatUnionID = "wechat_unionid"        // across a company's WeChat apps
	IdentityWeComExternal = "wecom_external_userid" // WeCom customer service
	IdentityDouyinOpenID  = "douyin_open_id"
	IdentityPhone         = "phone" // E.164, e.g. +8613800000000
)

// Merge records that one customer turned out to be another: everything of
// From (identities, conversations, events, memories, profile) now belongs to
// Into, and From resolves to Into.
type Merge struct {
	Into   string
	From   string
	Reason string // e.g. "identify site_user 42", "api link"
	At     time.Time
}

// Event is a business or behaviour event about a customer.
type Event struct {
	// ID makes ingestion idempotent: an event whose ID is stored already is
	// not applied again.
	ID         string
	CustomerID string
	Type       string          // "page_view", "order_placed", ... or a custom type
	Source     string          // "web", "api", "nats", "seed", ...
	Props      json.RawMessage // a JSON object
	At         time.Time       // when it happened
	ReceivedAt time.Time       // when Kairos stored it
}

// EventQuery selects one customer's events.
type EventQuery struct {
	Types []string  // empty: all types
	Since time.Time // inclusive; zero: no lower bound
	Until time.Time // exclusive; zero: no upper bound
	Limit int       // ≤ 0: a bounded default
	// Desc returns newest first (default oldest first).
	Desc bool
}

// Profile is the customer-360 view the engine and agents see, maintained
// incrementally from events and conversations. It is stored as a whole; its
// fields are documented where they are computed (memory/profile).
type Profile struct {
	CustomerID  string             `json:"customer_id"`
	UpdatedAt   time.Time          `json:"updated_at"`
	Business    BusinessProfile    `json:"business"`
	Behaviour   BehaviourProfile   `json:"behaviour"`
	Interaction InteractionProfile `json:"interaction"`
}

// BusinessProfile is what the customer bought and where they stand.
type BusinessProfile struct {
	Tier                string    `json:"tier,omitempty"`
	Orders              int       `json:"orders"`
	LifetimeValue       float64   `json:"lifetime_value"`
	FirstOrderAt        time.Time `json:"first_order_at,omitzero"`
	LastOrderAt         time.Time `json:"last_order_at,omitzero"`
	ReorderIntervalDays float64   `json:"reorder_interval_days,omitempty"` // typical gap between orders
	Refunds             int       `json:"refunds"`
	Stage               string    `json:"stage"` // prospect, new, active, at_risk, churned
}

// BehaviourProfile is how the customer moves through the site.
type BehaviourProfile struct {
	Visits      int         `json:"visits"` // sessions (a gap of 30 minutes starts a new one)
	PageViews   int         `json:"page_views"`
	FirstSeen   time.Time   `json:"first_seen,omitzero"`
	LastSeen    time.Time   `json:"last_seen,omitzero"`
	TotalDwell  int64       `json:"total_dwell_ms"`
	RecentPath  []PageVisit `json:"recent_path,omitempty"` // newest last, bounded
	VisitDays30 int         `json:"visit_days_30"`         // distinct days with a visit in the last 30
}

// PageVisit is one step of the recent path.
type PageVisit struct {
	URL     string    `json:"url"`
	Title   string    `json:"title,omitempty"`
	At      time.Time `json:"at"`
	DwellMS int64     `json:"dwell_ms,omitempty"`
}

// InteractionProfile is how the customer talks to us.
type InteractionProfile struct {
	Conversations int              `json:"conversations"`
	Messages      int              `json:"messages"`
	QuestionTypes map[string]int   `json:"question_types,omitempty"` // by intent
	Sentiment     []SentimentPoint `json:"sentiment,omitempty"`      // newest last, bounded
	CSAT          Score            `json:"csat"`
	CES           Score            `json:"ces"`
	LastContact   time.Time        `json:"last_contact,omitzero"`
}

// SentimentPoint is one turn's mood.
type SentimentPoint struct {
	At      time.Time `json:"at"`
	Mood    string    `json:"mood"`
	Valence float64   `json:"valence"`
}

// Score is a running mean of survey answers.
type Score struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
}

// Memory kinds.
const (
	MemoryFact       = "fact"       // "baby is 8 months old"
	MemoryPreference = "preference" // "prefers SF Express"
	MemoryCommitment = "commitment" // "we promised a callback Friday"
	MemoryEpisode    = "episode"    // a conversation's summary
)

// Memory is a durable thing Kairos learned about a customer. Memories are
// never silently overwritten: an update supersedes the old memory, which
// keeps its validity interval, and a contradiction invalidates it.
type Memory struct {
	ID         string
	CustomerID string
	Kind       string // one of the Memory* kinds
	// Key is the slot a fact or preference fills ("baby.age",
	// "shipping.carrier"), so a newer value can supersede an older one;
	// empty for free-form memories.
	Key        string
	Text       string // the memory as a sentence, in the customer's language
	Value      string // the slot's value, normalised ("8 months", "SF Express"), or empty
	Lang       string
	Importance float64 // 0..1
	Sources    []MessageRef
	CreatedAt  time.Time
	ValidFrom  time.Time
	// ValidTo is when the memory stopped being true (superseded or
	// invalidated); zero while it is current.
	ValidTo      time.Time
	SupersededBy string // the memory that replaced it, if any
	Terms        []string
	Embedding    []float32
}

// Current reports whether the memory is still valid.
func (m Memory) Current() bool { return m.ValidTo.IsZero() }

// MessageRef points at the message a memory came from.
type MessageRef struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
}

// MemoryHit is a memory found by a search, with its similarity score.
type MemoryHit struct {
	Memory
	Score float64
}

// Erasure counts what DeleteCustomer removed; only these anonymous counts
// are kept.
type Erasure struct {
	Customers     int
	Identities    int
	Conversations int
	Messages      int
	Events        int
	Memories      int
}

// CustomerStore is the customer-360 part of the store contract.
type CustomerStore interface {
	// Customer returns a customer by id; an id merged into another resolves
	// to the surviving customer. ErrNotFound when unknown or erased.
	Customer(ctx context.Context, id string) (Customer, error)
	// Identities lists a customer's identities.
	Identities(ctx context.Context, customerID string) ([]Identity, error)
	// LinkIdentity attaches id to the customer. When id already belongs to
	// another customer, the two are merged: the one that is not survivor
	// is merged into survivor (conversations, events, memories, profiles
	// and identities move; the merge is recorded) and survivor is returned.
	// survivor must be customerID or the identity's current owner.
	LinkIdentity(ctx context.Context, customerID string, id Identity, survivor string, reason string) (Customer, error)
	// Merges lists the merges into a customer, oldest first.
	Merges(ctx context.Context, customerID string) ([]Merge, error)
	// DeleteCustomer erases a customer's personal data: identities,
	// conversations and messages, events, memories and profile. Only
	// anonymous counts remain. ErrNotFound when unknown.
	DeleteCustomer(ctx context.Context, id string) (Erasure, error)

	// AppendEvents stores events, skipping those whose ID is stored
	// already; created[i] tells whether events[i] was new.
	AppendEvents(ctx context.Context, events []Event) (created []bool, err error)
	// Events returns one customer's events, windowed by q.
	Events(ctx context.Context, customerID string, q EventQuery) ([]Event, error)

	// Profile returns a customer's profile (an empty one, not an error,
	// when none is stored yet).
	Profile(ctx context.Context, customerID string) (Profile, error)
	// UpdateProfile reads, changes and writes a profile atomically: update
	// runs inside the store's transaction and may run again on conflict.
	UpdateProfile(ctx context.Context, customerID string, update func(*Profile) error) (Profile, error)

	// AddMemory stores a new memory (with terms and embedding filled in).
	AddMemory(ctx context.Context, m Memory) (Memory, error)
	// SupersedeMemory ends old (ValidTo = next.ValidFrom, SupersededBy =
	// next's id) and stores next, atomically. ErrConflict when old is no
	// longer current.
	SupersedeMemory(ctx context.Context, oldID string, next Memory) (Memory, error)
	// InvalidateMemory ends a memory without a successor.
	InvalidateMemory(ctx context.Context, id string, at time.Time) error
	// DeleteMemory erases one memory; it is never returned again.
	DeleteMemory(ctx context.Context, id string) error
	// Memories lists a customer's memories, newest first: current ones
	// only, or with history (superseded and invalidated) too.
	Memories(ctx context.Context, customerID string, withHistory bool) ([]Memory, error)
	// SearchMemories returns the customer's k current memories nearest to
	// v (cosine), exactly: only that customer's memories are considered.
	SearchMemories(ctx context.Context, customerID string, v []float32, k int) ([]MemoryHit, error)
	// SearchMemoriesKeyword returns the customer's k current memories best
	// matching any of terms.
	SearchMemoriesKeyword(ctx context.Context, customerID string, terms []string, k int) ([]MemoryHit, error)
}
