package outcomes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kairoscx/kairos/bot/handoff"
	"github.com/kairoscx/kairos/bot/predict/churn"
	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/memory"
)

// Record event types: a firing or a handoff record kept as a customer
// event (props: the record's JSON, as the firing log or the handoff stream
// hold it). kairos demo seed writes its simulated firings and handoffs
// this way; Compute reads them beside the live sources, so seeded and real
// records are one stream of records to the figures.
const (
	EventFiring  = "proactive.firing"
	EventHandoff = "handoff.record"
)

// Event types the figures read (besides outcome events).
const (
	EventTurn     = "conversation.turn"
	EventSurvey   = "survey"
	EventOffered  = "nba_offered"
	EventFeedback = "nba_feedback"
)

// EventScanner reads events across customers: fn gets every event with
// From ≤ At < To whose type is in Types (every type when empty), in any
// order. A store adapter (StoreScanner) or a bulk reader (pgscan) provides it.
type EventScanner interface {
	ScanEvents(ctx context.Context, q Scan, fn func(memory.Event) error) error
}

// Scan is what ScanEvents reads.
type Scan struct {
	From, To time.Time
	Types    []string
	// Customers, when not empty, limits the scan to these customers.
	Customers []string
}

// CustomerLister is what an EventScanner offers when it can list the
// customers (the churn evaluation's population). Without it the churn
// figures say "no data".
type CustomerLister interface {
	CustomerIDs(ctx context.Context) ([]string, error)
}

// Probe asks for a customer's first event in [From, To) whose type is in
// Types (any type when Types is empty), or, with Exclude, not in Types.
type Probe struct {
	Customer string
	From, To time.Time
	Types    []string
	Exclude  bool
}

// Prober answers many probes in bulk: found[i] is probes[i]'s first event
// (nil when there is none). An EventScanner without it is probed by
// scanning the probed customers' events.
type Prober interface {
	FirstEvents(ctx context.Context, probes []Probe) ([]*memory.Event, error)
}

// ProfileReader reads profiles in bulk (segments: tier and stage; churn:
// the sentiment history). Unknown ids are left out.
type ProfileReader interface {
	Profiles(ctx context.Context, ids []string) (map[string]memory.Profile, error)
}

// Segment is what a customer's segment is formed from: the profile's
// tier and lifecycle stage.
type Segment struct{ Tier, Stage string }

// SegmentReader is what a ProfileReader offers when it can read segments
// without decoding whole profiles. Unknown ids are left out.
type SegmentReader interface {
	Segments(ctx context.Context, ids []string) (map[string]Segment, error)
}

// FiringReader is the live firing log (proactive.State: the
// KAIROS_PROACTIVE_LOG stream or MemState).
type FiringReader interface {
	Firings(ctx context.Context, trigger string, from, to time.Time) ([]proactive.Firing, error)
}

// HandoffReader lists the handoff records (latest state of each) created
// in [from, to).
type HandoffReader interface {
	Handoffs(ctx context.Context, from, to time.Time) ([]handoff.Record, error)
}

// Sources are where the figures come from. Events is required; the others
// are optional and their figures say "no data" (with a note) without them.
type Sources struct {
	Events   EventScanner
	Profiles ProfileReader
	// Firings and Triggers: the live firing log and the loaded triggers
	// (their ids are what is read from the log; their outcome definitions
	// say what a conversion is). Firings kept as EventFiring events are
	// read whether or not Firings is set.
	Firings  FiringReader
	Triggers []proactive.Spec
	Handoffs HandoffReader
	// Churn is the model scored (nil: churn.Default()).
	Churn *churn.Model
}

// Params say what to compute. Zero values take the defaults below.
type Params struct {
	From, To time.Time
	By       string // "", trigger, channel, segment
	Interval string // day, week, month (default: by the period's length)
	// Now bounds what is observable (retention, the 72-hour return check);
	// default time.Now().
	Now time.Time
	// ChurnHorizon (30 days) is how long after the cut-off churn is
	// observed; the cut-off is To − ChurnHorizon (From when that is
	// earlier). ChurnLookback (60 days) is the activity before the
	// cut-off that makes a customer part of the churn evaluation.
	ChurnHorizon, ChurnLookback time.Duration
	// K for precision@k (default: the number observed to churn).
	K int
	// ReturnWindow (72 h): a customer back within it was not resolved.
	ReturnWindow time.Duration
	// AgentMinutes saved per bot resolution (default 6).
	AgentMinutes float64
	// MinGroup is the smallest group (treatment or holdout customers, or
	// scored customers with each class) a verdict is given for (default
	// 30); below it the verdict is "inconclusive".
	MinGroup int
	// ChurnSample caps the customers the churn model is scored on (a
	// deterministic sample by id hash; default 2000, which puts the AUC's
	// interval within about ±0.03 at a 10% churn rate).
	ChurnSample int
	// Issues maps a trigger to the intents that mean its customer raised
	// the trigger's issue (default DefaultIssues).
	Issues map[string][]string
}

