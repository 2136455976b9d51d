package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/handoff"
	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embed"
)

// gatewayNode is one gateway node as far as handoff goes: an engine, its
// relay over its own NATS connection, and its handoff service.
type gatewayNode struct {
	e   *Engine
	rel *relay.Relay
	svc *handoff.Service
}

// cluster is two gateway nodes sharing a store and a NATS server.
type cluster struct {
	srv   *relay.Embedded
	store memory.Store
	a, b  *gatewayNode
	ts    *timers
}

func startCluster(t testing.TB, edit func(*handoff.Config)) *cluster {
	t.Helper()
	srv, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	c := &cluster{srv: srv, store: openStore(t, nil), ts: &timers{}}
	c.a = c.node(t, "a", edit)
	c.b = c.node(t, "b", edit)
	return c
}

func (c *cluster) node(t testing.TB, name string, edit func(*handoff.Config)) *gatewayNode {
	t.Helper()
	nc, err := c.srv.Connect("node-" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	rel, err := relay.New(nc, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{
		Store: c.store, Knowledge: &kb{}, Reasoner: newOffline(t), Fallback: newOffline(t), Outbox: rel,
		TurnTimeout: 10 * time.Second, ReasonerTimeout: 5 * time.Second,
		Memory: MemoryConfig{Embedder: embed.NewOffline(256), AfterFunc: c.ts.AfterFunc},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := handoff.Config{Conn: nc, Store: c.store, Outbox: rel, Packager: e, Remember: e.RememberHandoff,
		Routing: handoff.Routing{CheckEvery: time.Hour}}
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	svc, err := handoff.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.SetHandoff(svc, nil)
	t.Cleanup(func() {
		svc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		e.Close(ctx)
	})
	return &gatewayNode{e: e, rel: rel, svc: svc}
}

// customerConn is a customer's connection as a node's dispatcher sees it.
type customerConn struct {
	mu   sync.Mutex
	got  []channels.Outbound
	sub  *relay.Subscription
	lost int
}

func (c *customerConn) Deliver(out channels.Outbound) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, out)
}

func (c *customerConn) Lost() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lost++
}

