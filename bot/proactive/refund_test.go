package proactive_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/sample"
)

// base is 11:00 in Shanghai: outside the default quiet hours.
var base = time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)

type rig struct {
	eng   *proactive.Engine
	state *proactive.MemState
	del   *deliverer
	hist  *history
	clk   *clock
}

func newRig(t *testing.T, m *proactive.Matrix, state *proactive.MemState, hist *history) *rig {
	t.Helper()
	if m == nil {
		var err error
		if m, err = sample.Matrix(); err != nil {
			t.Fatal(err)
		}
	}
	if state == nil {
		state = proactive.NewMemState()
	}
	if hist == nil {
		hist = newHistory()
	}
	r := &rig{state: state, del: &deliverer{}, hist: hist, clk: &clock{t: base}}
	eng, err := proactive.New(proactive.Config{State: state, History: hist, Deliverer: r.del, Now: r.clk.Now}, m)
	if err != nil {
		t.Fatal(err)
	}
	r.eng = eng
	return r
}

// view sends a page view of path at, as the ingest would have stored it.
func (r *rig) view(t *testing.T, id, customer, path string, at time.Time) {
	t.Helper()
	ev := event(t, id, customer, "page_view", at, map[string]any{"url": "https://shop.example.com" + path})
	r.hist.add(ev)
	r.clk.Set(at)
	if err := r.eng.HandleEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	r.eng.Wait()
}

func outcomes(t *testing.T, s *proactive.MemState, trigger string) map[string]int {
	t.Helper()
	fs, err := s.Firings(context.Background(), trigger, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, f := range fs {
		k := f.Outcome
		if f.Reason != "" && f.Outcome == proactive.OutcomeSuppressed {
			k += ":" + f.Reason
		}
		out[k]++
	}
	return out
}

func TestRefundPolicyScenario(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	cus := treated("refund_help", 0.1, 0)
	const policy = "/demo/refund-policy.html"

	r.view(t, "pv1", cus, policy, base)
	r.view(t, "pv2", cus, "/demo/", base.Add(2*time.Minute)) // another page does not count
	r.view(t, "pv3", cus, policy, base.Add(5*time.Minute))
	if n := len(r.del.sent()); n != 0 {
		t.Fatalf("%d messages after two views of the policy, want 0", n)
	}
	r.view(t, "pv4", cus, policy+"?from=footer", base.Add(9*time.Minute))
	msgs := r.del.sent()
	if len(msgs) != 1 {
		t.Fatalf("%d messages after the third view, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Kind != proactive.ActOpenConversation || m.Customer != cus || m.Trigger != "refund_help" || m.Lang != "zh" {
		t.Errorf("message = %+v", m)
	}
	if !strings.Contains(m.Text, "退款") || !strings.Contains(m.Text, "转人工") {
		t.Errorf("text lacks refund guidance or the human option: %q", m.Text)
	}

	// A fourth view does not repeat it; a redelivered third view neither.
	r.view(t, "pv5", cus, policy, base.Add(12*time.Minute))
	r.view(t, "pv4", cus, policy+"?from=footer", base.Add(9*time.Minute))
	if n := len(r.del.sent()); n != 1 {
		t.Fatalf("%d messages after a fourth view and a redelivery, want 1", n)
	}
	got := outcomes(t, r.state, "refund_help")
	if got[proactive.OutcomeSent] != 1 || got["suppressed:cooldown"] != 1 {
		t.Errorf("firings = %v, want 1 sent and 1 suppressed by cooldown", got)
	}
}

func TestRefundPolicyOptOut(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	cus := treated("refund_help", 0.1, 100)
	if err := r.eng.OptOut(context.Background(), cus, true); err != nil {
		t.Fatal(err)
	}
	for i, at := range []time.Duration{0, 3 * time.Minute, 6 * time.Minute} {
		r.view(t, "o"+string(rune('a'+i)), cus, "/demo/refund-policy.html", base.Add(at))
	}
	if n := len(r.del.sent()); n != 0 {
		t.Fatalf("%d messages to a customer who opted out, want 0", n)
	}
	if got := outcomes(t, r.state, "refund_help"); got["suppressed:opt_out"] != 1 {
		t.Errorf("firings = %v, want one suppressed by opt_out", got)
	}
	// Opting back in lets the next firing act.
	if err := r.eng.OptOut(context.Background(), cus, false); err != nil {
		t.Fatal(err)
	}
	r.view(t, "od", cus, "/demo/refund-policy.html", base.Add(8*time.Minute))
	if n := len(r.del.sent()); n != 1 {
		t.Fatalf("%d messages after opting back in, want 1", n)
	}
}

func TestRefundViewsTooFarApartOrRefundSubmitted(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	a, b := treated("refund_help", 0.1, 200), treated("refund_help", 0.1, 300)
	for i := range 3 {
		r.view(t, "far"+string(rune('0'+i)), a, "/demo/refund-policy.html", base.Add(time.Duration(i)*20*time.Minute))
	}
	r.view(t, "b1", b, "/demo/refund-policy.html", base)
	ev := event(t, "rs", b, "refund_submitted", base.Add(time.Minute), map[string]any{"order_id": "1", "amount": 10})
	if err := r.eng.HandleEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	r.view(t, "b2", b, "/demo/refund-policy.html", base.Add(2*time.Minute))
	r.view(t, "b3", b, "/demo/refund-policy.html", base.Add(3*time.Minute))
	if n := len(r.del.sent()); n != 0 {
		t.Fatalf("%d messages, want 0 (views 20 minutes apart; a refund already submitted)", n)
	}
}

func TestRefundAfterRestartDoesNotRepeat(t *testing.T) {
	state, hist := proactive.NewMemState(), newHistory()
	r := newRig(t, nil, state, hist)
	cus := treated("refund_help", 0.1, 400)
	for i := range 3 {
		r.view(t, "rr"+string(rune('0'+i)), cus, "/demo/refund-policy.html", base.Add(time.Duration(i)*time.Minute))
	}
	if n := len(r.del.sent()); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
	// A new node (empty windows, same durable state) gets the third view
	// again: it rebuilds the window from the store and does not send again.
	r2 := newRig(t, nil, state, hist)
	r2.clk.Set(base.Add(2 * time.Minute))
	ev := event(t, "rr2", cus, "page_view", base.Add(2*time.Minute), map[string]any{"url": "https://shop.example.com/demo/refund-policy.html"})
	if err := r2.eng.HandleEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	r2.eng.Wait()
	if n := len(r2.del.sent()); n != 0 {
		t.Fatalf("the redelivered event sent %d messages after a restart, want 0", n)
	}
}

func TestRefundHoldoutRecordedNotActed(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	cus := held("refund_help", 0.1)
	for i := range 3 {
		r.view(t, "h"+string(rune('0'+i)), cus, "/demo/refund-policy.html", base.Add(time.Duration(i)*time.Minute))
	}
	if n := len(r.del.sent()); n != 0 {
		t.Fatalf("%d messages to a holdout customer, want 0", n)
	}
	if got := outcomes(t, r.state, "refund_help"); got[proactive.OutcomeHoldout] != 1 {
		t.Errorf("firings = %v, want one holdout", got)
	}
}
