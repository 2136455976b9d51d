package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/sample"
	"github.com/kairoscx/kairos/bot/proactive/stream"
	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/memory"
)

type deliverer struct {
	mu   sync.Mutex
	msgs []proactive.Message
	got  chan proactive.Message
}

func (d *deliverer) Deliver(_ context.Context, m proactive.Message) (proactive.Delivery, error) {
	d.mu.Lock()
	d.msgs = append(d.msgs, m)
	d.mu.Unlock()
	d.got <- m
	return proactive.Delivery{Channel: "web"}, nil
}

type resolver struct{}

func (resolver) CustomerByIdentity(_ context.Context, id memory.Identity) (memory.Customer, bool, error) {
	return memory.Customer{ID: "cus_" + id.Value}, false, nil
}

type rig struct {
	js    jetstream.JetStream
	rel   *relay.Relay
	eng   *proactive.Engine
	state *stream.State
	del   *deliverer
	run   *stream.Runner
}

func newRig(t *testing.T, m *proactive.Matrix) *rig {
	t.Helper()
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := ns.Connect("proactive-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	rel, err := relay.New(nc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	js := rel.JetStream()
	if err := relay.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	st, err := stream.NewState(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m == nil {
		if m, err = sample.Matrix(); err != nil {
			t.Fatal(err)
		}
	}
	r := &rig{js: js, rel: rel, state: st, del: &deliverer{got: make(chan proactive.Message, 16)}}
	// Quiet hours are off so the test passes at any time of day.
	var timers timerProxy
	r.eng, err = proactive.New(proactive.Config{State: st, Deliverer: r.del, Timers: &timers, NoHoldout: true,
		Guard: proactive.Guard{QuietStart: 3, QuietEnd: 3}}, m)
	if err != nil {
		t.Fatal(err)
	}
	r.run, err = stream.New(stream.Config{JS: js, Engine: r.eng, Resolver: resolver{}, Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	timers.r = r.run
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.run.Run(rctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	// Wait for the router's consumer, so published events are routed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := js.Consumer(ctx, stream.EventsStream, stream.RouterDurable); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("router consumer not created")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r
}

// timerProxy breaks the construction cycle engine → timers → runner → engine.
type timerProxy struct{ r *stream.Runner }

func (p *timerProxy) Arm(ctx context.Context, t proactive.Timer, ifIdle bool) error {
	return p.r.Arm(ctx, t, ifIdle)
}

func (r *rig) pageView(t *testing.T, id, customer, url string) {
	t.Helper()
	props, _ := json.Marshal(map[string]any{"url": url})
	err := r.rel.PublishEvent(context.Background(), channels.Event{ID: id, Name: "page_view", CustomerID: customer,
		Channel: "web", Props: props, At: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
}

func (r *rig) expect(t *testing.T, n int, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for range n {
		select {
		case <-r.del.got:
		case <-deadline:
			t.Fatalf("fewer than %d messages within %s", n, within)
		}
	}
}

func (r *rig) expectNone(t *testing.T, wait time.Duration) {
	t.Helper()
	select {
	case m := <-r.del.got:
		t.Fatalf("unexpected message %+v", m)
	case <-time.After(wait):
	}
}

func TestRefundScenarioOverJetStream(t *testing.T) {
	r := newRig(t, nil)
	const policy = "https://shop.example.com/demo/refund-policy.html"
	for i := range 3 {
		r.pageView(t, fmt.Sprintf("js-pv%d", i), "cus_a", policy)
	}
	r.expect(t, 1, 10*time.Second)
	// A fourth view, and the third published again (deduplicated by the
	// stream or, past its window, by the engine), send nothing.
	r.pageView(t, "js-pv3", "cus_a", policy)
	r.pageView(t, "js-pv2", "cus_a", policy)
	// Opting out stops the next customer's chat.
	if err := r.eng.OptOut(context.Background(), "cus_b", true); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		r.pageView(t, fmt.Sprintf("js-b%d", i), "cus_b", policy)
	}
	r.expectNone(t, 500*time.Millisecond)
	fs, err := r.state.Firings(context.Background(), "refund_help", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, f := range fs {
		count[f.Outcome+":"+f.Reason]++
	}
	if count["sent:"] != 1 || count["suppressed:cooldown"] != 1 || count["suppressed:opt_out"] != 1 {
		t.Errorf("firing log = %v, want one sent, one cooldown, one opt_out", count)
	}
}

func TestTimerFiresOnceThroughMessageSchedule(t *testing.T) {
	src := `id: soon
on: [cart_add]
at: event.at + duration("1s")
condition: without("cart_add", "order_placed", "1s")
actions:
  - type: send_message
    text:
      en: "Still thinking about it?"
`
	m, err := proactive.Compile(map[string][]byte{"soon.yaml": []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, m)
	ev := map[string]any{"v": 1, "id": "cart-1", "type": "cart_add", "customer": map[string]any{"identity": map[string]string{"kind": "site_user", "value": "42"}},
		"at": time.Now().UTC().Format(time.RFC3339Nano), "props": map[string]any{"sku": "JK-22", "qty": 1}}
	b, _ := json.Marshal(ev)
	if _, err := r.js.Publish(context.Background(), "kairos.events.in", b); err != nil {
		t.Fatal(err)
	}
	r.expect(t, 1, 15*time.Second)
	r.del.mu.Lock()
	got := r.del.msgs[0]
	r.del.mu.Unlock()
	if got.Customer != "cus_42" || got.Trigger != "soon" {
		t.Errorf("message = %+v", got)
	}
	r.expectNone(t, 2*time.Second)
}

func TestArmIfIdleKeepsPendingTimer(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	due := time.Now().Add(time.Hour)
	tm := proactive.Timer{Trigger: "usage_decline", Customer: "cus_x", Due: due, Origin: proactive.Event{ID: "u1", Type: "subscription_usage"}}
	if err := r.run.Arm(ctx, tm, true); err != nil {
		t.Fatal(err)
	}
	tm.Due = due.Add(time.Hour)
	if err := r.run.Arm(ctx, tm, true); err != nil {
		t.Fatal(err)
	}
	s, err := r.js.Stream(ctx, stream.WorkStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter("kairos.proactive.work.sched.>"))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.State.Subjects) != 1 {
		t.Fatalf("%d schedule subjects, want 1", len(info.State.Subjects))
	}
	for _, n := range info.State.Subjects {
		if n != 1 {
			t.Errorf("%d schedules on the subject, want 1", n)
		}
	}
}
