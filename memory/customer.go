package memory

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
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
	// RecentOrders are the times of the latest orders, oldest first and
	// bounded (memory/profile), kept so that the reorder interval is
	// exact without reading the order history.
	RecentOrders []time.Time `json:"recent_orders,omitempty"`
}

// BehaviourProfile is how the customer moves through the site.
type BehaviourProfile struct {
	Visits      int         `json:"visits"` // sessions (a gap of 30 minutes starts a new one)
	PageViews   int         `json:"page_views"`
	FirstSeen   time.Time   `json:"first_seen,omitzero"`
	LastSeen    time.Time   `json:"last_seen,omitzero"`
	TotalDwell  int64       `json:"total_dwell_ms"`
	RecentPath  []PageVisit `json:"recent_path,omitempty"` // newest last, bounded
	VisitDays30 int         `json:"visit_days_30"`         // distinct days with a visit in the 30 up to LastSeen
	// ActiveDays are the UTC days ("2006-01-02") with a visit in the 30
	// days up to LastSeen, oldest first: the days VisitDays30 counts, kept
	// so that the count is exact without reading the event history.
	ActiveDays []string `json:"active_days,omitempty"`
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

// Clone returns a deep copy of p: changing one never changes the other.
func (p Profile) Clone() Profile {
	q := p
	q.Business.RecentOrders = slices.Clone(p.Business.RecentOrders)
	q.Behaviour.RecentPath = slices.Clone(p.Behaviour.RecentPath)
	q.Behaviour.ActiveDays = slices.Clone(p.Behaviour.ActiveDays)
	q.Interaction.Sentiment = slices.Clone(p.Interaction.Sentiment)
	q.Interaction.QuestionTypes = maps.Clone(p.Interaction.QuestionTypes)
	return q
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

// MemoryHit is a memory found by a search, with its score (cosine
// similarity or BM25; higher is better). Its Embedding is left empty.
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
	// Customers is Customer for many ids in one read: each known id maps
	// to its customer (the survivor for a merged id); unknown and erased
	// ids are left out. An empty or repeated id is no error.
	Customers(ctx context.Context, ids []string) (map[string]Customer, error)
	// CustomerIDs lists every live customer (neither merged into another
	// nor erased), in id order, for reports and backtests.
	CustomerIDs(ctx context.Context) ([]string, error)
	// Identities lists a customer's identities.
	Identities(ctx context.Context, customerID string) ([]Identity, error)
	// LinkIdentity attaches id to the customer. When id already belongs to
	// another customer, the two are merged: the one that is not survivor
	// is merged into survivor (conversations, events, memories, profiles
	// and identities move; the merge is recorded) and survivor is returned.
	// survivor must be customerID or the identity's current owner (empty
	// means customerID); anything else is ErrInvalid. Linking an identity
	// the customer already has changes nothing. Merges are flattened: a
	// customer merged into another earlier follows its survivor, so every
	// merged id resolves to the survivor in one step.
	LinkIdentity(ctx context.Context, customerID string, id Identity, survivor string, reason string) (Customer, error)
	// Merges lists the merges into a customer, oldest first, including
	// those of customers merged into it later (their Into is rewritten to
	// the survivor).
	Merges(ctx context.Context, customerID string) ([]Merge, error)
	// DeleteCustomer erases a customer's personal data: identities,
	// conversations and messages, events, memories and profile. Only
	// anonymous counts remain. An id merged into another erases the
	// survivor (they are one person), and with it every merged id and the
	// merge records. ErrNotFound when unknown.
	DeleteCustomer(ctx context.Context, id string) (Erasure, error)
	// ErasureTotals sums every DeleteCustomer so far: the anonymous
	// aggregate that is all that remains of erased customers.
	ErasureTotals(ctx context.Context) (Erasure, error)

	// AppendEvents stores events, skipping those whose ID is stored
	// already (or repeated earlier in the batch); created[i] tells whether
	// events[i] was new. A duplicate changes nothing, whatever it holds.
	// CustomerID may be a merged id; the event is stored under the
	// survivor. ReceivedAt is set by the store. The batch is one
	// transaction: an invalid event (see ValidateEvent) or an unknown
	// customer fails the whole batch and stores nothing, so callers
	// validate each event first to report per-event errors.
	AppendEvents(ctx context.Context, events []Event) (created []bool, err error)
	// StoredEvents reports, in one read, which of ids are the ids of
	// stored events (whichever customer they belong to): stored[i] is
	// about ids[i]. Events of erased customers are not stored any more.
	StoredEvents(ctx context.Context, ids []string) (stored []bool, err error)
	// Events returns one customer's events, windowed by q, ordered by At
	// (then ID). ErrNotFound when the customer is unknown.
	Events(ctx context.Context, customerID string, q EventQuery) ([]Event, error)

	// Profile returns a customer's profile (an empty one with CustomerID
	// set, not an error, when none is stored yet). ErrNotFound when the
	// customer is unknown.
	Profile(ctx context.Context, customerID string) (Profile, error)
	// UpdateProfile reads, changes and writes a profile atomically: update
	// runs inside the store's transaction and may run again on conflict,
	// so it must not have other effects. An error from update is returned
	// and nothing is written. The store sets CustomerID (the survivor's)
	// and UpdatedAt (its clock) on what update leaves.
	UpdateProfile(ctx context.Context, customerID string, update func(*Profile) error) (Profile, error)
	// UpdateProfiles is UpdateProfile for many customers in one
	// transaction, so that a batch costs one commit, not one per customer.
	// update runs once per entry of customerIDs, in order, and gets that
	// entry as customerID; entries resolving to one survivor (merged ids,
	// repeats) change that one profile, in order. Any error (from update,
	// or ErrNotFound for an unknown id) writes nothing. Locks are taken
	// in customer-id order, so concurrent callers do not deadlock.
	UpdateProfiles(ctx context.Context, customerIDs []string, update func(customerID string, p *Profile) error) error

	// AddMemory stores a new memory (with terms and embedding filled in,
	// valid by ValidateMemory). It fills ID, CreatedAt and ValidFrom when
	// zero; an existing ID is ErrConflict.
	AddMemory(ctx context.Context, m Memory) (Memory, error)
	// SupersedeMemory ends old (ValidTo = next.ValidFrom, or now when that
	// is zero; SupersededBy = next's id) and stores next for old's customer,
	// atomically. ErrConflict when old is no longer current, ErrNotFound
	// when it does not exist.
	SupersedeMemory(ctx context.Context, oldID string, next Memory) (Memory, error)
	// InvalidateMemory ends a memory without a successor at at (now when
	// zero). ErrConflict when it has ended already.
	InvalidateMemory(ctx context.Context, id string, at time.Time) error
	// DeleteMemory erases one memory; it is never returned again.
	// ErrNotFound when unknown.
	DeleteMemory(ctx context.Context, id string) error
	// Memories lists a customer's memories, newest first: current ones
	// only, or with history (superseded and invalidated) too.
	Memories(ctx context.Context, customerID string, withHistory bool) ([]Memory, error)
	// SearchMemories returns the customer's k current memories nearest to
	// v (cosine), exactly: only that customer's memories are considered.
	// Hits carry no embedding; ties go to the smaller ID.
	SearchMemories(ctx context.Context, customerID string, v []float32, k int) ([]MemoryHit, error)
	// SearchMemoriesKeyword returns the customer's k current memories best
	// matching any of terms, by BM25 over that customer's current memories.
	SearchMemoriesKeyword(ctx context.Context, customerID string, terms []string, k int) ([]MemoryHit, error)
}

// Limits both stores enforce.
const (
	MaxEventIDLen     = 128      // bytes
	MaxEventTypeLen   = 64       // bytes
	MaxEventProps     = 16 << 10 // bytes of JSON
	DefaultEventLimit = 100      // EventQuery.Limit ≤ 0
	MaxEventLimit     = 1000     // larger limits are cut to this
	MaxMemoryText     = 2000     // runes
	maxMemoryField    = 256      // bytes of Key, Value, Lang
)

// ValidateEvent checks what a store checks of an event before storing it,
// except that its customer exists: ID 1–128 printable characters, Type
// [a-z][a-z0-9_.]{0,63}, Props a JSON object of at most 16 KiB (empty means
// {}), At set, Source printable. Errors are ErrInvalid and name the field.
func ValidateEvent(e Event) error {
	switch {
	case e.ID == "" || len(e.ID) > MaxEventIDLen || !printable(e.ID):
		return fmt.Errorf("event id %q: want 1-%d printable characters: %w", clip(e.ID), MaxEventIDLen, ErrInvalid)
	case !validEventType(e.Type):
		return fmt.Errorf("event %s: type %q: want [a-z][a-z0-9_.]{0,63}: %w", e.ID, clip(e.Type), ErrInvalid)
	case e.CustomerID == "" || !printable(e.CustomerID):
		return fmt.Errorf("event %s: customer_id %q: %w", e.ID, clip(e.CustomerID), ErrInvalid)
	case len(e.Source) > maxMemoryField || !printable(e.Source):
		return fmt.Errorf("event %s: source %q: %w", e.ID, clip(e.Source), ErrInvalid)
	case e.At.IsZero():
		return fmt.Errorf("event %s: at is missing: %w", e.ID, ErrInvalid)
	case len(e.Props) > MaxEventProps:
		return fmt.Errorf("event %s: props of %d bytes exceed %d: %w", e.ID, len(e.Props), MaxEventProps, ErrInvalid)
	}
	if len(e.Props) > 0 && !isJSONObject(e.Props) {
		return fmt.Errorf("event %s: props: want a JSON object: %w", e.ID, ErrInvalid)
	}
	return nil
}

func validEventType(t string) bool {
	if t == "" || len(t) > MaxEventTypeLen || t[0] < 'a' || t[0] > 'z' {
		return false
	}
	for i := 1; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// isJSONObject reports whether b is one valid JSON object without NUL
// escapes, which PostgreSQL's jsonb refuses.
func isJSONObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b) && !bytes.Contains(b, []byte(`\u0000`))
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// clip shortens hostile input before it is quoted in an error.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// ValidMemoryKind reports whether k is one of the Memory* kinds.
func ValidMemoryKind(k string) bool {
	switch k {
	case MemoryFact, MemoryPreference, MemoryCommitment, MemoryEpisode:
		return true
	}
	return false
}

// ValidateMemory checks what a store checks of a memory before storing it,
// except its embedding's dimension and that its customer exists: a known
// kind, text of 1–2000 runes, importance within 0..1, valid UTF-8 without
// NUL everywhere, and a validity interval that does not end before it
// starts. Errors are ErrInvalid.
func ValidateMemory(m Memory) error {
	switch {
	case !ValidMemoryKind(m.Kind):
		return fmt.Errorf("memory kind %q: %w", clip(m.Kind), ErrInvalid)
	case m.Text == "":
		return fmt.Errorf("memory text is empty: %w", ErrInvalid)
	case utf8.RuneCountInString(m.Text) > MaxMemoryText:
		return fmt.Errorf("memory text exceeds %d characters: %w", MaxMemoryText, ErrInvalid)
	case math.IsNaN(m.Importance) || m.Importance < 0 || m.Importance > 1:
		return fmt.Errorf("memory importance %v outside 0..1: %w", m.Importance, ErrInvalid)
	case len(m.Key) > maxMemoryField || len(m.Value) > maxMemoryField || len(m.Lang) > maxMemoryField:
		return fmt.Errorf("memory key, value or lang longer than %d bytes: %w", maxMemoryField, ErrInvalid)
	case !m.ValidTo.IsZero() && !m.ValidFrom.IsZero() && m.ValidTo.Before(m.ValidFrom):
		return fmt.Errorf("memory valid_to before valid_from: %w", ErrInvalid)
	}
	for _, s := range append([]string{m.ID, m.CustomerID, m.Kind, m.Key, m.Text, m.Value, m.Lang, m.SupersededBy}, m.Terms...) {
		if !utf8.ValidString(s) || bytes.IndexByte([]byte(s), 0) >= 0 {
			return fmt.Errorf("memory text is not valid UTF-8 or holds NUL: %w", ErrInvalid)
		}
	}
	for _, src := range m.Sources {
		if !utf8.ValidString(src.ConversationID) || bytes.IndexByte([]byte(src.ConversationID), 0) >= 0 {
			return fmt.Errorf("memory source is not valid UTF-8 or holds NUL: %w", ErrInvalid)
		}
	}
	return nil
}

// MergeProfiles returns the profile of a customer merged from two: counts
// are summed, first times take the earlier and last times the later, the
// recent path and the sentiment history are interleaved by time and cut to
// the longer of the two bounds they arrived with (the profile builder owns
// the bound), scores are combined as weighted means, and where only one
// value can stand (tier, stage) into's wins unless it is empty. The active
// days are united and cut to the 30 days up to the later LastSeen, which
// VisitDays30 then counts exactly (a profile without active days, from
// before they were kept, counts as many as it says). The recent orders are
// interleaved and all kept; the reorder interval is the weighted mean of
// the two until the profile builder recomputes it from them (memory/profile
// owns their bound and the median). The result carries into's CustomerID.
func MergeProfiles(into, from Profile) Profile {
	out := into
	out.UpdatedAt = later(into.UpdatedAt, from.UpdatedAt)

	b, fb := &out.Business, from.Business
	b.Tier = cmp.Or(b.Tier, fb.Tier)
	b.Stage = cmp.Or(b.Stage, fb.Stage)
	b.ReorderIntervalDays = weighted(b.ReorderIntervalDays, max(b.Orders-1, 0), fb.ReorderIntervalDays, max(fb.Orders-1, 0))
	b.Orders += fb.Orders
	b.LifetimeValue += fb.LifetimeValue
	b.Refunds += fb.Refunds
	b.FirstOrderAt = earlier(b.FirstOrderAt, fb.FirstOrderAt)
	b.LastOrderAt = later(b.LastOrderAt, fb.LastOrderAt)
	b.RecentOrders = interleaveAll(b.RecentOrders, fb.RecentOrders, func(t time.Time) time.Time { return t })

	h, fh := &out.Behaviour, from.Behaviour
	h.Visits += fh.Visits
	h.PageViews += fh.PageViews
	h.TotalDwell += fh.TotalDwell
	h.FirstSeen = earlier(h.FirstSeen, fh.FirstSeen)
	h.LastSeen = later(h.LastSeen, fh.LastSeen)
	h.VisitDays30 = mergeDays(h, fh)
	h.RecentPath = interleave(h.RecentPath, fh.RecentPath, func(p PageVisit) time.Time { return p.At })

	i, fi := &out.Interaction, from.Interaction
	i.Conversations += fi.Conversations
	i.Messages += fi.Messages
	i.LastContact = later(i.LastContact, fi.LastContact)
	i.Sentiment = interleave(i.Sentiment, fi.Sentiment, func(p SentimentPoint) time.Time { return p.At })
	i.CSAT = mergeScore(i.CSAT, fi.CSAT)
	i.CES = mergeScore(i.CES, fi.CES)
	if len(fi.QuestionTypes) > 0 {
		qt := make(map[string]int, len(i.QuestionTypes)+len(fi.QuestionTypes))
		for k, n := range i.QuestionTypes {
			qt[k] += n
		}
		for k, n := range fi.QuestionTypes {
			qt[k] += n
		}
		i.QuestionTypes = qt
	}
	return out
}

func earlier(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func weighted(a float64, wa int, b float64, wb int) float64 {
	switch {
	case b == 0 || wb == 0:
		return cmp.Or(a, b)
	case a == 0 || wa == 0:
		return b
	}
	return (a*float64(wa) + b*float64(wb)) / float64(wa+wb)
}

func mergeScore(a, b Score) Score {
	if a.Count+b.Count == 0 {
		return Score{}
	}
	return Score{Count: a.Count + b.Count, Mean: (a.Mean*float64(a.Count) + b.Mean*float64(b.Count)) / float64(a.Count+b.Count)}
}

// visitDaysWindow is the span of BehaviourProfile.ActiveDays, in days.
const visitDaysWindow = 30

// mergeDays unites the active days of b (whose LastSeen is already the
// later of the two) and from, and returns how many there are. Without
// active days on either side (profiles from before they were kept) the
// larger count stands: the days may overlap.
func mergeDays(b *BehaviourProfile, from BehaviourProfile) int {
	if len(b.ActiveDays) == 0 && len(from.ActiveDays) == 0 {
		return max(b.VisitDays30, from.VisitDays30)
	}
	days := append(slices.Clone(b.ActiveDays), from.ActiveDays...)
	slices.Sort(days)
	days = slices.Compact(days)
	first := b.LastSeen.UTC().AddDate(0, 0, 1-visitDaysWindow).Format(time.DateOnly)
	if i, _ := slices.BinarySearch(days, first); i > 0 {
		days = days[i:]
	}
	b.ActiveDays = slices.Clip(days)
	return len(days)
}

// interleaveAll merges two time-ordered lists, oldest first, keeping all.
func interleaveAll[T any](a, b []T, at func(T) time.Time) []T {
	if len(b) == 0 {
		return a
	}
	out := make([]T, 0, len(a)+len(b))
	out = append(append(out, a...), b...)
	slices.SortStableFunc(out, func(x, y T) int { return at(x).Compare(at(y)) })
	return out
}

// interleave merges two time-ordered lists, oldest first, keeping the
// newest max(len(a), len(b)) items.
func interleave[T any](a, b []T, at func(T) time.Time) []T {
	if len(b) == 0 {
		return a
	}
	bound := max(len(a), len(b))
	out := make([]T, 0, len(a)+len(b))
	out = append(append(out, a...), b...)
	slices.SortStableFunc(out, func(x, y T) int { return at(x).Compare(at(y)) })
	return slices.Clip(out[len(out)-min(bound, len(out)):])
}
