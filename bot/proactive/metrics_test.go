package proactive_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/sample"
)

// TestMetricsCountFiringsAndSuppressions runs the refund scenario through
// an engine whose state is wrapped by Metrics: one sent firing, one
// cooldown suppression and one opt-out suppression are what /metrics
// shows, beside the engine's evaluation counters.
func TestMetricsCountFiringsAndSuppressions(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := proactive.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	mem := proactive.NewMemState()
	matrix, err := sample.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	hist, del, clk := newHistory(), &deliverer{}, &clock{t: base}
	eng, err := proactive.New(proactive.Config{State: m.State(mem), History: hist, Deliverer: del, Now: clk.Now}, matrix)
	if err != nil {
		t.Fatal(err)
	}
	m.Watch(eng)
	r := &rig{eng: eng, state: mem, del: del, hist: hist, clk: clk}

	const policy = "/demo/refund-policy.html"
	sent := treated("refund_help", 0.1, 0)
	for i, at := range []time.Duration{0, 3 * time.Minute, 6 * time.Minute, 9 * time.Minute} {
		r.view(t, fmt.Sprintf("s%d", i), sent, policy, base.Add(at))
	}
	quiet := treated("refund_help", 0.1, 100)
	if err := eng.OptOut(context.Background(), quiet, true); err != nil {
		t.Fatal(err)
	}
	for i, at := range []time.Duration{0, 3 * time.Minute, 6 * time.Minute} {
		r.view(t, fmt.Sprintf("q%d", i), quiet, policy, base.Add(at))
	}

	want := outcomes(t, mem, "refund_help") // what the firing log holds
	if want[proactive.OutcomeSent] != 1 || want["suppressed:cooldown"] != 1 || want["suppressed:opt_out"] != 1 {
		t.Fatalf("scenario firings %v: want 1 sent, 1 cooldown, 1 opt_out", want)
	}
	firings := func(outcome string) float64 {
		return value(t, reg, "kairos_proactive_firings_total", map[string]string{"trigger": "refund_help", "outcome": outcome})
	}
	if got := firings("sent"); got != 1 {
		t.Errorf("sent firings %v, want 1", got)
	}
	if got := firings("suppressed"); got != 2 {
		t.Errorf("suppressed firings %v, want 2", got)
	}
	for _, g := range []string{"cooldown", "opt_out"} {
		if got := value(t, reg, "kairos_proactive_suppressions_total", map[string]string{"trigger": "refund_help", "guardrail": g}); got != 1 {
			t.Errorf("suppressions by %s: %v, want 1", g, got)
		}
	}
	if ev := eng.Evaluated.Load(); ev == 0 || gauge(t, reg, "kairos_proactive_evaluations_total") != float64(ev) {
		t.Errorf("evaluations metric %v, engine counted %d", gauge(t, reg, "kairos_proactive_evaluations_total"), ev)
	}
	if f := eng.Fired.Load(); f < 3 || gauge(t, reg, "kairos_proactive_fired_total") != float64(f) {
		t.Errorf("fired metric %v, engine counted %d", gauge(t, reg, "kairos_proactive_fired_total"), f)
	}
}

// TestMetricsLabelsBounded: unknown outcomes and reasons (a failure's
// free-text reason) and trigger ids past the limit do not create series.
func TestMetricsLabelsBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := proactive.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range proactive.MaxTriggerLabels + 50 {
		m.Observe(proactive.Firing{Trigger: fmt.Sprintf("t%d", i), Outcome: proactive.OutcomeSuppressed, Reason: fmt.Sprintf("webhook: 500 at %d", i)})
		m.Observe(proactive.Firing{Trigger: fmt.Sprintf("t%d", i), Outcome: "weird-" + fmt.Sprint(i)})
	}
	m.Observe(proactive.Firing{Trigger: "t0", Outcome: proactive.OutcomeFailed, Reason: "message: connection refused"})
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		triggers, other := map[string]bool{}, 0.0
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				switch l.GetName() {
				case "trigger":
					triggers[l.GetValue()] = true
				case "guardrail":
					if l.GetValue() != "other" {
						t.Errorf("%s: guardrail label %q from a free-text reason", f.GetName(), l.GetValue())
					}
				case "outcome":
					if v := l.GetValue(); v != "other" && v != "suppressed" && v != "failed" {
						t.Errorf("%s: outcome label %q", f.GetName(), v)
					}
				}
				if l.GetName() == "trigger" && l.GetValue() == "other" {
					other += mt.GetCounter().GetValue()
				}
			}
		}
		if len(triggers) > proactive.MaxTriggerLabels+1 {
			t.Errorf("%s: %d trigger label values, want at most %d", f.GetName(), len(triggers), proactive.MaxTriggerLabels+1)
		}
		if f.GetName() == "kairos_proactive_suppressions_total" && other != 50 {
			t.Errorf("suppressions of triggers past the limit counted %v under other, want 50", other)
		}
	}
}

// value is the counter of a family with exactly these labels (0 when
// there is none).
func value(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, mt := range f.GetMetric() {
			if len(mt.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range mt.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return mt.GetCounter().GetValue()
		}
	}
	return 0
}

// gauge is the value of an unlabelled counter or gauge family.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			mt := f.GetMetric()[0]
			if mt.GetCounter() != nil {
				return mt.GetCounter().GetValue()
			}
			return mt.GetGauge().GetValue()
		}
	}
	return -1
}
