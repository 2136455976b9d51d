package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what the language-model parts do beyond answering: when
// they fall back to the offline path and why, what the output guard
// blocked, which tools ran and how slow thinking ended. One Metrics is
// shared by the Reasoner, Analyzer and Extractor built from one Config.
type Metrics struct {
	fallbacks     *prometheus.CounterVec
	insight       *prometheus.CounterVec
	guard         *prometheus.CounterVec
	tools         *prometheus.CounterVec
	deliberations *prometheus.CounterVec
}

// NewMetrics registers the metrics with reg; with a nil reg they are still
// counted, just not exported.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kairos", Subsystem: "llm", Name: "fallbacks_total",
			Help: "Language-model calls replaced by the offline path, by part (insight, extract) and reason (invalid, rate_limited, server_error, timeout, error).",
		}, []string{"part", "reason"}),
		insight: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kairos", Subsystem: "llm", Name: "insight_total",
			Help: "LLM insight analyses by outcome (llm, retried, fallback).",
		}, []string{"outcome"}),
		guard: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kairos", Subsystem: "llm", Name: "guard_blocks_total",
			Help: "Replies the output guard replaced with a safe reply, by reason (system_prompt, foreign_data, injection).",
		}, []string{"reason"}),
		tools: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kairos", Subsystem: "llm", Name: "tool_calls_total",
			Help: "Tool calls the model made while answering, by tool and outcome (ok, error, refused).",
		}, []string{"tool", "outcome"}),
		deliberations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kairos", Subsystem: "llm", Name: "deliberations_total",
			Help: "Slow-thinking runs by outcome (draft_passed, revised, safe_fallback, error).",
		}, []string{"outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.fallbacks, m.insight, m.guard, m.tools, m.deliberations} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("llm: register metrics: %w", err)
		}
	}
	return m, nil
}

// unexported returns metrics that are counted but not exported, for a
// Config without Metrics.
func unexported() *Metrics {
	m, _ := NewMetrics(nil)
	return m
}

// Fallback reasons, the "reason" label of fallbacks_total.
const (
	reasonInvalid     = "invalid"
	reasonRateLimited = "rate_limited"
	reasonServerError = "server_error"
	reasonTimeout     = "timeout"
	reasonError       = "error"
)

// failureReason classifies why a call failed.
func failureReason(err error) string {
	var e *Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return reasonTimeout
	case errors.As(err, &e) && e.Status == http.StatusTooManyRequests:
		return reasonRateLimited
	case errors.As(err, &e) && e.Status >= 500:
		return reasonServerError
	case errors.As(err, &e) && e.Status == 0 && errors.Is(e.Err, errInvalid):
		return reasonInvalid
	}
	return reasonError
}

// errInvalid marks output that came back but failed validation.
var errInvalid = errors.New("invalid output")
