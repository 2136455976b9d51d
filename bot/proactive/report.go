package proactive

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Retention window: a customer exposed at t is retained when they have any
// event between t+RetentionFrom and t+RetentionTo; customers exposed less
// than RetentionTo before the report's end are not yet counted.
const (
	RetentionFrom = 7 * 24 * time.Hour
	RetentionTo   = 30 * 24 * time.Hour
	// DefaultAttribution is the conversion window of a trigger without
	// outcome.within.
	DefaultAttribution = 7 * 24 * time.Hour
)

// GroupStats are one group's numbers in a report.
type GroupStats struct {
	// Customers exposed: with a sent firing (treatment) or a holdout
	// firing (holdout) in the period. Each counts once, from their first.
	Customers int `json:"customers"`
	Firings   int `json:"firings"` // firings of the group, any outcome
	Sends     int `json:"sends"`   // acted on (treatment only)
	Stored    int `json:"stored"`  // of which stored for the next visit
	Drafts    int `json:"drafts"`
	Failed    int `json:"failed"`
	// Conversions: exposed customers with an outcome event within the
	// attribution window after exposure.
	Conversions    int     `json:"conversions"`
	ConversionRate float64 `json:"conversion_rate"`
	// Retained out of RetentionEligible (exposed at least RetentionTo
	// before the end of the report).
	RetentionEligible int     `json:"retention_eligible"`
	Retained          int     `json:"retained"`
	RetentionRate     float64 `json:"retention_rate"`
}

