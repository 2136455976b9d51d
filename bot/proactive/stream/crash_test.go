package stream_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/stream"
	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/memory"
)

// A gateway node for the tests below: an engine with its own windows and
// a runner, sharing the server (and so the durable state, the consumers
// and the pins) with the other nodes.
type node struct {
	eng    *proactive.Engine
	del    *deliverer
	run    *stream.Runner
	cancel context.CancelFunc
	done   chan struct{}
}

// oneViewMatrix fires on a single refund-policy view, so that a node
// without the customer's history fires too when it evaluates the event.
func oneViewMatrix(t *testing.T) *proactive.Matrix {
	t.Helper()
	src := `id: one_view
on: [page_view]
condition: path(event.props.url) contains "refund"
actions:
  - type: send_message
    text:
      en: "Need help with a refund?"
`
	m, err := proactive.Compile(map[string][]byte{"one_view.yaml": []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// startNode starts a node; hooks (may be nil) are installed before Run
// (beforeEval: false drops a ticket unevaluated; beforeAck: false skips
// the acknowledgement of its source). Events whose source is not
// acknowledged are routed again after 2 s, and a silent node loses its
// partitions after 1 s.
func startNode(t *testing.T, js jetstream.JetStream, m *proactive.Matrix, beforeEval, beforeAck func(n *node) bool) *node {
	t.Helper()
	ctx := context.Background()
	st, err := stream.NewState(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{del: &deliverer{got: make(chan proactive.Message, 16)}, done: make(chan struct{})}
	var timers timerProxy
	n.eng, err = proactive.New(proactive.Config{State: st, Deliverer: n.del, Timers: &timers, NoHoldout: true,
		Guard: proactive.Guard{QuietStart: 3, QuietEnd: 3}}, m)
	if err != nil {
		t.Fatal(err)
	}
	n.run, err = stream.New(stream.Config{JS: js, Engine: n.eng, Partitions: 2, AckWait: 2 * time.Second, PinnedTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	timers.r = n.run
	var evalHook func(int) bool
	var ackHook func(int, error) bool
	if beforeEval != nil {
		evalHook = func(int) bool { return beforeEval(n) }
	}
	if beforeAck != nil {
		ackHook = func(int, error) bool { return beforeAck(n) }
	}
	stream.SetHooks(n.run, evalHook, ackHook)
	rctx, cancel := context.WithCancel(ctx)
	n.cancel = cancel
	go func() {
		defer close(n.done)
		if err := n.run.Run(rctx); err != nil {
			t.Error(err)
		}
		n.eng.Wait()
	}()
	t.Cleanup(func() {
		cancel()
		<-n.done
	})
	return n
}

// stop stops the node as a crash would, from inside a hook: it must not
// wait for the partition it is called from.
func (n *node) stop() { n.cancel() }

func startServer(t *testing.T) (jetstream.JetStream, *relay.Relay) {
	t.Helper()
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := ns.Connect("proactive-crash-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	rel, err := relay.New(nc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := relay.EnsureStreams(context.Background(), rel.JetStream()); err != nil {
		t.Fatal(err)
	}
	return rel.JetStream(), rel
}

func waitRouter(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := js.Consumer(context.Background(), stream.EventsStream, stream.RouterDurable); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("router consumer not created")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func refundView(t *testing.T, rel *relay.Relay, id, customer string) {
	t.Helper()
	props, _ := json.Marshal(map[string]any{"url": "https://shop.example.com/demo/refund-policy.html"})
	err := rel.PublishEvent(context.Background(), channels.Event{ID: id, Name: "page_view", CustomerID: customer,
		Channel: "web", Props: props, At: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPartitionCrashBeforeEvaluating: a node that stops after its
// partition received an event's ticket and before evaluating it loses
// nothing — the event's source message was not acknowledged, so it is
// delivered again and routed to the node that took the partition over,
// which sends the message once.
func TestPartitionCrashBeforeEvaluating(t *testing.T) {
	js, rel := startServer(t)
	m := oneViewMatrix(t)
	var dropped atomic.Int32
	a := startNode(t, js, m, func(n *node) bool {
		if dropped.Add(1) == 1 {
			n.stop()
			return false // the ticket dies with the node
		}
		return true
	}, nil)
	waitRouter(t, js)
	refundView(t, rel, "crash-1", "cus_crash")
	select {
	case <-a.done:
	case <-time.After(15 * time.Second):
		t.Fatal("node A did not stop")
	}
	if dropped.Load() == 0 || a.eng.Evaluated.Load() != 0 {
		t.Fatalf("node A: %d tickets seen, %d evaluated; want the ticket dropped unevaluated", dropped.Load(), a.eng.Evaluated.Load())
	}
	b := startNode(t, js, m, nil, nil)
	select {
	case got := <-b.del.got:
		if got.Customer != "cus_crash" || got.Trigger != "one_view" {
			t.Fatalf("message %+v", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the event was lost with node A")
	}
	select {
	case got := <-b.del.got:
		t.Fatalf("a second message %+v", got)
	case got := <-a.del.got:
		t.Fatalf("node A sent %+v", got)
	case <-time.After(3 * time.Second): // longer than the ack wait
	}
}

// TestRedeliveryAfterEvaluationNeverSendsTwice: a node that evaluated an
// event and sent the message, then stopped before acknowledging the
// source, has the event routed again to another node — whose fresh
// window fires again — and the idempotency claim of (trigger, customer,
// event) keeps the second node from sending.
func TestRedeliveryAfterEvaluationNeverSendsTwice(t *testing.T) {
	js, rel := startServer(t)
	m := oneViewMatrix(t)
	var once sync.Once
	a := startNode(t, js, m, nil, func(n *node) bool {
		once.Do(n.stop)
		return false // the acknowledgement dies with the node
	})
	waitRouter(t, js)
	refundView(t, rel, "redeliver-1", "cus_redeliver")
	select {
	case <-a.del.got:
	case <-time.After(15 * time.Second):
		t.Fatal("node A sent nothing")
	}
	<-a.done
	b := startNode(t, js, m, nil, nil)
	deadline := time.Now().Add(20 * time.Second)
	for b.eng.Evaluated.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the unacknowledged event was not delivered again")
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.eng.Wait()
	select {
	case got := <-b.del.got:
		t.Fatalf("sent twice: node B sent %+v", got)
	case <-time.After(500 * time.Millisecond):
	}
	st, err := stream.NewState(context.Background(), js, 1)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := st.Firings(context.Background(), "one_view", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Outcome != proactive.OutcomeSent {
		t.Fatalf("firing log %+v, want one sent", fs)
	}
}

// TestLegacyRoutedEventsDrained: events an earlier version had routed into
// the work stream, with its partition consumers, are evaluated after an
// upgrade (the old consumers are dropped; the timer consumer drains them).
func TestLegacyRoutedEventsDrained(t *testing.T) {
	js, _ := startServer(t)
	ctx := context.Background()
	if err := stream.EnsureStream(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, stream.WorkStream, jetstream.ConsumerConfig{Durable: "kairos-proactive-p0",
		FilterSubjects: []string{"kairos.proactive.work.ev.0", "kairos.proactive.work.due.0"}, AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	props, _ := json.Marshal(map[string]any{"url": "/demo/refund-policy.html"})
	old, _ := json.Marshal(map[string]any{"v": 1, "event": memory.Event{ID: "legacy-1", CustomerID: "cus_legacy", Type: "page_view",
		Source: "web", Props: props, At: time.Now().UTC()}})
	if _, err := js.Publish(ctx, "kairos.proactive.work.ev.0", old); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, js, oneViewMatrix(t), nil, nil)
	select {
	case got := <-n.del.got:
		if got.Customer != "cus_legacy" {
			t.Fatalf("message %+v", got)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the legacy routed event was not evaluated")
	}
	if _, err := js.Consumer(ctx, stream.WorkStream, "kairos-proactive-p0"); err == nil {
		t.Error("the legacy partition consumer is still there")
	}
}

// TestEventsBeforeFirstStartAreRouted: on a fresh server, an event
// published just before the first node created the router's consumer (a
// visitor on a node still starting) is evaluated; the consumer starts a
// minute back.
func TestEventsBeforeFirstStartAreRouted(t *testing.T) {
	js, rel := startServer(t)
	refundView(t, rel, "early-1", "cus_early")
	n := startNode(t, js, oneViewMatrix(t), nil, nil)
	select {
	case got := <-n.del.got:
		if got.Customer != "cus_early" {
			t.Fatalf("message %+v", got)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the event published before the first start was not routed")
	}
}
