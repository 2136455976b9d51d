// Package nba picks the next best action for a customer — answer only, a
// coupon, a tutorial, a replenishment reminder, an instalment plan, an
// exchange offer, a human agent or nothing — from the turn's insight, the
// profile and the churn risk, and learns from whether customers accept.
//
// Choosing is a contextual bandit: Thompson sampling over Beta-Bernoulli
// arms, one per (action, context bucket), with a prior from documented
// rules. Guardrails run first and are absolute (no coupon for an angry
// customer mid-complaint unless the policy allows it; nothing but an answer
// or a human when escalation risk is high; eligibility rules); exploration
// is bounded. The arms' counts live in a State shared by every node (a
// NATS JetStream key-value bucket in production), and every offer and its
// outcome is recorded as a customer event (nba_offered, nba_feedback) for
// the outcome reports. docs/prediction.md documents the rules.
package nba

import (
	"time"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/memory"
)

// The candidate actions.
const (
	AnswerOnly    = "answer_only"
	Coupon        = "coupon"
	Tutorial      = "tutorial"
	Replenishment = "replenishment_reminder"
	Instalment    = "instalment_plan"
	Exchange      = "exchange_offer"
	HumanAgent    = "human_agent"
	DoNothing     = "do_nothing"
)

// Actions are the candidate actions, in the order reports list them.
var Actions = []string{AnswerOnly, Coupon, Tutorial, Replenishment, Instalment, Exchange, HumanAgent, DoNothing}

// ValidAction reports whether a is one of Actions.
func ValidAction(a string) bool {
	for _, x := range Actions {
		if x == a {
			return true
		}
	}
	return false
}

// Situation is what a decision is made from.
type Situation struct {
	CustomerID string
	// Insight is the current turn's; zero for a proactive decision with no
	// turn.
	Insight insight.Insight
	Profile memory.Profile
	// ChurnRisk is 0..1 (bot/predict/churn).
	ChurnRisk float64
	Facts     Facts
	// Proactive is true when Kairos is considering reaching out, not
	// answering: answer_only is then not a candidate.
	Proactive bool
}

// Facts are eligibility facts the profile does not hold; FactsFromEvents
// derives them from the customer's recent events.
type Facts struct {
	// Consumable is true when a recent order held an item with a
	// consumption period; ReplenishIn is the days until the customer
	// expects to run out by it (negative: overdue).
	Consumable  bool
	ReplenishIn float64
	// Bill is true when a bill is open (a bill_generated event in the last
	// BillWindow).
	Bill bool
	// LastCouponAt is when a coupon was last offered (from nba_offered
	// events), for the cool-down.
	LastCouponAt time.Time
}

// Policy is what the business allows. The zero Policy is the default:
// every action enabled, no coupons for angry customers, DefaultPolicy's
// bounds.
type Policy struct {
	// AllowCouponWhenAngry lifts the guardrail against coupons for an angry
	// or frustrated customer mid-complaint.
	AllowCouponWhenAngry bool
	// NoCoupons, NoInstalments, NoHumans switch actions off (no coupon
	// budget, no instalment product, no agents on duty).
	NoCoupons, NoInstalments, NoHumans bool
	// CouponCooldown is the shortest time between two coupon offers to one
	// customer (default 7 days).
	CouponCooldown time.Duration
	// MaxExploreShare caps the share of decisions where the sampled action
	// differs from the one with the best expected acceptance (default
	// 0.15); beyond it the best is taken.
	MaxExploreShare float64
	// MinPrior is the lowest rule prior an action needs to be a candidate
	// at all (default 0.05): the bandit never explores actions the rules
	// consider pointless here.
	MinPrior float64
	// PriorStrength is how many observations the rule prior is worth
	// (default 10).
	PriorStrength float64
	// EscalateAt is the escalation risk from which only an answer or a
	// human is offered (default insight.EscalateAt).
	EscalateAt float64
}

// Policy defaults.
const (
	DefaultCouponCooldown  = 7 * 24 * time.Hour
	DefaultMaxExploreShare = 0.15
	DefaultMinPrior        = 0.05
	DefaultPriorStrength   = 10
)

func (p Policy) withDefaults() Policy {
	if p.CouponCooldown <= 0 {
		p.CouponCooldown = DefaultCouponCooldown
	}
	if p.MaxExploreShare <= 0 || p.MaxExploreShare > 1 {
		p.MaxExploreShare = DefaultMaxExploreShare
	}
	if p.MinPrior <= 0 || p.MinPrior >= 1 {
		p.MinPrior = DefaultMinPrior
	}
	if p.PriorStrength <= 0 {
		p.PriorStrength = DefaultPriorStrength
	}
	if p.EscalateAt <= 0 || p.EscalateAt > 1 {
		p.EscalateAt = insight.EscalateAt
	}
	return p
}

// Outcomes of an offer.
const (
	Accepted = "accepted"
	Declined = "declined"
	Ignored  = "ignored"
)

// Decision is a chosen action with how it was chosen.
type Decision struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Action     string `json:"action"`
	// Arm is the arm within the context that learns from the outcome:
	// the action, qualified for some actions by the rule signal that
	// matters most ("replenishment_reminder/due").
	Arm string `json:"arm"`
	// Context is the bucket the arms are counted in.
	Context string `json:"context"`
	// Explored is true when the sampled action was not the one with the
	// best expected acceptance.
	Explored   bool        `json:"explored"`
	Candidates []Candidate `json:"candidates"`
	// Blocked maps actions the guardrails excluded to the reason.
	Blocked map[string]string `json:"blocked,omitempty"`
	// Degraded is true when the shared state could not be read and the
	// decision rests on the rule prior alone.
	Degraded bool      `json:"degraded,omitempty"`
	At       time.Time `json:"at"`
}

// Candidate is one action that passed the guardrails.
type Candidate struct {
	Action string  `json:"action"`
	Arm    string  `json:"arm"`
	Prior  float64 `json:"prior"`  // the rules' expected acceptance
	Mean   float64 `json:"mean"`   // the posterior's expected acceptance
	Sample float64 `json:"sample"` // the Thompson draw
}
