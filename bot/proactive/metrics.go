package proactive

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics exports the trigger engine's work to Prometheus:
//
//	kairos_proactive_evaluations_total        conditions evaluated (Engine.Evaluated)
//	kairos_proactive_fired_total              conditions that held (Engine.Fired)
//	kairos_proactive_eval_errors_total        conditions that failed to evaluate (Engine.EvalErrors)
//	kairos_proactive_firings_total{trigger,outcome}
//	    firing records written: sent, holdout, suppressed, draft, failed
//	kairos_proactive_suppressions_total{trigger,guardrail}
//	    suppressed firings by the guardrail that stopped them
//
// The firing counters count the records the engine writes through the
// State that Metrics.State wraps, on this node (sum them over nodes). A
// record written again for a redelivered event counts again, as the
// firing log stores it once by id: read them as rates, not as exact
// totals (kairos triggers report has those).
//
// Label values are bounded: at most MaxTriggerLabels distinct trigger ids
// (later ones count as "other"), the outcome constants and the guardrail
// constants ("other" for anything else).
type Metrics struct {
	engine      atomic.Pointer[Engine]
	firings     *prometheus.CounterVec
	suppressed  *prometheus.CounterVec
	evaluations *prometheus.Desc
	fired       *prometheus.Desc
	evalErrors  *prometheus.Desc

	mu       sync.Mutex
	triggers map[string]bool // trigger label values handed out
}

// MaxTriggerLabels bounds the trigger label's distinct values.
const MaxTriggerLabels = 200

// NewMetrics registers the trigger metrics with reg (nil: counted, not
// exported). Wrap the engine's State with Metrics.State before proactive.New
// and give the engine to Metrics.Watch after.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		firings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kairos", Subsystem: "proactive", Name: "firings_total",
			Help: "Firing records written by trigger and outcome (sent, holdout, suppressed, draft, failed).",
		}, []string{"trigger", "outcome"}),
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kairos", Subsystem: "proactive", Name: "suppressions_total",
			Help: "Firings a guardrail stopped, by trigger and guardrail (opt_out, consent, quiet_hours, cooldown, caps, superseded).",
		}, []string{"trigger", "guardrail"}),
		evaluations: prometheus.NewDesc("kairos_proactive_evaluations_total", "Trigger conditions evaluated.", nil, nil),
		fired:       prometheus.NewDesc("kairos_proactive_fired_total", "Trigger conditions that held (before guardrails).", nil, nil),
		evalErrors:  prometheus.NewDesc("kairos_proactive_eval_errors_total", "Trigger conditions that failed to evaluate.", nil, nil),
		triggers:    map[string]bool{},
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.firings, m.suppressed, engineCounters{m}} {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				return nil, err
			}
		}
	}
	return m, nil
}

// Watch makes the engine's evaluation counters part of the metrics.
func (m *Metrics) Watch(e *Engine) { m.engine.Store(e) }

// State wraps s so that every firing record written through it is
// counted. The wrapper passes everything else through unchanged.
func (m *Metrics) State(s State) State { return &countingState{State: s, m: m} }

// Observe counts one firing record (what the wrapped State does on
// Record; exported for states written elsewhere).
func (m *Metrics) Observe(f Firing) {
	trig := m.triggerLabel(f.Trigger)
	outcome := f.Outcome
	switch outcome {
	case OutcomeSent, OutcomeHoldout, OutcomeSuppressed, OutcomeDraft, OutcomeFailed:
	default:
		outcome = "other"
	}
	m.firings.WithLabelValues(trig, outcome).Inc()
	if outcome == OutcomeSuppressed {
		m.suppressed.WithLabelValues(trig, guardrailLabel(f.Reason)).Inc()
	}
}

func (m *Metrics) triggerLabel(id string) string {
	if id == "" {
		return "none"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.triggers[id] {
		return id
	}
	if len(m.triggers) >= MaxTriggerLabels {
		return "other"
	}
	m.triggers[id] = true
	return id
}

func guardrailLabel(reason string) string {
	switch reason {
	case GuardOptOut, GuardConsent, GuardQuietHours, GuardCooldown, GuardTriggerDay, GuardTriggerWeek,
		GuardGlobalDay, GuardGlobalWeek, GuardSuperseded:
		return reason
	}
	return "other"
}

type countingState struct {
	State
	m *Metrics
}

func (s *countingState) Record(ctx context.Context, f Firing) error {
	err := s.State.Record(ctx, f)
	if err == nil {
		s.m.Observe(f)
	}
	return err
}

// Flush passes through to a state that buffers firing records (the
// JetStream state), so wrapping it loses nothing.
func (s *countingState) Flush(ctx context.Context) error {
	if f, ok := s.State.(interface{ Flush(context.Context) error }); ok {
		return f.Flush(ctx)
	}
	return nil
}

// Unwrap returns the wrapped State.
func (s *countingState) Unwrap() State { return s.State }

// engineCounters reads the watched engine's atomic counters at scrape
// time.
type engineCounters struct{ m *Metrics }

func (c engineCounters) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.m.evaluations
	ch <- c.m.fired
	ch <- c.m.evalErrors
}

func (c engineCounters) Collect(ch chan<- prometheus.Metric) {
	e := c.m.engine.Load()
	if e == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.m.evaluations, prometheus.CounterValue, float64(e.Evaluated.Load()))
	ch <- prometheus.MustNewConstMetric(c.m.fired, prometheus.CounterValue, float64(e.Fired.Load()))
	ch <- prometheus.MustNewConstMetric(c.m.evalErrors, prometheus.CounterValue, float64(e.EvalErrors.Load()))
}