// DefaultIssues are the issue intents of the sample triggers.
var DefaultIssues = map[string][]string{
	"bill_instalment":      {"payment_billing"},
	"refund_help":          {"refund", "return"},
	"cart_abandoned":       {"payment_billing", "product_question"},
	"replenish_consumable": {"order_status", "product_question"},
	"reorder_rhythm":       {"order_status"},
	"usage_decline":        {"tech_support", "cancel_subscription"},
	"vip_out_of_stock":     {"product_question"},
	"repeated_question":    {"complaint", "human_request"},
	"mood_rescue":          {"complaint", "human_request"},
}

// Limits of a report.
const (
	MaxSpan    = 400 * 24 * time.Hour
	MaxBuckets = 400
)

// ErrInvalid marks bad parameters.
var ErrInvalid = errors.New("invalid report parameters")

// Validate reports what is wrong with p (an ErrInvalid naming the
// parameter), or nil.
func (p Params) Validate() error { return p.normalize() }

// normalize validates p and fills the defaults.
func (p *Params) normalize() error {
	switch {
	case p.From.IsZero() || p.To.IsZero():
		return fmt.Errorf("from and to are required: %w", ErrInvalid)
	case !p.From.Before(p.To):
		return fmt.Errorf("from (%s) must be before to (%s): %w", p.From.Format(time.RFC3339), p.To.Format(time.RFC3339), ErrInvalid)
	case p.To.Sub(p.From) > MaxSpan:
		return fmt.Errorf("period of %d days exceeds %d: %w", int(p.To.Sub(p.From).Hours()/24), int(MaxSpan.Hours()/24), ErrInvalid)
	}
	switch p.By {
	case ByNone, ByTrigger, ByChannel, BySegment:
	default:
		return fmt.Errorf("by %q: want trigger, channel or segment: %w", clip(p.By), ErrInvalid)
	}
	if p.Interval == "" {
		switch span := p.To.Sub(p.From); {
		case span <= 62*24*time.Hour:
			p.Interval = IntervalDay
		case span <= 200*24*time.Hour:
			p.Interval = IntervalWeek
		default:
			p.Interval = IntervalMonth
		}
	}
	switch p.Interval {
	case IntervalDay, IntervalWeek, IntervalMonth:
	default:
		return fmt.Errorf("interval %q: want day, week or month: %w", clip(p.Interval), ErrInvalid)
	}
	if n := len(buckets(p.From, p.To, p.Interval)); n > MaxBuckets {
		return fmt.Errorf("%d %s buckets exceed %d: %w", n, p.Interval, MaxBuckets, ErrInvalid)
	}
	if p.K < 0 || p.ChurnHorizon < 0 || p.ChurnLookback < 0 || p.ReturnWindow < 0 || p.AgentMinutes < 0 || p.MinGroup < 0 || p.ChurnSample < 0 {
		return fmt.Errorf("k, horizons, windows, agent minutes and min group must not be negative: %w", ErrInvalid)
	}
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	p.From, p.To, p.Now = p.From.UTC(), p.To.UTC(), p.Now.UTC()
	if p.ChurnHorizon == 0 {
		p.ChurnHorizon = 30 * 24 * time.Hour
	}
	if p.ChurnLookback == 0 {
		p.ChurnLookback = 60 * 24 * time.Hour
	}
	if p.ReturnWindow == 0 {
		p.ReturnWindow = 72 * time.Hour
	}
	if p.AgentMinutes == 0 {
		p.AgentMinutes = 6
	}
	if p.MinGroup == 0 {
		p.MinGroup = 30
	}
	if p.ChurnSample == 0 {
		p.ChurnSample = 2000
	}
	if p.Issues == nil {
		p.Issues = DefaultIssues
	}
	return nil
}

// buckets splits [from, to) into UTC days, ISO weeks (Monday) or months;
// the first and last are cut to the period.
func buckets(from, to time.Time, interval string) [][2]time.Time {
	var out [][2]time.Time
	start := from.UTC()
	for t := start; t.Before(to) && len(out) <= MaxBuckets; {
		var next time.Time
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		switch interval {
		case IntervalDay:
			next = d.AddDate(0, 0, 1)
		case IntervalWeek:
			wd := (int(d.Weekday()) + 6) % 7 // Monday 0
			next = d.AddDate(0, 0, 7-wd)
		default:
			next = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		}
		if next.After(to) {
			next = to
		}
		out = append(out, [2]time.Time{t, next})
		t = next
	}
	return out
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
