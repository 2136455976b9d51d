package handoff

import (
	"context"
	"time"

	"github.com/kairoscx/kairos/bot/insight"
)

// Package is everything an agent needs to take over without asking the
// customer to repeat themselves: the value of key p.<handoff_id> and the
// "package" of a kairos.handoff.get reply.
type Package struct {
	V             int             `json:"v"`
	HandoffID     string          `json:"handoff_id"`
	Summary       string          `json:"summary"`
	SummarySource string          `json:"summary_source,omitempty"` // "llm" or "extractive"
	Insight       *PackageInsight `json:"insight,omitempty"`
	Customer      *Customer360    `json:"customer,omitempty"`
	Memories      []PackageMemory `json:"memories,omitempty"`
	Suggestions   []Suggestion    `json:"suggestions,omitempty"`
	Transcript    []Message       `json:"transcript_tail,omitempty"`
	Notes         []Note          `json:"notes,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
}

// PackageInsight is the last turn's reading of the customer.
type PackageInsight struct {
	Intent     string             `json:"intent,omitempty"`
	Need       string             `json:"need,omitempty"`
	NeedReason string             `json:"need_reason,omitempty"`
	Mood       string             `json:"mood,omitempty"`
	Lang       string             `json:"lang,omitempty"`
	Trajectory insight.Trajectory `json:"trajectory"`
}

// Customer360 is the customer as the profile knows them.
type Customer360 struct {
	CustomerID    string     `json:"customer_id"`
	Name          string     `json:"name,omitempty"`
	Tier          string     `json:"tier,omitempty"`
	VIP           bool       `json:"vip"`
	LifetimeValue float64    `json:"lifetime_value"`
	Orders        int        `json:"orders"`
	Refunds       int        `json:"refunds"`
	LastOrderAt   *time.Time `json:"last_order_at,omitempty"`
	RecentOrders  []OrderRef `json:"recent_orders,omitempty"`
	RecentPath    []PageRef  `json:"recent_path,omitempty"`
	Lifecycle     string     `json:"lifecycle,omitempty"`
	ChurnRisk     float64    `json:"churn_risk"`
	Channels      []string   `json:"channels,omitempty"`
	Moods         []MoodAt   `json:"moods,omitempty"` // recent sentiment across conversations
}

// OrderRef is one recent order.
type OrderRef struct {
	ID     string    `json:"id,omitempty"`
	Status string    `json:"status,omitempty"`
	Total  float64   `json:"total,omitempty"`
	At     time.Time `json:"at"`
	Items  []string  `json:"items,omitempty"`
}

// PageRef is one step of the recent browsing path.
type PageRef struct {
	URL   string    `json:"url"`
	Title string    `json:"title,omitempty"`
	At    time.Time `json:"at"`
}

// MoodAt is one mood in the customer's history.
type MoodAt struct {
	At      time.Time `json:"at"`
	Mood    string    `json:"mood"`
	Valence float64   `json:"valence"`
}

// PackageMemory is one long-term memory.
type PackageMemory struct {
	Kind     string    `json:"kind"`
	Key      string    `json:"key,omitempty"`
	Text     string    `json:"text"`
	At       time.Time `json:"at,omitzero"`
	Relevant bool      `json:"relevant"`
}

// Suggestion is a reply the agent can insert, edit and send.
type Suggestion struct {
	Text   string `json:"text"`
	Source string `json:"source,omitempty"`
	Lang   string `json:"lang,omitempty"`
}

// PackageInput is what the package is built from: the conversation, the
// customer and the insight the escalation decided on.
type PackageInput struct {
	ConversationID string
	CustomerID     string
	Lang           string
	// Question is the customer's latest message, for recall and
	// suggestions.
	Question string
	Insight  *insight.Insight
	Reason   string
}

// Packager builds the handoff package. The dialogue engine implements it
// (bot.(*Engine).HandoffPackage): it has the store, long-term memory, the
// knowledge base and, when configured, the language model.
type Packager interface {
	HandoffPackage(ctx context.Context, in PackageInput) (Package, error)
}
