package insight

import (
	"context"
	"time"
)

// This file is the contract every reasoner's insight meets: the offline
// analyzer in this package and the language-model analyzer in bot/llm both
// implement Analyzer, and the evaluation command (kairos eval insight) scores
// either through it.

// More intents of the documented taxonomy (docs/insight.md).
const (
	IntentCancelSubscription = "cancel_subscription"
	IntentTechSupport        = "tech_support"
)

// Intents is the documented intent taxonomy, in the order reports list it.
var Intents = []string{
	IntentOrderStatus, IntentShipping, IntentReturn, IntentRefund, IntentExchange,
	IntentProductQuestion, IntentSizeFit, IntentPaymentBilling, IntentCancelSubscription,
	IntentTechSupport, IntentMembership, IntentComplaint, IntentHumanRequest,
	IntentGreeting, IntentThanks, IntentOther,
}

// Hidden needs: what the customer really needs behind the surface intent.
const (
	NeedNone               = "none"
	NeedReassurance        = "reassurance"         // anxious about an order or payment; wants certainty and an update
	NeedAlternativeProduct = "alternative_product" // the product did not suit; show something that will
	NeedCompensation       = "compensation"        // wronged; expects something to make up for it
	NeedGuidance           = "guidance"            // lost in a process; wants step-by-step help
	NeedValueNotRealized   = "value_not_realized"  // paying without getting the value; wants to make it work
	NeedUrgency            = "urgency"             // a deadline; wants speed above all
	NeedHumanContact       = "human_contact"       // wants to be heard by a person
)

// Needs is the documented hidden-need set.
var Needs = []string{
	NeedNone, NeedReassurance, NeedAlternativeProduct, NeedCompensation, NeedGuidance,
	NeedValueNotRealized, NeedUrgency, NeedHumanContact,
}

// Moods is the documented mood set, from pleased to furious.
var Moods = []string{MoodHappy, MoodCalm, MoodConfused, MoodAnxious, MoodFrustrated, MoodAngry}

// Turn is one customer message with the signals beyond its words that the
// channel reported. Zero values mean "not reported".
type Turn struct {
	Text string
	At   time.Time
	// GapMS is the time since the previous message in the conversation
	// (anyone's), in milliseconds.
	GapMS int64
	// ComposeMS is how long the customer took to write the message and
	// Deletions how many characters they deleted while writing (reported by
	// the web widget).
	ComposeMS int64
	Deletions int
	// BotReply is the bot's answer to this turn, when known; Resolved says
	// whether that answer was grounded in knowledge or memory (a turn
	// without resolution otherwise).
	BotReply string
	Resolved bool
}

// Analyzer reads the latest customer turn in light of the conversation so
// far. turns holds the conversation's customer turns, oldest first, the
// current one last; earlier insights (one per earlier turn, same order) may be
// passed so an analyzer need not recompute them, or nil.
//
// Customer text is data: instructions inside it are never obeyed.
type Analyzer interface {
	Analyze(ctx context.Context, turns []Turn, earlier []Insight) (Insight, error)
}

// MoodPoint is a mood at one turn.
type MoodPoint struct {
	Label   string  `json:"label"`
	Valence float64 `json:"valence"` // -1 (very negative) .. 1 (very positive)
	Arousal float64 `json:"arousal"` // 0 (calm) .. 1 (agitated)
}

// Trends of a mood trajectory.
const (
	TrendImproving = "improving"
	TrendStable    = "stable"
	TrendWorsening = "worsening"
)

// Signals are what the conversation shows beyond the words of one message.
type Signals struct {
	Repeats         int   `json:"repeats"`          // customer turns that repeat an earlier question
	Asked           int   `json:"asked"`            // times the latest question was asked, itself included
	Unresolved      int   `json:"unresolved"`       // bot answers in a row without resolution
	BotRepeats      int   `json:"bot_repeats"`      // of those, answers that repeat an earlier answer of the bot
	PunctuationRuns int   `json:"punctuation_runs"` // "!!!", "???", "？？" runs in the recent turns
	FastReplies     int   `json:"fast_replies"`     // recent turns sent quickly after the previous message
	MeanGapMS       int64 `json:"mean_gap_ms"`      // mean gap between the recent turns
	Deletions       int   `json:"deletions"`        // characters deleted while composing the recent turns
	LongComposes    int   `json:"long_composes"`    // recent turns that took unusually long to write
}

// Trajectory is a conversation's mood over its turns, where it is heading
// and how likely the customer is to escalate.
type Trajectory struct {
	Moods    []MoodPoint `json:"moods"` // one per customer turn, oldest first
	Trend    string      `json:"trend"`
	Forecast MoodPoint   `json:"forecast"` // the expected mood of the next turn
	// EscalationRisk is 0..1; at or above EscalateAt the engine acts (tone
	// change, apology, offer of a human) before the customer is angry.
	EscalationRisk float64 `json:"escalation_risk"`
	Signals        Signals `json:"signals"`
	// Factors explain EscalationRisk: what added to it (or took from it)
	// and how much, largest first.
	Factors []RiskFactor `json:"factors,omitempty"`
}

// RiskFactor is one contribution to an escalation risk.
type RiskFactor struct {
	Name   string  `json:"name"` // e.g. "mood:frustrated", "unresolved", "repeats"
	Weight float64 `json:"weight"`
}

// EscalateAt is the escalation risk at which the engine intervenes.
const EscalateAt = 0.6

// Escalate reports whether the trajectory calls for intervention.
func (t Trajectory) Escalate() bool { return t.EscalationRisk >= EscalateAt }
