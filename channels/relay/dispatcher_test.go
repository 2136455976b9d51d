package relay_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
)

func TestEveryReceiverOfAConversationGetsIt(t *testing.T) {
	a, b, _, _ := twoNodes(t)
	tabs := []*recorder{newRecorder(), newRecorder(), newRecorder()}
	for _, tab := range tabs {
		subscribe(t, b, "conv_tabs", tab)
	}
	if n := b.Dispatcher().Subscriptions(); n != 1 {
		t.Fatalf("%d NATS subscriptions for one conversation, want 1", n)
	}
	publish(t, a, channels.Outbound{Kind: channels.OutMessage, ConversationID: "conv_tabs", Seq: 1, Text: "hi"})
	for i, tab := range tabs {
		if got := tab.receive(t); got.Seq != 1 || got.Text != "hi" {
			t.Fatalf("tab %d got %+v", i, got)
		}
	}
}

func TestLastReceiverUnsubscribes(t *testing.T) {
	a, b, ncA, ncB := twoNodes(t)
	first, second := newRecorder(), newRecorder()
	s1 := subscribe(t, b, "conv_gone", first)
	s2 := subscribe(t, b, "conv_gone", second)
	// No one is interested in the subject: a request gets no responders.
	noInterest := func() bool {
		// With interest the request times out (nobody answers; the
		// dispatcher skips the payload), without it fails at once.
		_, err := ncA.Request(relay.ConversationSubject("conv_gone"), []byte("{}"), 300*time.Millisecond)
		return errors.Is(err, nats.ErrNoResponders)
	}

	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	publish(t, a, typing("conv_gone"))
	second.receive(t) // the other tab still gets messages
	if noInterest() {
		t.Fatal("closing one of two receivers unsubscribed the node")
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n, m := b.Dispatcher().Subscriptions(), ncB.NumSubscriptions(); n != 0 || m != 0 {
		t.Fatalf("after the last Close: %d dispatcher and %d NATS subscriptions, want 0", n, m)
	}
	if err := ncB.Flush(); err != nil { // the UNSUB reaches the server
		t.Fatal(err)
	}
	if !noInterest() {
		t.Fatal("the node still has interest after its last receiver closed")
	}
	first.nothing(t)

	// Subscribing again works (the dispatch goroutine restarts).
	again := newRecorder()
	subscribe(t, b, "conv_gone", again)
	publish(t, a, typing("conv_gone"))
	if got := again.receive(t); got.ConversationID != "conv_gone" {
		t.Fatalf("got %+v", got)
	}
}

func TestConcurrentSubscribersOfOneConversation(t *testing.T) {
	a, b, _, ncB := twoNodes(t)
	const n = 20
	recs := make([]*recorder, n)
	subs := make([]*relay.Subscription, n)
	var wg sync.WaitGroup
	for i := range n {
		recs[i] = newRecorder()
		wg.Go(func() {
			s, err := b.Subscribe(context.Background(), "conv_many", recs[i])
			if err != nil {
				t.Error(err)
				return
			}
			subs[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	publish(t, a, typing("conv_many"))
	for _, r := range recs {
		r.receive(t)
	}
	for i, s := range subs {
		wg.Go(func() {
			if i%2 == 0 { // close twice from two goroutines
				go s.Close()
			}
			s.Close()
		})
	}
	wg.Wait()
	if got := ncB.NumSubscriptions(); got != 0 {
		t.Fatalf("%d NATS subscriptions left", got)
	}
}

func TestUndecodablePayloadSkipped(t *testing.T) {
	a, b, ncA, _ := twoNodes(t)
	r := newRecorder()
	subscribe(t, b, "conv_bad", r)
	subj := relay.ConversationSubject("conv_bad")
	for _, bad := range []string{`{"v":1,`, `{"v":9,"kind":"message","conversation_id":"conv_bad"}`,
		`{"v":1,"kind":"message","conversation_id":"conv_other"}`} {
		if err := ncA.Publish(subj, []byte(bad)); err != nil {
			t.Fatal(err)
		}
	}
	publish(t, a, channels.Outbound{Kind: channels.OutMessage, ConversationID: "conv_bad", Seq: 3})
	if got := r.receive(t); got.Seq != 3 {
		t.Fatalf("got %+v, want the valid message only", got)
	}
}

// blocker is a receiver whose first Deliver waits until released: it holds
// up the node's dispatch goroutine, as a stalled node would be.
type blocker struct {
	*recorder
	entered, release chan struct{}
	once             sync.Once
}

func (b *blocker) Deliver(out channels.Outbound) {
	b.once.Do(func() {
		close(b.entered)
		<-b.release
	})
	b.recorder.Deliver(out)
}

func TestOverflowReportsLost(t *testing.T) {
	srv, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	conn := func(name string) *nats.Conn {
		nc, err := srv.Connect(name)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}) // slow-consumer noise
		t.Cleanup(nc.Close)
		return nc
	}
	ncA, ncB := conn("node-a"), conn("node-b")
	a, err := relay.New(ncA, nil)
	if err != nil {
		t.Fatal(err)
	}
	const buffer = 4
	d := relay.NewDispatcher(ncB, relay.DispatcherOptions{Buffer: buffer})
	stuck := &blocker{recorder: newRecorder(), entered: make(chan struct{}), release: make(chan struct{})}
	tab := newRecorder()   // another receiver of the stalled conversation
	calm := newRecorder()  // a conversation that loses nothing
	quiet := newRecorder() // a conversation that gets nothing
	subscribe(t, d, "conv_busy", stuck)
	subscribe(t, d, "conv_busy", tab)
	subscribe(t, d, "conv_calm", calm)
	subscribe(t, d, "conv_quiet", quiet)

	msg := func(seq int64) channels.Outbound {
		return channels.Outbound{Kind: channels.OutMessage, ConversationID: "conv_busy", Seq: seq}
	}
	publish(t, a, msg(1))
	<-stuck.entered
	const total = 20
	for seq := int64(2); seq <= total; seq++ {
		publish(t, a, msg(seq))
	}
	// NATS hands a node's messages over in order: once a probe on the
	// same connection has the last message, the dispatcher's channel has
	// been offered all of them.
	probe := make(chan *nats.Msg, total+1)
	ps, err := ncB.ChanSubscribe(relay.ConversationSubject("conv_calm"), probe)
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Unsubscribe()
	if err := ncB.Flush(); err != nil {
		t.Fatal(err)
	}
	publish(t, a, channels.Outbound{Kind: channels.OutTyping, ConversationID: "conv_calm"})
	select {
	case <-probe:
	case <-time.After(5 * time.Second):
		t.Fatal("probe got nothing")
	}
	close(stuck.release)

	for _, r := range []*recorder{stuck.recorder, tab} {
		select {
		case <-r.lost:
		case <-time.After(5 * time.Second):
			t.Fatal("a receiver of the conversation that lost messages was not told")
		}
		var got []int64
		for len(r.out) > 0 {
			got = append(got, (<-r.out).Seq)
		}
		if len(got) == 0 || len(got) >= total || got[0] != 1 {
			t.Fatalf("delivered seqs %v: want 1 and some, not all, of the rest", got)
		}
	}
	// The calm conversation's message may or may not have fit; either way
	// its receiver hears about it. The quiet one lost nothing.
	select {
	case <-calm.out:
	case <-calm.lost:
	case <-time.After(5 * time.Second):
		t.Fatal("calm receiver heard nothing")
	}
	select {
	case <-quiet.lost:
		t.Fatal("a conversation that lost nothing was told it did")
	default:
	}
	// Delivery goes on after the overflow.
	publish(t, a, msg(total+1))
	if got := tab.receive(t); got.Seq != total+1 {
		t.Fatalf("after the overflow got %+v", got)
	}
}

func TestSubscribeCancelled(t *testing.T) {
	_, b, _, ncB := twoNodes(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Subscribe(ctx, "conv_x", newRecorder()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := ncB.NumSubscriptions(); n != 0 {
		t.Fatalf("%d NATS subscriptions left after a failed Subscribe", n)
	}
	if _, err := b.Subscribe(context.Background(), "conv_x", nil); err == nil {
		t.Fatal("nil receiver accepted")
	}
	subscribe(t, b, "conv_x", newRecorder()) // a later Subscribe starts afresh
}

func TestResyncAllTellsEveryReceiver(t *testing.T) {
	_, b, _, _ := twoNodes(t)
	x, y := newRecorder(), newRecorder()
	subscribe(t, b, "conv_x", x)
	subscribe(t, b, "conv_y", y)
	b.Dispatcher().ResyncAll()
	for name, r := range map[string]*recorder{"x": x, "y": y} {
		select {
		case <-r.lost:
		case <-time.After(5 * time.Second):
			t.Errorf("receiver %s was not told to resync", name)
		}
	}
}
