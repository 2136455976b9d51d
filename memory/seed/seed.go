// Package seed generates a realistic history for the demo shop — customers
// with identities on several channels, browsing, orders on each customer's
// own reorder cycle, deliveries, refunds, support chats, surveys, app usage
// and bills — with known ground truth (who churned, and when), and writes
// it through the store.
//
// Generation is pure and deterministic: the same Config gives the same
// customers, identities, events and chats, whatever machine runs it (the
// store assigns customer ids, so those differ between stores; Truth keys
// each customer by a stable Key too). Writing is idempotent: seeding the
// same data again adds nothing.
package seed

import (
	"errors"
	"fmt"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Segments: what a customer mainly buys.
const (
	SegmentWater   = "water"   // a purifier, then a filter every ~90 days
	SegmentBaby    = "baby"    // formula, one tin per ~29 days, stages 1–3
	SegmentFashion = "fashion" // jackets now and then; wants the sold-out sneaker
	SegmentBrowser = "browser" // looks around, rarely buys
)

// Config says what to generate.
type Config struct {
	Customers int
	Days      int
	Seed      int64
	// End is when the history ends (the demo's "now"); the history covers
	// the Days before it. Zero: required by Generate; the CLI uses now.
	End time.Time
	// ChurnRate is the share of customers who churn within the window
	// (default 0.2).
	ChurnRate float64
}

// Limits.
const (
	MaxCustomers     = 1_000_000
	MaxDays          = 730
	DefaultChurnRate = 0.2
)

func (c *Config) check() error {
	switch {
	case c.Customers < 1 || c.Customers > MaxCustomers:
		return fmt.Errorf("seed: customers must be 1 to %d, got %d: %w", MaxCustomers, c.Customers, memory.ErrInvalid)
	case c.Days < 1 || c.Days > MaxDays:
		return fmt.Errorf("seed: days must be 1 to %d, got %d: %w", MaxDays, c.Days, memory.ErrInvalid)
	case c.End.IsZero():
		return errors.New("seed: End is required")
	case c.ChurnRate < 0 || c.ChurnRate > 1:
		return fmt.Errorf("seed: churn rate must be within 0..1, got %v: %w", c.ChurnRate, memory.ErrInvalid)
	}
	if c.ChurnRate == 0 {
		c.ChurnRate = DefaultChurnRate
	}
	c.End = c.End.UTC()
	return nil
}

// Start is when the history begins.
func (c Config) Start() time.Time { return c.End.AddDate(0, 0, -c.Days) }

// Customer is one generated customer, before the store knows them.
type Customer struct {
	// Key is stable across runs and stores: "<seed>-<index>".
	Key        string
	Lang       string // "zh" or "en"
	Identities []memory.Identity
	// Events are in time order; CustomerID is left empty.
	Events []memory.Event
	Chats  []Chat
	Truth  Truth
}

// Chat is one support conversation.
type Chat struct {
	Channel  string // "web" or "wechat"
	Messages []ChatMessage
}

// ChatMessage is one message of a chat, with what the insight step would
// have found in a customer's message (for the profile).
type ChatMessage struct {
	Role    memory.Role
	Text    string
	At      time.Time
	Intent  string  // customer messages only
	Mood    string  // customer messages only
	Valence float64 // -1..1
}

// Truth is what evaluations compare predictions against.
type Truth struct {
	Segment string `json:"segment"`
	Churned bool   `json:"churned"`
	// ChurnDay is the day (0 = the first day of the history) from which
	// the customer does nothing; -1 when they did not churn.
	ChurnDay int       `json:"churn_day"`
	ChurnAt  time.Time `json:"churn_at,omitzero"`
	// CycleDays is the customer's own reorder cycle for their segment's
	// consumable (0 when they have none).
	CycleDays float64 `json:"cycle_days,omitempty"`
	// Orders is how many orders were generated.
	Orders int `json:"orders"`
}

// Generate returns the customer with the given index (0 ≤ index <
// Customers). It is pure: the same cfg and index give the same customer.
func Generate(cfg Config, index int) (Customer, error) {
	if err := cfg.check(); err != nil {
		return Customer{}, err
	}
	if index < 0 || index >= cfg.Customers {
		return Customer{}, fmt.Errorf("seed: index %d out of range: %w", index, memory.ErrInvalid)
	}
	return simulate(cfg, index), nil
}
