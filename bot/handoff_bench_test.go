package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/bot/handoff"
	"github.com/kairoscx/kairos/channels"
)

// notifyConn is a customer connection that signals every agent message.
type notifyConn struct{ ch chan channels.Outbound }

func (c notifyConn) Deliver(out channels.Outbound) {
	if out.Role == "agent" && out.Kind == channels.OutMessage {
		c.ch <- out
	}
}
func (notifyConn) Lost() {}

// BenchmarkHandoffRelay measures the two legs of a human-owned chat on
// loopback, with two gateway nodes and an in-process NATS server:
// customer→agent (Engine.Receive on node B until the desk holds the
// message from kairos.conv.<id>.customer) and agent→customer (the desk's
// JetStream publish on kairos.conv.<id>.agent until the customer's
// connection on node A is handed the stored message). Reported as p50/p99.
func BenchmarkHandoffRelay(b *testing.B) {
	c := startCluster(b, nil)
	ctx := context.Background()
	sess, err := c.a.e.Connect(ctx, "web", channels.Identity{Kind: "web_visitor", Value: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	desk := newDesk(b, c.srv)
	rec, err := c.a.svc.Open(ctx, handoff.OpenRequest{ConversationID: sess.ConversationID, CustomerID: sess.CustomerID, Lang: "zh",
		Decision: handoff.Decision{Reason: handoff.ReasonHumanRequest}})
	if err != nil {
		b.Fatal(err)
	}
	if cl := desk.request(b, handoff.SubjectClaim, handoff.ClaimRequest{V: 1, HandoffID: rec.HandoffID, AgentID: "alice"}); !cl.OK {
		b.Fatalf("claim: %+v", cl)
	}
	eventually(b, "node b sees the claim", func() bool {
		r, ok := c.b.svc.Owner(sess.ConversationID)
		return ok && r.Status == handoff.StatusClaimed
	})

	b.Run("customer_to_agent", func(b *testing.B) {
		got := make(chan *nats.Msg, 16)
		sub, err := desk.nc.ChanSubscribe(handoff.ConvSubject(sess.ConversationID, "customer"), got)
		if err != nil {
			b.Fatal(err)
		}
		defer sub.Unsubscribe()
		desk.nc.Flush()
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			t0 := time.Now()
			if _, err := c.b.e.Receive(ctx, channels.Inbound{ConversationID: sess.ConversationID, CustomerID: sess.CustomerID,
				Channel: "web", ClientID: fmt.Sprint("c2a-", i, "-", b.N), Text: "还在吗"}); err != nil {
				b.Fatal(err)
			}
			select {
			case <-got:
			case <-time.After(guard):
				b.Fatal("the desk never got the message")
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		report(b, lat)
	})

	b.Run("agent_to_customer", func(b *testing.B) {
		conn := notifyConn{ch: make(chan channels.Outbound, 16)}
		sub, err := c.a.rel.Subscribe(ctx, sess.ConversationID, conn)
		if err != nil {
			b.Fatal(err)
		}
		defer sub.Close()
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			data, _ := json.Marshal(handoff.AgentMessage{V: 1, AgentID: "alice", Text: "您好", ClientID: fmt.Sprint("a2c-", i, "-", b.N)})
			t0 := time.Now()
			if _, err := desk.js.Publish(ctx, handoff.ConvSubject(sess.ConversationID, "agent"), data); err != nil {
				b.Fatal(err)
			}
			select {
			case <-conn.ch:
			case <-time.After(guard):
				b.Fatal("the customer never got the agent's message")
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		report(b, lat)
	})
}

func report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}
