package proactive_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/proactive"
)

func TestNewcombeMatchesPublishedExample(t *testing.T) {
	// Newcombe (1998), example (a): 56/70 vs 48/80, method 10 gives
	// 0.0524 to 0.3339 around a difference of 0.2000.
	u := proactive.Newcombe(56, 70, 48, 80)
	if math.Abs(u.Diff-0.2) > 1e-9 || math.Abs(u.Low-0.0524) > 1e-3 || math.Abs(u.High-0.3339) > 1e-3 || !u.Significant {
		t.Errorf("Newcombe = %+v, want 0.2 [0.0524, 0.3339]", u)
	}
	if u := proactive.Newcombe(0, 10, 0, 0); !u.Insufficient {
		t.Errorf("an empty holdout gave %+v", u)
	}
}

func TestReportJoinsOutcomesToBothGroups(t *testing.T) {
	ctx := context.Background()
	st, hist := proactive.NewMemState(), newHistory()
	at := base
	add := func(cus, group, outcome, reason string, converts bool) {
		f := proactive.Firing{ID: cus + outcome, Trigger: "refund_help", Customer: cus, Occurrence: "o", At: at, Group: group, Outcome: outcome, Reason: reason}
		if err := st.Record(ctx, f); err != nil {
			t.Fatal(err)
		}
		if converts {
			hist.add(event(t, cus+"-conv", cus, "refund_requested", at.Add(time.Hour), map[string]any{"order_id": "1"}))
		}
		hist.add(event(t, cus+"-late", cus, "page_view", at.Add(10*24*time.Hour), map[string]any{"url": "/"}))
	}
	add("t1", proactive.GroupTreatment, proactive.OutcomeSent, "", true)
	add("t2", proactive.GroupTreatment, proactive.OutcomeSent, "", true)
	add("t3", proactive.GroupTreatment, proactive.OutcomeSent, "", false)
	add("t3", proactive.GroupTreatment, proactive.OutcomeSuppressed, proactive.GuardCooldown, false)
	add("h1", proactive.GroupHoldout, proactive.OutcomeHoldout, "", true)
	add("h2", proactive.GroupHoldout, proactive.OutcomeHoldout, "", false)
	spec := &proactive.Spec{Outcome: proactive.Outcome{Events: []string{"refund_requested"}, Within: proactive.Duration(72 * time.Hour)}}
	r, err := proactive.BuildReport(ctx, st, hist, "refund_help", spec, base.Add(-time.Hour), base.Add(40*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r.Treatment.Customers != 3 || r.Treatment.Conversions != 2 || r.Holdout.Customers != 2 || r.Holdout.Conversions != 1 {
		t.Errorf("groups = %+v / %+v", r.Treatment, r.Holdout)
	}
	if r.Sends != 3 || r.Suppressed[proactive.GuardCooldown] != 1 || r.Firings != 6 {
		t.Errorf("firings %d, sends %d, suppressed %v", r.Firings, r.Sends, r.Suppressed)
	}
	if r.Treatment.Retained != 3 || r.Treatment.RetentionEligible != 3 {
		t.Errorf("retention %d/%d, want 3/3", r.Treatment.Retained, r.Treatment.RetentionEligible)
	}
	if math.Abs(r.Conversion.Diff-(2.0/3-0.5)) > 1e-9 || r.Conversion.Insufficient {
		t.Errorf("uplift = %+v", r.Conversion)
	}
}
