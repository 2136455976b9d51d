package bot

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Turn outcomes, the values of turns_total's "outcome" label.
const (
	outcomePrimary  = "primary"   // the primary reasoner answered
	outcomeFallback = "fallback"  // the primary failed; the fallback answered
	outcomeNoAnswer = "no_answer" // nothing relevant known; honest reply without the primary
	outcomeSkipped  = "skipped"   // a resent message turned out to be answered already
	outcomeError    = "error"     // no reply could be stored or delivered
)

type metrics struct {
	turns     *prometheus.CounterVec
	duration  prometheus.Histogram
	fallbacks prometheus.Counter
	// interventions counts turns answered with a changed tone and an
	// offer of a human because the mood trajectory crossed the threshold.
	interventions prometheus.Counter
}

// newMetrics registers the engine's metrics with reg; with a nil reg they
// are still counted, just not exported.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		turns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kairos", Name: "turns_total",
			Help: "Dialogue turns by outcome (primary, fallback, no_answer, skipped, error).",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "kairos", Name: "turn_duration_seconds",
			Help:    "Time from a turn starting to its reply being delivered.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 5, 10, 20, 30},
		}),
		fallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "kairos", Name: "reasoner_fallbacks_total",
			Help: "Turns where the primary reasoner failed or timed out and the fallback answered.",
		}),
		interventions: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "kairos", Name: "escalation_interventions_total",
			Help: "Turns answered with an apology and an offer of a human because the escalation risk crossed the threshold.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.turns, m.duration, m.fallbacks, m.interventions} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("bot: register metrics: %w", err)
		}
	}
	return m, nil
}
