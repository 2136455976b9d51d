package handoff

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/memory"
)

// feed collects everything published under a subject pattern.
type feed struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func watch(t testing.TB, nc *nats.Conn, pattern string) *feed {
	t.Helper()
	f := &feed{}
	sub, err := nc.Subscribe(pattern, func(m *nats.Msg) {
		f.mu.Lock()
		f.msgs = append(f.msgs, m)
		f.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Unsubscribe() })
	return f
}

// wait returns the first message on subject matching pred.
func (f *feed) wait(t testing.TB, subject string, pred func([]byte) bool) []byte {
	t.Helper()
	var got []byte
	eventually(t, "a message on "+subject, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, m := range f.msgs {
			if m.Subject == subject && (pred == nil || pred(m.Data)) {
				got = m.Data
				return true
			}
		}
		return false
	})
	return got
}

func (f *feed) count(subject string, pred func([]byte) bool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.msgs {
		if m.Subject == subject && (pred == nil || pred(m.Data)) {
			n++
		}
	}
	return n
}

func hasClient(id string) func([]byte) bool {
	return func(b []byte) bool {
		var r Result
		return json.Unmarshal(b, &r) == nil && r.ClientID == id
	}
}

func event(e string) func([]byte) bool {
	return func(b []byte) bool {
		var r Record
		return json.Unmarshal(b, &r) == nil && r.Event == e
	}
}

func jsPublish(t testing.TB, nc *nats.Conn, subject string, payload any, msgID string) {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	data, ok := payload.([]byte)
	if !ok {
		if data, err = json.Marshal(payload); err != nil {
			t.Fatal(err)
		}
	}
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if _, err := js.Publish(ctx, subject, data, opts...); err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
}

