package nba

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Adoption event types: every offer and its outcome, stored as customer
// events (memory.CustomerStore.AppendEvents) for the outcome reports.
// docs/prediction.md documents their props.
const (
	// TypeOffered is an action chosen for a customer (props OfferedProps),
	// event id "nba-offer-<decision id>".
	TypeOffered = "nba_offered"
	// TypeFeedback is the customer's response to an offer (props
	// FeedbackProps), event id "nba-feedback-<decision id>": one per
	// decision, so a replayed outcome is stored and learned once.
	TypeFeedback = "nba_feedback"
	// EventSource is the events' source.
	EventSource = "nba"
)

// OfferedProps are the props of an nba_offered event.
type OfferedProps struct {
	DecisionID string  `json:"decision_id"`
	Action     string  `json:"action"`
	Arm        string  `json:"arm"`
	Context    string  `json:"context"`
	Explored   bool    `json:"explored"`
	Prior      float64 `json:"prior"`
	Mean       float64 `json:"mean"`
	ChurnRisk  float64 `json:"churn_risk"`
	Intent     string  `json:"intent,omitempty"`
	Mood       string  `json:"mood,omitempty"`
	Proactive  bool    `json:"proactive,omitempty"`
}

// FeedbackProps are the props of an nba_feedback event.
type FeedbackProps struct {
	DecisionID string `json:"decision_id"`
	Action     string `json:"action"`
	Arm        string `json:"arm"`
	Context    string `json:"context"`
	Outcome    string `json:"outcome"` // accepted, declined, ignored
	// LatencyS is the seconds between the offer and the outcome.
	LatencyS float64 `json:"latency_s"`
}

// EventLog is where adoption is recorded: memory.CustomerStore's event
// calls.
type EventLog interface {
	AppendEvents(ctx context.Context, events []memory.Event) (created []bool, err error)
	Events(ctx context.Context, customerID string, q memory.EventQuery) ([]memory.Event, error)
}

func offeredEvent(d Decision, s Situation, chosen Candidate) memory.Event {
	props, _ := json.Marshal(OfferedProps{DecisionID: d.ID, Action: d.Action, Arm: d.Arm, Context: d.Context, Explored: d.Explored,
		Prior: round3(chosen.Prior), Mean: round3(chosen.Mean), ChurnRisk: round3(clamp01(s.ChurnRisk)),
		Intent: s.Insight.Intent, Mood: s.Insight.Mood, Proactive: s.Proactive})
	return memory.Event{ID: "nba-offer-" + d.ID, CustomerID: d.CustomerID, Type: TypeOffered, Source: EventSource, Props: props, At: d.At}
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// FeedbackWindow is how long after an offer its outcome is accepted.
const FeedbackWindow = 14 * 24 * time.Hour

// findOffer returns the offer of decision id to the customer, made within
// FeedbackWindow before now.
func findOffer(ctx context.Context, log EventLog, customerID, id string, now time.Time) (memory.Event, OfferedProps, error) {
	evs, err := log.Events(ctx, customerID, memory.EventQuery{Types: []string{TypeOffered},
		Since: now.Add(-FeedbackWindow), Until: now.Add(time.Minute), Limit: memory.MaxEventLimit, Desc: true})
	if err != nil {
		return memory.Event{}, OfferedProps{}, fmt.Errorf("nba: offers of %s: %w", customerID, err)
	}
	for _, ev := range evs {
		if ev.ID != "nba-offer-"+id {
			continue
		}
		var p OfferedProps
		if err := json.Unmarshal(ev.Props, &p); err != nil || p.DecisionID != id || !ValidAction(p.Action) || !validArm(p.Arm) || !validContext(p.Context) {
			return memory.Event{}, OfferedProps{}, fmt.Errorf("nba: offer %s of %s is malformed: %w", id, customerID, memory.ErrInvalid)
		}
		return ev, p, nil
	}
	return memory.Event{}, OfferedProps{}, fmt.Errorf("nba: no offer %s to %s in the last %s: %w", id, customerID, FeedbackWindow, memory.ErrNotFound)
}
