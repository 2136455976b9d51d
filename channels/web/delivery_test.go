package web_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/channels/web"
)

func TestTabsOfOneConversationAllReceive(t *testing.T) {
	e := newEnv(t, nil)
	first, hello := e.dial(t, nil)
	second, _ := e.dial(t, q("visitor", hello.Visitor))
	if n := e.dispatch.Subscriptions(); n != 1 {
		t.Fatalf("%d subscriptions for two tabs of one conversation, want 1", n)
	}
	out, err := e.engine.say(context.Background(), hello.ConversationID, "to every tab", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, ws := range []*websocket.Conn{first, second} {
		if f := read(t, ws); f.Type != "message" || f.Seq != out.Seq || f.Text != "to every tab" {
			t.Fatalf("tab %d got %+v", i, f)
		}
	}
}

func TestLastConnectionUnsubscribes(t *testing.T) {
	e := newEnv(t, nil)
	first, hello := e.dial(t, nil)
	second, _ := e.dial(t, q("visitor", hello.Visitor))
	subject := relay.ConversationSubject(hello.ConversationID)
	// A request on the subject fails at once when no node is interested,
	// and times out (nobody answers) while one is.
	noInterest := func() bool {
		if err := e.webNC.Flush(); err != nil { // pending (UN)SUBs reach the server
			t.Fatal(err)
		}
		_, err := e.engine.relay.JetStream().Conn().Request(subject, []byte("{}"), 300*time.Millisecond)
		return errors.Is(err, nats.ErrNoResponders)
	}

	first.Close()
	eventually(t, "first tab gone", func() bool { return e.h.Connections() == 1 })
	if e.dispatch.Subscriptions() != 1 || noInterest() {
		t.Fatal("closing one of two tabs unsubscribed the conversation")
	}
	roundTrip(t, second)

	second.Close()
	eventually(t, "second tab gone", func() bool { return e.h.Connections() == 0 })
	if n := e.dispatch.Subscriptions(); n != 0 {
		t.Fatalf("%d subscriptions after the last tab closed", n)
	}
	if n := e.webNC.NumSubscriptions(); n != 0 {
		t.Fatalf("%d NATS subscriptions after the last tab closed", n)
	}
	if !noInterest() {
		t.Fatal("the node is still subscribed after the last tab closed")
	}
}

func TestIdleConnectionsHoldNoWriter(t *testing.T) {
	e := newEnv(t, nil)
	warm, _ := e.dial(t, nil) // starts the dispatcher and the keepalive
	roundTrip(t, warm)
	settle := func() int {
		runtime.Gosched()
		return runtime.NumGoroutine()
	}
	before := settle()
	const n = 40
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		conns[i], _ = e.dial(t, nil)
	}
	// Each idle connection keeps its reader only; writers exit once they
	// have written hello and the (empty) replay.
	limit := before + n + 4
	eventually(t, "writers to exit", func() bool { return settle() <= limit })
	// Traffic starts a writer, which exits again.
	for _, ws := range conns {
		roundTrip(t, ws)
	}
	eventually(t, "writers to exit after traffic", func() bool { return settle() <= limit })
	for _, ws := range conns {
		ws.Close()
	}
	eventually(t, "readers to exit", func() bool { return settle() <= before })
}

// stall is a relay receiver whose first Deliver blocks until released: on
// the same dispatcher as the web handler, it holds up delivery to every
// connection of the node, as an overloaded node would.
type stall struct {
	entered, release chan struct{}
	once             sync.Once
}

func (s *stall) Deliver(channels.Outbound) {
	s.once.Do(func() {
		close(s.entered)
		<-s.release
	})
}

func (s *stall) Lost() {}

func TestRelayOverflowRecoversWithoutLoss(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnvBuffer(t, func(c *web.Config) { c.Metrics = reg }, 4)
	ws, hello := e.dial(t, nil)
	roundTrip(t, ws) // the pong comes after the initial replay: it is done
	conv := hello.ConversationID
	ctx := context.Background()
	st := &stall{entered: make(chan struct{}), release: make(chan struct{})}
	sub, err := e.dispatch.Subscribe(ctx, conv, st)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	const total = 30
	if _, err := e.engine.say(ctx, conv, "first", 0); err != nil {
		t.Fatal(err)
	}
	<-st.entered
	for range total - 1 {
		if _, err := e.engine.say(ctx, conv, "while stalled", 0); err != nil {
			t.Fatal(err)
		}
	}
	// Messages reach the web node in publishing order: once a probe
	// published afterwards has arrived, the dispatcher's channel has
	// been offered (and has dropped) the rest.
	probe := make(chan *nats.Msg, 1)
	ps, err := e.webNC.ChanSubscribe(relay.ConversationSubject("probe"), probe)
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Unsubscribe()
	if err := e.webNC.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := e.engine.relay.Publish(ctx, channels.Outbound{Kind: channels.OutTyping, ConversationID: "probe"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-probe:
	case <-time.After(5 * time.Second):
		t.Fatal("probe not delivered")
	}
	close(st.release)

	seen := map[int64]int{}
	for len(seen) < total {
		f := read(t, ws)
		if f.Type != "message" {
			t.Fatalf("unexpected frame %+v", f)
		}
		seen[f.Seq]++
	}
	// A live message after the catch-up proves nothing else is coming.
	marker, err := e.engine.say(ctx, conv, "marker", 0)
	if err != nil {
		t.Fatal(err)
	}
	for {
		f := read(t, ws)
		if f.Seq == marker.Seq {
			break
		}
		seen[f.Seq]++
	}
	for seq := int64(1); seq <= total; seq++ {
		if seen[seq] != 1 {
			t.Fatalf("seq %d delivered %d times (all: %v)", seq, seen[seq], seen)
		}
	}
	if len(seen) != total {
		t.Fatalf("delivered %v, want seqs 1..%d once each", seen, total)
	}
	// The stored messages came back through a replay, not by luck.
	if got := gather(t, reg)[`kairos_ws_errors_total{code="relay_resync"}`]; got < 1 {
		t.Fatalf("relay_resync = %v, want a resync", got)
	}
}

func TestKeepalive(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.PingInterval = 20 * time.Millisecond })
	t.Run("answering client stays", func(t *testing.T) {
		ws, _ := e.dial(t, nil)
		pings := make(chan struct{}, 100)
		ws.SetPingHandler(func(data string) error {
			pings <- struct{}{}
			return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		done := make(chan error, 1)
		go func() {
			_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, _, err := ws.ReadMessage() // answers pings while it waits
			done <- err
		}()
		// Many ping intervals pass with no data from the client.
		for range 10 {
			select {
			case <-pings:
			case err := <-done:
				t.Fatalf("connection ended: %v", err)
			case <-time.After(5 * time.Second):
				t.Fatal("no ping")
			}
		}
		if e.h.Connections() != 1 {
			t.Fatal("answering client was disconnected")
		}
		ws.Close()
		eventually(t, "connection gone", func() bool { return e.h.Connections() == 0 })
	})
	t.Run("silent client is dropped", func(t *testing.T) {
		ws, _ := e.dial(t, nil)
		_ = ws // never read again: pings go unanswered
		eventually(t, "silent client dropped", func() bool { return e.h.Connections() == 0 })
	})
}