func decodeResult(t testing.TB, b []byte) Result {
	t.Helper()
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAgentLifecycle walks one handoff through the contract as a plain NATS
// client would: queue, claim, package, chat, note, transcript, resolve.
func TestAgentLifecycle(t *testing.T) {
	srv := startNATS(t)
	store := openStore(t)
	var resolved []Resolved
	var rmu sync.Mutex
	a := startNode(t, srv, store, func(c *Config) {
		c.Remember = func(_ context.Context, r Resolved) error {
			rmu.Lock()
			defer rmu.Unlock()
			resolved = append(resolved, r)
			return nil
		}
	})
	desk := connect(t, srv, "desk")
	f := watch(t, desk, "kairos.>")
	ctx := context.Background()

	conv := conversation(t, store, "v1")
	cust, _, err := store.AppendMessage(ctx, memory.Message{ConversationID: conv.ID, Role: memory.RoleCustomer, Text: "我要退款，东西坏了，转人工", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := a.svc.Open(ctx, OpenRequest{ConversationID: conv.ID, CustomerID: conv.CustomerID, Channel: "web", Lang: "zh",
		Decision: Decision{Escalate: true, Reason: ReasonHumanRequest, Reasons: []string{ReasonHumanRequest}}, Question: cust.Text, ReplyTo: cust.Seq})
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.svc.Open(ctx, OpenRequest{ConversationID: conv.ID, CustomerID: conv.CustomerID, Question: "again"})
	if err != nil || again.HandoffID != rec.HandoffID {
		t.Fatalf("second Open = %s, %v; want the open handoff %s", again.HandoffID, err, rec.HandoffID)
	}
	var req Record
	if err := json.Unmarshal(f.wait(t, SubjectRequested, nil), &req); err != nil {
		t.Fatal(err)
	}
	if req.V != 1 || req.HandoffID != rec.HandoffID || req.ConversationID != conv.ID || req.Status != StatusWaiting ||
		req.Queue != QueueGeneral || req.Summary == "" || req.CreatedAt.IsZero() || req.Position != 1 {
		t.Fatalf("requested = %+v", req)
	}
	if _, ok := a.svc.Owner(conv.ID); !ok {
		t.Fatal("conversation not owned after Open")
	}
	notice := a.out.all()
	if len(notice) != 1 || notice[0].Role != "system" || !strings.Contains(notice[0].Text, "人工客服") || notice[0].ReplyTo != cust.Seq {
		t.Fatalf("customer notice = %+v", notice)
	}

	l := request(t, desk, SubjectList, `{"v":1}`)
	if !l.OK || len(l.Handoffs) != 1 || l.Handoffs[0].HandoffID != rec.HandoffID || len(l.Queues) != 4 {
		t.Fatalf("list = %+v", l)
	}
	// Agent messages before the claim are refused.
	jsPublish(t, desk, ConvSubject(conv.ID, "agent"), AgentMessage{V: 1, AgentID: "alice", Text: "too early", ClientID: "m0"}, "m0")
	if r := decodeResult(t, f.wait(t, ConvSubject(conv.ID, "agent.result"), hasClient("m0"))); r.OK || r.Error != CodeNotOwner {
		t.Fatalf("message before claim: %+v", r)
	}
	if c := request(t, desk, SubjectClaim, ClaimRequest{V: 1, HandoffID: rec.HandoffID, AgentID: "alice"}); !c.OK || c.Handoff.AgentID != "alice" {
		t.Fatalf("claim = %+v", c)
	}
	if c := request(t, desk, SubjectClaim, ClaimRequest{V: 1, HandoffID: rec.HandoffID, AgentID: "alice"}); !c.OK {
		t.Fatalf("claiming one's own handoff again = %+v", c)
	}
	f.wait(t, SubjectUpdated, event(EventClaimed))
	g := request(t, desk, SubjectGet, GetRequest{V: 1, HandoffID: rec.HandoffID})
	if !g.OK || g.Package == nil || g.Package.Summary == "" || g.Handoff.Status != StatusClaimed {
		t.Fatalf("get = %+v", g)
	}

	// An agent message, its resend (same client id) and one from another agent.
	msg := AgentMessage{V: 1, AgentID: "alice", Text: "<b>您好</b>，马上为您处理", ClientID: "m1"}
	jsPublish(t, desk, ConvSubject(conv.ID, "agent"), msg, "")
	r1 := decodeResult(t, f.wait(t, ConvSubject(conv.ID, "agent.result"), hasClient("m1")))
	if !r1.OK || r1.Seq == 0 || r1.Duplicate {
		t.Fatalf("agent message result = %+v", r1)
	}
	jsPublish(t, desk, ConvSubject(conv.ID, "agent"), msg, "") // no Nats-Msg-Id: the store dedupes
	eventually(t, "the resend's result", func() bool { return f.count(ConvSubject(conv.ID, "agent.result"), hasClient("m1")) == 2 })
	jsPublish(t, desk, ConvSubject(conv.ID, "agent"), AgentMessage{V: 1, AgentID: "mallory", Text: "hi", ClientID: "x1"}, "")
	if r := decodeResult(t, f.wait(t, ConvSubject(conv.ID, "agent.result"), hasClient("x1"))); r.Error != CodeNotOwner {
		t.Fatalf("other agent's message = %+v", r)
	}
	ms, _ := store.Messages(ctx, conv.ID, 0, 100)
	agentMsgs := 0
	for _, m := range ms {
		if m.Role == memory.RoleAgent {
			agentMsgs++
			if m.Text != msg.Text { // stored verbatim; channels render it as text
				t.Fatalf("stored agent text %q", m.Text)
			}
		}
	}
	if agentMsgs != 1 {
		t.Fatalf("%d agent messages stored, want 1", agentMsgs)
	}
	sent := 0
	for _, o := range a.out.all() {
		if o.Role == "agent" && o.Kind == "message" {
			sent++
			if o.Seq != r1.Seq {
				t.Fatalf("agent message sent with seq %d, stored %d", o.Seq, r1.Seq)
			}
		}
	}
	if sent == 0 {
		t.Fatal("agent message not sent to the customer")
	}

	jsPublish(t, desk, ConvSubject(conv.ID, "note"), AgentMessage{V: 1, AgentID: "alice", Text: "warehouse confirmed", ClientID: "n1"}, "")
	f.wait(t, ConvSubject(conv.ID, "agent.result"), hasClient("n1"))
	if g := request(t, desk, SubjectGet, GetRequest{V: 1, HandoffID: rec.HandoffID}); len(g.Package.Notes) != 1 || g.Package.Notes[0].Text != "warehouse confirmed" {
		t.Fatalf("notes = %+v", g.Package.Notes)
	}
	for _, o := range a.out.all() {
		if strings.Contains(o.Text, "warehouse") {
			t.Fatal("an internal note reached the customer")
		}
	}
	tr := request(t, desk, SubjectTranscript, TranscriptRequest{V: 1, ConversationID: conv.ID})
	if !tr.OK || len(tr.Messages) < 3 || tr.Messages[0].Text != cust.Text {
		t.Fatalf("transcript = %+v", tr)
	}

	jsPublish(t, desk, ConvSubject(conv.ID, "resolved"), Resolution{V: 1, AgentID: "alice", Summary: "退款199元已批准",
		Settled: []string{"订单1042退款199元，3个工作日内到账"}, ClientID: "r1"}, "")
	if r := decodeResult(t, f.wait(t, ConvSubject(conv.ID, "agent.result"), hasClient("r1"))); !r.OK {
		t.Fatalf("resolve = %+v", r)
	}
	f.wait(t, SubjectUpdated, event(EventResolved))
	if _, ok := a.svc.Owner(conv.ID); ok {
		t.Fatal("still owned after resolve")
	}
	rmu.Lock()
	if len(resolved) != 1 || resolved[0].CustomerID != conv.CustomerID || len(resolved[0].Settled) != 1 || resolved[0].Summary != "退款199元已批准" {
		t.Fatalf("remembered %+v", resolved)
	}
	rmu.Unlock()
	// A new handoff of the same conversation can open after the old one.
	if r := open1(t, a, conv, "again"); r.HandoffID == rec.HandoffID || r.Status != StatusWaiting {
		t.Fatalf("reopened = %+v", r)
	}
}

// TestBadPayloads sends malformed, unknown-version and forged payloads to
// every subject: each is refused with its code and the service keeps
// working.
func TestBadPayloads(t *testing.T) {
	srv := startNATS(t)
	store := openStore(t)
	a := startNode(t, srv, store, nil)
	desk := connect(t, srv, "desk")
	f := watch(t, desk, "kairos.conv.>")
	conv := conversation(t, store, "v1")
	rec := open1(t, a, conv, "转人工")
	huge := `{"v":1,"handoff_id":"` + strings.Repeat("a", MaxPayload) + `"}`
	for _, tc := range []struct {
		subject, payload, code string
	}{
		{SubjectClaim, `not json`, CodeInvalid},
		{SubjectClaim, `[1,2]`, CodeInvalid},
		{SubjectClaim, `{"handoff_id":"x","agent_id":"a"}`, CodeUnsupportedVersion},
		{SubjectClaim, `{"v":2,"handoff_id":"x","agent_id":"a"}`, CodeUnsupportedVersion},
		{SubjectClaim, `{"v":"1","handoff_id":"x","agent_id":"a"}`, CodeInvalid},
		{SubjectClaim, `{"v":1,"handoff_id":"x.y","agent_id":"a"}`, CodeInvalid},
		{SubjectClaim, `{"v":1,"handoff_id":"nope","agent_id":"a"}`, CodeNotFound},
		{SubjectClaim, `{"v":1,"handoff_id":"` + rec.HandoffID + `","agent_id":"a b"}`, CodeInvalid},
		{SubjectClaim, huge, CodeInvalid},
		{SubjectList, `{"v":7}`, CodeUnsupportedVersion},
		{SubjectGet, `{"v":1,"handoff_id":">"}`, CodeInvalid},
		{SubjectTranscript, `{"v":1,"conversation_id":"*"}`, CodeInvalid},
		{SubjectTranscript, `{"v":1,"conversation_id":"c","after_seq":-1}`, CodeInvalid},
		{SubjectTransfer, `{"v":1,"handoff_id":"` + rec.HandoffID + `","agent_id":"a"}`, CodeInvalid},
		{SubjectTransfer, `{"v":1,"handoff_id":"` + rec.HandoffID + `","agent_id":"a","to_queue":"nowhere"}`, CodeUnknownQueue},
		{SubjectPresence, `{"v":1,"agent_id":"a","status":"dancing"}`, CodeInvalid},
		{SubjectPresence, `{"v":1,"agent_id":"a","status":"online","max_chats":1000}`, CodeInvalid},
	} {
		r := request(t, desk, tc.subject, tc.payload)
		if r.OK || r.Error != tc.code {
			t.Errorf("%s %.60q: got ok=%v error=%q, want %q", tc.subject, tc.payload, r.OK, r.Error, tc.code)
		}
	}
	// Bad stream messages are answered on .agent.result and never block
	// the consumer.
	for i, p := range []string{`garbage`, `{"v":2,"agent_id":"a","text":"x","client_id":"c1"}`, `{"v":1,"agent_id":"a","text":"   ","client_id":"c2"}`,
		`{"v":1,"agent_id":"a","text":"` + strings.Repeat("长", MaxText+1) + `","client_id":"c3"}`, `{"v":1,"agent_id":"a","text":"\xff\xfe","client_id":"c4"}`} {
		jsPublish(t, desk, ConvSubject(conv.ID, "agent"), []byte(p), "")
		want := 1 + i
		eventually(t, "results for bad messages", func() bool {
			return f.count(ConvSubject(conv.ID, "agent.result"), func(b []byte) bool { return !decodeResult(t, b).OK }) >= want
		})
	}
	f.mu.Lock()
	for _, b := range f.msgs {
		if b.Subject == ConvSubject(conv.ID, "agent.result") {
			if r := decodeResult(t, b.Data); r.Error != CodeInvalid && r.Error != CodeUnsupportedVersion {
				t.Errorf("bad message result %+v", r)
			}
		}
	}
	f.mu.Unlock()
	if c := request(t, desk, SubjectClaim, ClaimRequest{V: 1, HandoffID: rec.HandoffID, AgentID: "alice"}); !c.OK {
		t.Fatalf("claim after bad input = %+v", c)
	}
	jsPublish(t, desk, ConvSubject(conv.ID, "agent"), AgentMessage{V: 1, AgentID: "alice", Text: "hello", ClientID: "ok1"}, "")
	if r := decodeResult(t, f.wait(t, ConvSubject(conv.ID, "agent.result"), hasClient("ok1"))); !r.OK {
		t.Fatalf("good message after bad ones = %+v", r)
	}
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestSLA checks that a handoff left unclaimed past its SLA is escalated
// once however many nodes check, and the customer is told a new estimate.
func TestSLA(t *testing.T) {
	srv := startNATS(t)
	store := openStore(t)
	clk := &clock{now: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)} // a Monday, 11:00 in Shanghai
	hours, err := ParseHours("mon-fri 09:00-18:00", "Asia/Shanghai", nil)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(c *Config) { c.Now, c.Hours, c.Routing.SLA = clk.Now, hours, time.Minute }
	a := startNode(t, srv, store, edit)
	b := startNode(t, srv, store, edit)
	desk := connect(t, srv, "desk")
	f := watch(t, desk, "kairos.handoff.>")
	conv := conversation(t, store, "v1")
	rec := open1(t, a, conv, "转人工")
	if rec.Status != StatusWaiting || rec.Priority != PriorityBase {
		t.Fatalf("opened %+v", rec)
	}
	eventually(t, "node b sees the handoff", func() bool { _, ok := b.svc.Owner(conv.ID); return ok })
	a.svc.CheckSLA(context.Background())
	if n := f.count(SubjectUpdated, event(EventEscalated)); n != 0 {
		t.Fatalf("escalated before the SLA: %d", n)
	}
	clk.Add(61 * time.Second)
	var wg sync.WaitGroup
	for _, n := range []*node{a, b, a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); n.svc.CheckSLA(context.Background()) }()
	}
	wg.Wait()
	f.wait(t, SubjectUpdated, event(EventEscalated))
	r, err := a.svc.get(context.Background(), rec.HandoffID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Escalations != 1 || r.Priority != PriorityBase+1 {
		t.Fatalf("after one SLA breach: escalations %d priority %d", r.Escalations, r.Priority)
	}
	ms, _ := store.Messages(context.Background(), conv.ID, 0, 100)
	slaNotices := 0
	for _, m := range ms {
		if m.Role == memory.RoleSystem && strings.Contains(m.Text, "久等") {
			slaNotices++
		}
	}
	if slaNotices != 1 {
		t.Fatalf("%d SLA notices stored, want 1", slaNotices)
	}

	// Outside working hours: a callback is collected instead.
	clk.Add(10 * time.Hour) // 21:01 in Shanghai
	conv2 := conversation(t, store, "v2")
	cb := open1(t, a, conv2, "转人工")
	if cb.Status != StatusCallback {
		t.Fatalf("after hours status = %s", cb.Status)
	}
	m, _, err := store.AppendMessage(context.Background(), memory.Message{ConversationID: conv2.ID, Role: memory.RoleCustomer, Text: "13800000000 明早十点后", CreatedAt: clk.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.svc.Forward(context.Background(), cb, m, "web", "zh"); err != nil {
		t.Fatal(err)
	}
	f.wait(t, SubjectUpdated, event(EventCallback))
	r, _ = a.svc.get(context.Background(), cb.HandoffID)
	if r.Callback == nil || !strings.Contains(r.Callback.Details, "13800000000") {
		t.Fatalf("callback = %+v", r.Callback)
	}
}

// TestTransfer moves a claimed handoff to another queue and then to an
// agent.
func TestTransfer(t *testing.T) {
	srv := startNATS(t)
	store := openStore(t)
	a := startNode(t, srv, store, nil)
	desk := connect(t, srv, "desk")
	rec := open1(t, a, conversation(t, store, "v1"), "转人工")
	request(t, desk, SubjectClaim, ClaimRequest{V: 1, HandoffID: rec.HandoffID, AgentID: "alice"})
	if r := request(t, desk, SubjectTransfer, TransferRequest{V: 1, HandoffID: rec.HandoffID, AgentID: "bob", ToQueue: QueueBilling}); r.Error != CodeNotOwner {
		t.Fatalf("transfer by a non-owner = %+v", r)
	}
	r := request(t, desk, SubjectTransfer, TransferRequest{V: 1, HandoffID: rec.HandoffID, AgentID: "alice", ToQueue: QueueBilling, Note: "invoice"})
	if !r.OK || r.Handoff.Queue != QueueBilling || r.Handoff.Status != StatusWaiting || r.Handoff.TransferredFrom != "agent:alice" {
		t.Fatalf("transfer to queue = %+v", r)
	}
	request(t, desk, SubjectClaim, ClaimRequest{V: 1, HandoffID: rec.HandoffID, AgentID: "carol"})
	r = request(t, desk, SubjectTransfer, TransferRequest{V: 1, HandoffID: rec.HandoffID, AgentID: "carol", ToAgent: "dave"})
	if !r.OK || r.Handoff.AgentID != "dave" || r.Handoff.Status != StatusClaimed {
		t.Fatalf("transfer to agent = %+v", r)
	}
	// Capacity: an agent with max_chats 1 who has a chat cannot take another.
	if p := request(t, desk, SubjectPresence, Presence{V: 1, AgentID: "dave", Status: "online", MaxChats: 1}); !p.OK {
		t.Fatalf("presence = %+v", p)
	}
	rec2 := open1(t, a, conversation(t, store, "v2"), "转人工")
	if c := request(t, desk, SubjectClaim, ClaimRequest{V: 1, HandoffID: rec2.HandoffID, AgentID: "dave"}); c.Error != CodeAtCapacity {
		t.Fatalf("claim beyond capacity = %+v", c)
	}
	l := request(t, desk, SubjectList, ListRequest{V: 1, AgentID: "dave", Mine: true})
	if len(l.Handoffs) != 1 || l.Handoffs[0].HandoffID != rec.HandoffID {
		t.Fatalf("dave's handoffs = %+v", l.Handoffs)
	}
}