func (c *customerConn) waitFor(t testing.TB, what string, pred func(channels.Outbound) bool) channels.Outbound {
	t.Helper()
	var found channels.Outbound
	deadline := time.Now().Add(guard)
	for {
		c.mu.Lock()
		for _, o := range c.got {
			if pred(o) {
				found = o
				c.mu.Unlock()
				return found
			}
		}
		c.mu.Unlock()
		if time.Now().After(deadline) {
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("customer never got %s; got %+v", what, c.got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (c *customerConn) seqs(role string) map[int64]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[int64]int{}
	for _, o := range c.got {
		if o.Kind == channels.OutMessage && o.Role == role {
			m[o.Seq]++
		}
	}
	return m
}

func attach(t testing.TB, n *gatewayNode, conv string) *customerConn {
	t.Helper()
	c := &customerConn{}
	sub, err := n.rel.Subscribe(context.Background(), conv, c)
	if err != nil {
		t.Fatal(err)
	}
	c.sub = sub
	return c
}

// agentDesk is a plain NATS client acting as an agent.
type agentDesk struct {
	nc *nats.Conn
	js jetstream.JetStream
	mu sync.Mutex
	in []*nats.Msg
}

func newDesk(t testing.TB, srv *relay.Embedded) *agentDesk {
	t.Helper()
	nc, err := srv.Connect("desk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	d := &agentDesk{nc: nc, js: js}
	if _, err := nc.Subscribe("kairos.>", func(m *nats.Msg) {
		d.mu.Lock()
		d.in = append(d.in, m)
		d.mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	return d
}

func (d *agentDesk) wait(t testing.TB, subject string, n int) []*nats.Msg {
	t.Helper()
	deadline := time.Now().Add(guard)
	for {
		d.mu.Lock()
		var ms []*nats.Msg
		for _, m := range d.in {
			if m.Subject == subject {
				ms = append(ms, m)
			}
		}
		d.mu.Unlock()
		if len(ms) >= n {
			return ms
		}
		if time.Now().After(deadline) {
			t.Fatalf("desk got %d messages on %s, want %d", len(ms), subject, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (d *agentDesk) request(t testing.TB, subject string, v any) handoff.Reply {
	t.Helper()
	data, _ := json.Marshal(v)
	m, err := d.nc.Request(subject, data, guard)
	if err != nil {
		t.Fatal(err)
	}
	var r handoff.Reply
	if err := json.Unmarshal(m.Data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (d *agentDesk) publish(t testing.TB, subject string, v any) {
	t.Helper()
	data, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if _, err := d.js.Publish(ctx, subject, data); err != nil {
		t.Fatal(err)
	}
}

func receive(t testing.TB, n *gatewayNode, sess channels.Session, clientID, text string) channels.Receipt {
	t.Helper()
	r, err := n.e.Receive(context.Background(), channels.Inbound{ConversationID: sess.ConversationID, CustomerID: sess.CustomerID,
		Channel: "web", ClientID: clientID, Text: text, Lang: "zh"})
	if err != nil {
		t.Fatalf("Receive(%q): %v", text, err)
	}
	return r
}

// TestHandoffAcrossNodes: the customer asks for a human on node A, moves
// to node B, keeps talking (the agent gets every message in order, the bot
// stays quiet), the agent's reply reaches the customer on B exactly once,
// and after the agent resolves the bot answers again and remembers what
// the agent settled.
func TestHandoffAcrossNodes(t *testing.T) {
	c := startCluster(t, nil)
	desk := newDesk(t, c.srv)
	sess, err := c.a.e.Connect(context.Background(), "web", channels.Identity{Kind: "web_visitor", Value: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	onA := attach(t, c.a, sess.ConversationID)
	ask := receive(t, c.a, sess, "m1", "我的订单1042坏了，转人工")
	onA.waitFor(t, "the handoff notice", func(o channels.Outbound) bool {
		return o.Role == "system" && o.ReplyTo == ask.Seq && strings.Contains(o.Text, "人工客服")
	})
	var req handoff.Record
	json.Unmarshal(desk.wait(t, handoff.SubjectRequested, 1)[0].Data, &req)
	if req.ConversationID != sess.ConversationID || req.Reason != handoff.ReasonHumanRequest || req.Summary == "" {
		t.Fatalf("requested = %+v", req)
	}
	g := desk.request(t, handoff.SubjectGet, handoff.GetRequest{V: 1, HandoffID: req.HandoffID})
	if !g.OK || g.Package.Customer == nil || g.Package.Customer.CustomerID != sess.CustomerID || len(g.Package.Transcript) == 0 {
		t.Fatalf("package = %+v", g.Package)
	}
	if cl := desk.request(t, handoff.SubjectClaim, handoff.ClaimRequest{V: 1, HandoffID: req.HandoffID, AgentID: "alice"}); !cl.OK {
		t.Fatalf("claim = %+v", cl)
	}

	// The customer reconnects to node B and writes twice.
	onA.sub.Close()
	onB := attach(t, c.b, sess.ConversationID)
	eventually(t, "node b sees the claim", func() bool {
		r, ok := c.b.svc.Owner(sess.ConversationID)
		return ok && r.Status == handoff.StatusClaimed
	})
	r2 := receive(t, c.b, sess, "m2", "订单号是1042")
	r3 := receive(t, c.b, sess, "m3", "快点好吗")
	fwd := desk.wait(t, handoff.ConvSubject(sess.ConversationID, "customer"), 2)
	var seqs []int64
	for _, m := range fwd {
		var cm handoff.CustomerMessage
		json.Unmarshal(m.Data, &cm)
		seqs = append(seqs, cm.Seq)
	}
	if seqs[0] != r2.Seq || seqs[1] != r3.Seq {
		t.Fatalf("agent got seqs %v, want %d then %d", seqs, r2.Seq, r3.Seq)
	}

	// The agent replies, and its desk resends the same message.
	reply := handoff.AgentMessage{V: 1, AgentID: "alice", Text: "<script>alert(1)</script>您好，退款已提交", ClientID: "a1"}
	desk.publish(t, handoff.ConvSubject(sess.ConversationID, "agent"), reply)
	desk.publish(t, handoff.ConvSubject(sess.ConversationID, "agent"), reply)
	desk.wait(t, handoff.ConvSubject(sess.ConversationID, "agent.result"), 2)
	got := onB.waitFor(t, "the agent's reply on node B", func(o channels.Outbound) bool { return o.Role == "agent" })
	if got.Text != reply.Text {
		t.Fatalf("customer got %q", got.Text)
	}
	replayed, err := c.b.e.Replay(context.Background(), sess.ConversationID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	agentMsgs, botMsgs := 0, 0
	for _, o := range replayed {
		switch o.Role {
		case "agent":
			agentMsgs++
		case "bot":
			botMsgs++
		}
	}
	if agentMsgs != 1 {
		t.Fatalf("%d agent messages stored, want exactly 1", agentMsgs)
	}
	if botMsgs != 0 {
		t.Fatalf("the bot answered %d times while a human owned the chat", botMsgs)
	}
	if s := onB.seqs("agent"); len(s) != 1 {
		t.Fatalf("customer saw agent seqs %v, want one", s)
	}

	// Resolve: the bot is back and remembers what was settled.
	desk.publish(t, handoff.ConvSubject(sess.ConversationID, "resolved"), handoff.Resolution{V: 1, AgentID: "alice",
		Summary: "订单1042退款199元已提交", Settled: []string{"订单1042退款199元，3个工作日内到账"}})
	onB.waitFor(t, "the hand-back notice", func(o channels.Outbound) bool { return o.Role == "system" && strings.Contains(o.Text, "智能助手") })
	eventually(t, "node b sees the resolution", func() bool { _, ok := c.b.svc.Owner(sess.ConversationID); return !ok })
	mems, err := c.store.Memories(context.Background(), sess.CustomerID, false)
	if err != nil {
		t.Fatal(err)
	}
	var settled bool
	for _, m := range mems {
		if m.Kind == memory.MemoryCommitment && strings.Contains(m.Text, "199") {
			settled = true
		}
	}
	if !settled {
		t.Fatalf("memories after resolve: %+v", mems)
	}
	r4 := receive(t, c.b, sess, "m4", "退款多久到账？")
	onB.waitFor(t, "the bot's answer after the hand-back", func(o channels.Outbound) bool { return o.Role == "bot" && o.ReplyTo == r4.Seq })
}

// TestEscalationPolicyInEngine: a regulator complaint hands over before
// the bot answers; two ungrounded answers in a row hand over on the next
// message.
func TestEscalationPolicyInEngine(t *testing.T) {
	c := startCluster(t, nil)
	ctx := context.Background()
	agentOnline(t, c)
	for i, tc := range []struct {
		msgs   []string
		reason string
		bots   int
	}{
		{[]string{"再不处理我就去12315投诉你们"}, handoff.ReasonSensitive + ":" + handoff.TopicRegulator, 0},
		{[]string{"你们的发票抬头能改吗", "那电子发票在哪里下载", "怎么开增值税专票"}, handoff.ReasonLowConfidence, 2},
		{[]string{"Please let me talk to a human"}, handoff.ReasonHumanRequest, 0},
	} {
		sess, err := c.a.e.Connect(ctx, "web", channels.Identity{Kind: "web_visitor", Value: fmt.Sprint("p", i)})
		if err != nil {
			t.Fatal(err)
		}
		conn := attach(t, c.a, sess.ConversationID)
		for j, m := range tc.msgs {
			r := receive(t, c.a, sess, fmt.Sprint("c", j), m)
			conn.waitFor(t, "a reply to "+m, func(o channels.Outbound) bool { return o.Kind == channels.OutMessage && o.ReplyTo == r.Seq })
		}
		rec, ok := c.a.svc.Owner(sess.ConversationID)
		if !ok || rec.Reason != tc.reason {
			t.Fatalf("%v: owner %+v (%v), want reason %s", tc.msgs, rec, ok, tc.reason)
		}
		if n := len(conn.seqs("bot")); n != tc.bots {
			t.Fatalf("%v: bot answered %d times, want %d", tc.msgs, n, tc.bots)
		}
	}
}

// eventually polls cond until it holds or the guard runs out.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestNoReescalationAfterHandBack: the unanswered questions that led to a
// handoff do not hand the conversation over again once the agent hands it
// back; the bot answers.
func TestNoReescalationAfterHandBack(t *testing.T) {
	c := startCluster(t, nil)
	desk := newDesk(t, c.srv)
	ctx := context.Background()
	agentOnline(t, c)
	sess, err := c.a.e.Connect(ctx, "web", channels.Identity{Kind: "web_visitor", Value: "lc"})
	if err != nil {
		t.Fatal(err)
	}
	conn := attach(t, c.a, sess.ConversationID)
	for j, m := range []string{"你们的发票抬头能改吗", "那电子发票在哪里下载", "怎么开增值税专票"} {
		r := receive(t, c.a, sess, fmt.Sprint("c", j), m)
		conn.waitFor(t, "a reply to "+m, func(o channels.Outbound) bool { return o.Kind == channels.OutMessage && o.ReplyTo == r.Seq })
	}
	rec, ok := c.a.svc.Owner(sess.ConversationID)
	if !ok {
		t.Fatal("no handoff after two unanswered questions")
	}
	if cl := desk.request(t, handoff.SubjectClaim, handoff.ClaimRequest{V: 1, HandoffID: rec.HandoffID, AgentID: "alice"}); !cl.OK {
		t.Fatalf("claim = %+v", cl)
	}
	desk.publish(t, handoff.ConvSubject(sess.ConversationID, "resolved"), handoff.Resolution{V: 1, AgentID: "alice", Summary: "专票已开具"})
	eventually(t, "the hand-back", func() bool { _, ok := c.a.svc.Owner(sess.ConversationID); return !ok })
	r := receive(t, c.a, sess, "c9", "发票什么时候寄出")
	conn.waitFor(t, "the bot's answer", func(o channels.Outbound) bool { return o.Role == "bot" && o.ReplyTo == r.Seq })
	if _, ok := c.a.svc.Owner(sess.ConversationID); ok {
		t.Fatal("handed over again right after the hand-back")
	}
}

// agentOnline reports an agent online on every queue and waits until node
// A has seen it: automatic escalations need someone to take them.
func agentOnline(t *testing.T, c *cluster) {
	t.Helper()
	desk := newDesk(t, c.srv)
	if r := desk.request(t, handoff.SubjectPresence, handoff.Presence{V: 1, AgentID: "on-duty", Status: "online", MaxChats: 5,
		Queues: []string{"refunds", "billing", "technical", "general"}}); !r.OK {
		t.Fatalf("presence: %+v", r)
	}
	for deadline := time.Now().Add(10 * time.Second); c.a.svc.AgentsOnline() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("node A never saw the agent online")
		}
	}
}

// TestNoAutomaticHandoffWithNobodyOnline: with no agent online, two
// unanswered questions do not send the customer into an empty queue (the
// bot keeps answering), but asking for a human still queues them.
func TestNoAutomaticHandoffWithNobodyOnline(t *testing.T) {
	c := startCluster(t, nil)
	ctx := context.Background()
	sess, err := c.a.e.Connect(ctx, "web", channels.Identity{Kind: "web_visitor", Value: "alone"})
	if err != nil {
		t.Fatal(err)
	}
	conn := attach(t, c.a, sess.ConversationID)
	for j, m := range []string{"你们的发票抬头能改吗", "那电子发票在哪里下载", "怎么开增值税专票"} {
		r := receive(t, c.a, sess, fmt.Sprint("c", j), m)
		conn.waitFor(t, "a reply to "+m, func(o channels.Outbound) bool { return o.Kind == channels.OutMessage && o.ReplyTo == r.Seq })
	}
	if rec, ok := c.a.svc.Owner(sess.ConversationID); ok {
		t.Fatalf("handed over to an empty queue: %+v", rec)
	}
	if n := len(conn.seqs("bot")); n != 3 {
		t.Fatalf("bot answered %d of 3 questions", n)
	}
	r := receive(t, c.a, sess, "c9", "转人工")
	conn.waitFor(t, "the handoff notice", func(o channels.Outbound) bool { return o.Kind == channels.OutMessage && o.ReplyTo == r.Seq })
	if rec, ok := c.a.svc.Owner(sess.ConversationID); !ok || rec.Reason != handoff.ReasonHumanRequest {
		t.Fatalf("explicit request: owner %+v (%v), want a human_request handoff", rec, ok)
	}
}
