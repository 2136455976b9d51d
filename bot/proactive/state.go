package proactive

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// ErrNotFound is returned for unknown drafts and triggers.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a draft was decided already.
var ErrConflict = errors.New("conflict")

// State is the engine's durable state: idempotency claims, each customer's
// guardrail ledger and preferences, the firing log and approval drafts.
// bot/proactive/stream keeps it in NATS (KV buckets and a stream); MemState
// keeps it in memory for tests and backtests. Implementations are safe for
// concurrent use.
type State interface {
	// Claim records key and reports true, or reports false when key was
	// claimed before: the (trigger, customer, occurrence) idempotency that
	// keeps a redelivered event from acting twice.
	Claim(ctx context.Context, key string) (bool, error)
	// Customer returns a customer's state (zero when none is stored).
	Customer(ctx context.Context, id string) (CustomerState, error)
	// UpdateCustomer reads, changes and writes a customer's state
	// atomically; update may run again on conflict.
	UpdateCustomer(ctx context.Context, id string, update func(*CustomerState) error) (CustomerState, error)
	// Record appends a firing to the log. Records with an ID recorded
	// before are dropped.
	Record(ctx context.Context, f Firing) error
	// Firings returns the firings of a trigger with from ≤ At < to, oldest
	// first.
	Firings(ctx context.Context, trigger string, from, to time.Time) ([]Firing, error)
	// PutDraft stores a draft; UpdateDraft changes one atomically
	// (ErrNotFound when unknown); Drafts lists drafts with a status ("":
	// all), oldest first.
	PutDraft(ctx context.Context, d Draft) error
	UpdateDraft(ctx context.Context, id string, update func(*Draft) error) (Draft, error)
	Drafts(ctx context.Context, status string) ([]Draft, error)
}

// CustomerState is what the engine keeps per customer.
type CustomerState struct {
	OptOut   bool            `json:"opt_out,omitempty"`
	OptOutAt time.Time       `json:"opt_out_at,omitzero"`
	Consent  map[string]bool `json:"consent,omitempty"`
	TimeZone string          `json:"tz,omitempty"`
	Lang     string          `json:"lang,omitempty"`
	Tags     []string        `json:"tags,omitempty"`
	// Sends are the recent contacts, for caps and cooldowns (pruned after
	// 8 days).
	Sends []Send `json:"sends,omitempty"`
}

// Send is one contact (or, with Holdout, one withheld contact: it counts
// for its own trigger's cooldown and caps so that both groups fire alike,
// but not for the global caps).
type Send struct {
	Trigger string    `json:"t"`
	At      time.Time `json:"at"`
	Facing  bool      `json:"f,omitempty"`
	Holdout bool      `json:"h,omitempty"`
}

// Outcomes of a firing.
const (
	OutcomeSent       = "sent"       // acted on (a message delivered or stored for the next visit, a webhook...)
	OutcomeHoldout    = "holdout"    // in the holdout group: recorded, not acted on
	OutcomeSuppressed = "suppressed" // a guardrail stopped it (Reason says which)
	OutcomeDraft      = "draft"      // waiting for a human's approval
	OutcomeFailed     = "failed"     // acting failed (Reason says why)
)

// Groups.
const (
	GroupTreatment = "treatment"
	GroupHoldout   = "holdout"
)

// Firing is one time a trigger's condition held for a customer, and what
// came of it.
type Firing struct {
	ID         string         `json:"id"`
	Trigger    string         `json:"trigger"`
	Customer   string         `json:"customer"`
	Occurrence string         `json:"occurrence"`
	At         time.Time      `json:"at"`
	Group      string         `json:"group"`
	Outcome    string         `json:"outcome"`
	Reason     string         `json:"reason,omitempty"`
	Channel    string         `json:"channel,omitempty"`
	Stored     bool           `json:"stored,omitempty"` // message kept for the next visit
	Actions    []ActionResult `json:"actions,omitempty"`
}

// ActionResult is how one action went.
type ActionResult struct {
	Type     string `json:"type"`
	OK       bool   `json:"ok"`
	Attempts int    `json:"attempts,omitempty"`
	Error    string `json:"error,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// Draft statuses.
const (
	DraftPending  = "pending"
	DraftApproved = "approved" // approved and sent
	DraftRejected = "rejected"
	DraftFailed   = "failed" // approved but delivery failed
)

// Draft is a message waiting for a human's approval.
type Draft struct {
	ID         string    `json:"id"`
	Trigger    string    `json:"trigger"`
	Customer   string    `json:"customer"`
	Occurrence string    `json:"occurrence"`
	Kind       string    `json:"kind"`
	Lang       string    `json:"lang"`
	Text       string    `json:"text"`
	Human      bool      `json:"human_option,omitempty"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	DecidedAt  time.Time `json:"decided_at,omitzero"`
	DecidedBy  string    `json:"decided_by,omitempty"`
	Note       string    `json:"note,omitempty"`
	Edited     bool      `json:"edited,omitempty"`
}

// MemState is State in memory.
type MemState struct {
	mu        sync.Mutex
	claims    map[string]bool
	customers map[string]CustomerState
	firings   map[string][]Firing
	ids       map[string]bool
	drafts    map[string]Draft
}

// NewMemState returns an empty MemState.
func NewMemState() *MemState {
	return &MemState{claims: map[string]bool{}, customers: map[string]CustomerState{},
		firings: map[string][]Firing{}, ids: map[string]bool{}, drafts: map[string]Draft{}}
}

func (s *MemState) Claim(_ context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claims[key] {
		return false, nil
	}
	s.claims[key] = true
	return true, nil
}

func (s *MemState) Customer(_ context.Context, id string) (CustomerState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneCustomer(s.customers[id]), nil
}

func (s *MemState) UpdateCustomer(_ context.Context, id string, update func(*CustomerState) error) (CustomerState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := cloneCustomer(s.customers[id])
	if err := update(&c); err != nil {
		return CustomerState{}, err
	}
	s.customers[id] = c
	return cloneCustomer(c), nil
}

func cloneCustomer(c CustomerState) CustomerState {
	c.Sends = slices.Clone(c.Sends)
	c.Tags = slices.Clone(c.Tags)
	if c.Consent != nil {
		m := make(map[string]bool, len(c.Consent))
		for k, v := range c.Consent {
			m[k] = v
		}
		c.Consent = m
	}
	return c
}

func (s *MemState) Record(_ context.Context, f Firing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.ID != "" {
		if s.ids[f.ID] {
			return nil
		}
		s.ids[f.ID] = true
	}
	s.firings[f.Trigger] = append(s.firings[f.Trigger], f)
	return nil
}

func (s *MemState) Firings(_ context.Context, trigger string, from, to time.Time) ([]Firing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Firing
	for _, f := range s.firings[trigger] {
		if !f.At.Before(from) && (to.IsZero() || f.At.Before(to)) {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b Firing) int { return a.At.Compare(b.At) })
	return out, nil
}

func (s *MemState) PutDraft(_ context.Context, d Draft) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drafts[d.ID] = d
	return nil
}

func (s *MemState) UpdateDraft(_ context.Context, id string, update func(*Draft) error) (Draft, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.drafts[id]
	if !ok {
		return Draft{}, ErrNotFound
	}
	if err := update(&d); err != nil {
		return Draft{}, err
	}
	s.drafts[id] = d
	return d, nil
}

func (s *MemState) Drafts(_ context.Context, status string) ([]Draft, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Draft
	for _, d := range s.drafts {
		if status == "" || d.Status == status {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Draft) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmpString(a.ID, b.ID)
	})
	return out, nil
}