// Uplift is treatment rate minus holdout rate with a 95% confidence
// interval (Newcombe's hybrid score interval from two Wilson intervals).
type Uplift struct {
	Diff     float64 `json:"diff"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
	Relative float64 `json:"relative,omitempty"` // Diff / holdout rate, when that is > 0
	// Significant: the interval excludes 0.
	Significant bool   `json:"significant"`
	Method      string `json:"method"`
	// Insufficient is set when a group has no customers: no interval.
	Insufficient bool `json:"insufficient,omitempty"`
}

// Report is a trigger's outcome over a period.
type Report struct {
	Trigger       string         `json:"trigger"`
	From          time.Time      `json:"from"`
	To            time.Time      `json:"to"`
	OutcomeEvents []string       `json:"outcome_events"`
	Attribution   string         `json:"attribution_window"`
	Firings       int            `json:"firings"`
	Sends         int            `json:"sends"`
	Suppressed    map[string]int `json:"suppressed"` // by guardrail
	Treatment     GroupStats     `json:"treatment"`
	Holdout       GroupStats     `json:"holdout"`
	Conversion    Uplift         `json:"conversion_uplift"`
	Retention     Uplift         `json:"retention_uplift"`
}

// EventReader reads a customer's stored events (memory.Store provides it).
type EventReader interface {
	Events(ctx context.Context, customerID string, q memory.EventQuery) ([]memory.Event, error)
}

// BuildReport joins a trigger's firings in [from, to) with the outcome
// events of the exposed customers. spec gives the outcome definition (nil:
// any event within DefaultAttribution).
func BuildReport(ctx context.Context, st State, events EventReader, trigger string, spec *Spec, from, to time.Time) (Report, error) {
	r := Report{Trigger: trigger, From: from, To: to, Suppressed: map[string]int{}}
	window := DefaultAttribution
	if spec != nil {
		r.OutcomeEvents = spec.Outcome.Events
		window = cmp.Or(spec.Outcome.Within.D(), DefaultAttribution)
	}
	r.Attribution = window.String()
	fs, err := st.Firings(ctx, trigger, from, to)
	if err != nil {
		return r, fmt.Errorf("proactive: report %s: %w", trigger, err)
	}
	exposed := map[string]time.Time{}
	group := map[string]string{}
	var order []string
	for _, f := range fs {
		g := &r.Treatment
		if f.Group == GroupHoldout {
			g = &r.Holdout
		}
		r.Firings++
		g.Firings++
		switch f.Outcome {
		case OutcomeSuppressed:
			r.Suppressed[f.Reason]++
			continue
		case OutcomeSent:
			r.Sends++
			g.Sends++
			if f.Stored {
				g.Stored++
			}
		case OutcomeDraft:
			g.Drafts++
			continue
		case OutcomeFailed:
			g.Failed++
			continue
		case OutcomeHoldout:
		default:
			continue
		}
		if _, ok := exposed[f.Customer]; !ok {
			exposed[f.Customer] = f.At
			group[f.Customer] = f.Group
			order = append(order, f.Customer)
		}
	}
	end := to
	if end.IsZero() {
		end = time.Now()
	}
	for _, c := range order {
		at := exposed[c]
		g := &r.Treatment
		if group[c] == GroupHoldout {
			g = &r.Holdout
		}
		g.Customers++
		if events == nil {
			continue
		}
		evs, err := events.Events(ctx, c, memory.EventQuery{Types: r.OutcomeEvents, Since: at.Add(time.Nanosecond), Until: at.Add(window), Limit: 1})
		if err == nil && len(evs) > 0 {
			g.Conversions++
		}
		if !at.Add(RetentionTo).After(end) {
			g.RetentionEligible++
			evs, err := events.Events(ctx, c, memory.EventQuery{Since: at.Add(RetentionFrom), Until: at.Add(RetentionTo), Limit: 1})
			if err == nil && len(evs) > 0 {
				g.Retained++
			}
		}
	}
	for _, g := range []*GroupStats{&r.Treatment, &r.Holdout} {
		g.ConversionRate = rate(g.Conversions, g.Customers)
		g.RetentionRate = rate(g.Retained, g.RetentionEligible)
	}
	r.Conversion = Newcombe(r.Treatment.Conversions, r.Treatment.Customers, r.Holdout.Conversions, r.Holdout.Customers)
	r.Retention = Newcombe(r.Treatment.Retained, r.Treatment.RetentionEligible, r.Holdout.Retained, r.Holdout.RetentionEligible)
	return r, nil
}

func rate(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

// z95 is the standard normal quantile for a two-sided 95% interval.
const z95 = 1.959963984540054

// Wilson is the Wilson score interval of k successes in n trials at 95%.
func Wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	p, nf, z2 := float64(k)/float64(n), float64(n), z95*z95
	centre := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / (1 + z2/nf)
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// Newcombe is the difference of two proportions (k1/n1 − k2/n2) with
// Newcombe's hybrid score interval (method 10 of Newcombe 1998), which
// behaves well for small groups and rates near 0 or 1, unlike the Wald
// interval.
func Newcombe(k1, n1, k2, n2 int) Uplift {
	u := Uplift{Method: "newcombe-wilson-95"}
	if n1 == 0 || n2 == 0 {
		u.Insufficient = true
		return u
	}
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	l1, h1 := Wilson(k1, n1)
	l2, h2 := Wilson(k2, n2)
	u.Diff = p1 - p2
	u.Low = u.Diff - math.Sqrt((p1-l1)*(p1-l1)+(h2-p2)*(h2-p2))
	u.High = u.Diff + math.Sqrt((h1-p1)*(h1-p1)+(p2-l2)*(p2-l2))
	if p2 > 0 {
		u.Relative = u.Diff / p2
	}
	u.Significant = u.Low > 0 || u.High < 0
	return u
}

// Report builds the report of one loaded trigger.
func (e *Engine) Report(ctx context.Context, trigger string, from, to time.Time) (Report, error) {
	var spec *Spec
	if t, ok := e.matrix.Load().Trigger(trigger); ok {
		spec = &t.Spec
	}
	var events EventReader
	if e.cfg.History != nil {
		events = e.cfg.History
	}
	return BuildReport(ctx, e.state, events, trigger, spec, from, to)
}
