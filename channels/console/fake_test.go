package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels/console"
)

// fakeDesk is a fake of the gateway's side of the handoff contract
// (docs/nats.md): it keeps handoffs and transcripts in memory, answers the
// request/reply subjects, and consumes what desks publish to KAIROS_CONV.
type fakeDesk struct {
	t  testing.TB
	nc *nats.Conn
	js jetstream.JetStream

	mu        sync.Mutex
	handoffs  map[string]console.Handoff
	msgs      map[string][]console.TranscriptMessage // by conversation
	byClient  map[string]int64                       // agent client_id → seq
	agentMsgs []console.AgentMessage                 // stored agent messages, in order
	notes     []console.Note
	resolved  []console.Resolution
	typing    []console.Typing
	presence  map[string]console.Presence
	claims    int
}

func newFakeDesk(t testing.TB, nc *nats.Conn) *fakeDesk {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "KAIROS_HANDOFF",
		Subjects: []string{console.SubjectRequested, console.SubjectUpdated}, Duplicates: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "KAIROS_CONV",
		Subjects:   []string{"kairos.conv.*.customer", "kairos.conv.*.agent", "kairos.conv.*.note", "kairos.conv.*.resolved"},
		Duplicates: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	f := &fakeDesk{t: t, nc: nc, js: js, handoffs: map[string]console.Handoff{}, msgs: map[string][]console.TranscriptMessage{},
		byClient: map[string]int64{}, presence: map[string]console.Presence{}}
	serve := map[string]func([]byte) any{
		console.SubjectList: f.list, console.SubjectGet: f.get, console.SubjectClaim: f.claim,
		console.SubjectTranscript: f.transcript, console.SubjectTransfer: f.transfer,
	}
	for subj, fn := range serve {
		sub, err := nc.QueueSubscribe(subj, "kairos-handoff", func(m *nats.Msg) {
			var probe struct{ V int }
			if json.Unmarshal(m.Data, &probe) != nil || probe.V != 1 {
				f.respond(m, map[string]any{"v": 1, "ok": false, "error": "unsupported_version"})
				return
			}
			f.respond(m, fn(m.Data))
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	psub, err := nc.Subscribe(console.SubjectPresence, func(m *nats.Msg) {
		var p console.Presence
		if json.Unmarshal(m.Data, &p) == nil {
			f.mu.Lock()
			f.presence[p.AgentID] = p
			f.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	tsub, err := nc.Subscribe("kairos.conv.*.typing", func(m *nats.Msg) {
		var ty console.Typing
		if json.Unmarshal(m.Data, &ty) == nil && ty.Who == "agent" {
			f.mu.Lock()
			f.typing = append(f.typing, ty)
			f.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, "KAIROS_CONV", jetstream.ConsumerConfig{Durable: "fake-gateway",
		FilterSubjects: []string{"kairos.conv.*.agent", "kairos.conv.*.note", "kairos.conv.*.resolved"}, AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cons.Consume(f.consume)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Stop(); _ = psub.Unsubscribe(); _ = tsub.Unsubscribe() })
	return f
}

func (f *fakeDesk) respond(m *nats.Msg, v any) {
	data, _ := json.Marshal(v)
	_ = m.Respond(data)
}

// publish sends a handoff record on requested or updated.
func (f *fakeDesk) publish(subject string, h console.Handoff) {
	data, _ := json.Marshal(h)
	// The console sees the message before the stream's ack reaches us, so
	// a test may end (and close the connection) in between: that is fine.
	if _, err := f.js.Publish(context.Background(), subject, data); err != nil && !f.nc.IsClosed() {
		f.t.Errorf("fake desk: publish %s: %v", subject, err)
	}
}

// request puts a new handoff in a queue, as the gateway does.
func (f *fakeDesk) request(id, conv, queue string, priority int, summary string) console.Handoff {
	now := time.Now().UTC()
	due := now.Add(time.Minute)
	h := console.Handoff{V: 1, HandoffID: id, ConversationID: conv, CustomerID: "cu_" + conv, Queue: queue, Priority: priority,
		Reason: "human_request", Summary: summary, CreatedAt: now, Status: console.StatusWaiting, Event: "requested",
		SLADueAt: &due, Mood: "angry", Intent: "refund", Need: "compensation", CustomerName: "王女士", Tier: "gold", VIP: true,
		Lang: "zh", Channel: "web", Revision: 1}
	f.mu.Lock()
	f.handoffs[id] = h
	f.mu.Unlock()
	f.publish(console.SubjectRequested, h)
	return h
}

// say is a customer message while a human owns the chat.
func (f *fakeDesk) say(conv, text string) int64 {
	f.mu.Lock()
	seq := f.appendLocked(conv, "customer", text, "")
	f.mu.Unlock()
	data, _ := json.Marshal(console.CustomerMessage{V: 1, ConversationID: conv, Seq: seq, Text: text, At: time.Now().UTC()})
	m := nats.NewMsg(console.ConvSubject(conv, "customer"))
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s:%d", conv, seq))
	if _, err := f.js.PublishMsg(context.Background(), m); err != nil {
		f.t.Errorf("fake desk: customer message: %v", err)
	}
	return seq
}

func (f *fakeDesk) customerTyping(conv, state string) {
	data, _ := json.Marshal(console.Typing{V: 1, Who: "customer", State: state})
	_ = f.nc.Publish(console.ConvSubject(conv, "typing"), data)
}

func (f *fakeDesk) appendLocked(conv, role, text, clientID string) int64 {
	seq := int64(len(f.msgs[conv]) + 1)
	f.msgs[conv] = append(f.msgs[conv], console.TranscriptMessage{Seq: seq, Role: role, Text: text, At: time.Now().UTC(), ClientID: clientID})
	return seq
}

func (f *fakeDesk) list(data []byte) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []console.Handoff{}
	for _, h := range f.handoffs {
		if h.Status == console.StatusWaiting || h.Status == console.StatusClaimed || h.Status == console.StatusCallback {
			out = append(out, h)
		}
	}
	return map[string]any{"v": 1, "ok": true, "handoffs": out}
}

func (f *fakeDesk) get(data []byte) any {
	var req struct {
		HandoffID string `json:"handoff_id"`
	}
	_ = json.Unmarshal(data, &req)
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.handoffs[req.HandoffID]
	if !ok {
		return map[string]any{"v": 1, "ok": false, "error": "not_found"}
	}
	var notes []map[string]string
	for _, n := range f.notes {
		notes = append(notes, map[string]string{"agent_id": n.AgentID, "text": n.Text})
	}
	pkg := map[string]any{"v": 1, "handoff_id": h.HandoffID, "summary": h.Summary,
		"insight": map[string]any{"intent": "refund", "need": "compensation", "mood": "angry",
			"trajectory": map[string]any{"moods": []map[string]any{{"label": "calm", "valence": 0.1}, {"label": "annoyed", "valence": -0.4}, {"label": "angry", "valence": -0.8}}, "escalation_risk": 0.82}},
		"customer":    map[string]any{"customer_id": h.CustomerID, "name": "王女士", "tier": "gold", "vip": true, "orders": 14, "churn_risk": 0.41, "recent_orders": []map[string]any{{"id": "1042", "status": "delivered", "total": 199, "items": []string{"FLT-90"}}}, "recent_path": []map[string]any{{"url": "/demo/refund-policy.html", "title": "Refund policy"}}},
		"memories":    []map[string]any{{"kind": "fact", "text": "<b>宝宝8个月</b>"}},
		"suggestions": []map[string]any{{"text": "您好，非常抱歉给您带来不便。", "lang": "zh"}},
		"notes":       notes}
	return map[string]any{"v": 1, "ok": true, "handoff": h, "package": pkg}
}

func (f *fakeDesk) claim(data []byte) any {
	var req struct {
		HandoffID string `json:"handoff_id"`
		AgentID   string `json:"agent_id"`
	}
	_ = json.Unmarshal(data, &req)
	f.mu.Lock()
	f.claims++
	h, ok := f.handoffs[req.HandoffID]
	switch {
	case !ok:
		f.mu.Unlock()
		return map[string]any{"v": 1, "ok": false, "error": "not_found"}
	case h.Status == console.StatusClaimed && h.AgentID == req.AgentID:
		f.mu.Unlock()
		return map[string]any{"v": 1, "ok": true, "handoff": h}
	case h.Status == console.StatusClaimed:
		f.mu.Unlock()
		return map[string]any{"v": 1, "ok": false, "error": "already_claimed", "agent_id": h.AgentID}
	}
	now := time.Now().UTC()
	h.Status, h.AgentID, h.ClaimedAt, h.Event, h.Revision = console.StatusClaimed, req.AgentID, &now, "claimed", h.Revision+1
	f.handoffs[h.HandoffID] = h
	f.mu.Unlock()
	f.publish(console.SubjectUpdated, h)
	return map[string]any{"v": 1, "ok": true, "handoff": h}
}

func (f *fakeDesk) transcript(data []byte) any {
	var req struct {
		ConversationID string `json:"conversation_id"`
		AfterSeq       int64  `json:"after_seq"`
	}
	_ = json.Unmarshal(data, &req)
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []console.TranscriptMessage{}
	for _, m := range f.msgs[req.ConversationID] {
		if m.Seq > req.AfterSeq {
			out = append(out, m)
		}
	}
	return map[string]any{"v": 1, "ok": true, "messages": out, "last_seq": len(f.msgs[req.ConversationID])}
}

func (f *fakeDesk) transfer(data []byte) any {
	var req struct {
		HandoffID string `json:"handoff_id"`
		AgentID   string `json:"agent_id"`
		ToQueue   string `json:"to_queue"`
		ToAgent   string `json:"to_agent"`
	}
	_ = json.Unmarshal(data, &req)
	f.mu.Lock()
	h, ok := f.handoffs[req.HandoffID]
	if !ok || (h.Status == console.StatusClaimed && h.AgentID != req.AgentID) {
		f.mu.Unlock()
		return map[string]any{"v": 1, "ok": false, "error": "not_owner"}
	}
	if req.ToQueue != "" {
		h.TransferredFrom, h.Queue, h.Status, h.AgentID = "queue:"+h.Queue, req.ToQueue, console.StatusWaiting, ""
	} else {
		h.TransferredFrom, h.AgentID, h.Status = "agent:"+h.AgentID, req.ToAgent, console.StatusClaimed
	}
	h.Event, h.Revision = "transferred", h.Revision+1
	f.handoffs[h.HandoffID] = h
	f.mu.Unlock()
	f.publish(console.SubjectUpdated, h)
	return map[string]any{"v": 1, "ok": true, "handoff": h}
}

func (f *fakeDesk) result(conv string, r console.AgentResult) {
	r.V = 1
	data, _ := json.Marshal(r)
	_ = f.nc.Publish(console.ConvSubject(conv, "agent.result"), data)
}

// consume handles what desks store in KAIROS_CONV, as the gateway's
// durable consumer does: idempotent by client_id, owner checked.
func (f *fakeDesk) consume(m jetstream.Msg) {
	defer func() { _ = m.Ack() }()
	subj := m.Subject()
	var conv, kind string
	if _, err := fmt.Sscanf(subj, "kairos.conv.%s", &conv); err != nil {
		return
	}
	for i := len(conv) - 1; i >= 0; i-- {
		if conv[i] == '.' {
			conv, kind = conv[:i], conv[i+1:]
			break
		}
	}
	f.mu.Lock()
	var h console.Handoff
	for _, x := range f.handoffs {
		if x.ConversationID == conv && (x.Status == console.StatusClaimed || x.Status == console.StatusWaiting) {
			h = x
		}
	}
	switch kind {
	case "agent":
		var am console.AgentMessage
		if json.Unmarshal(m.Data(), &am) != nil || am.V != 1 {
			f.mu.Unlock()
			return
		}
		if seq, dup := f.byClient[am.ClientID]; dup {
			f.mu.Unlock()
			f.result(conv, console.AgentResult{ClientID: am.ClientID, OK: true, Seq: seq, Duplicate: true})
			return
		}
		if h.Status != console.StatusClaimed || h.AgentID != am.AgentID {
			f.mu.Unlock()
			f.result(conv, console.AgentResult{ClientID: am.ClientID, Error: "not_owner"})
			return
		}
		seq := f.appendLocked(conv, "agent", am.Text, am.ClientID)
		f.byClient[am.ClientID] = seq
		f.agentMsgs = append(f.agentMsgs, am)
		f.mu.Unlock()
		f.result(conv, console.AgentResult{ClientID: am.ClientID, OK: true, Seq: seq})
	case "note":
		var n console.Note
		if json.Unmarshal(m.Data(), &n) == nil && n.V == 1 {
			f.notes = append(f.notes, n)
		}
		f.mu.Unlock()
	case "resolved":
		var r console.Resolution
		if json.Unmarshal(m.Data(), &r) != nil || r.V != 1 || h.Status != console.StatusClaimed || h.AgentID != r.AgentID {
			f.mu.Unlock()
			return
		}
		f.resolved = append(f.resolved, r)
		now := time.Now().UTC()
		h.Status, h.Event, h.ResolvedAt, h.Revision = console.StatusResolved, "resolved", &now, h.Revision+1
		f.handoffs[h.HandoffID] = h
		f.appendLocked(conv, "system", "assistant is back", "")
		f.mu.Unlock()
		f.publish(console.SubjectUpdated, h)
		f.result(conv, console.AgentResult{ClientID: r.ClientID, OK: true})
	default:
		f.mu.Unlock()
	}
}

func (f *fakeDesk) snapshot() (agentMsgs []console.AgentMessage, notes []console.Note, resolved []console.Resolution, typing []console.Typing) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]console.AgentMessage(nil), f.agentMsgs...), append([]console.Note(nil), f.notes...),
		append([]console.Resolution(nil), f.resolved...), append([]console.Typing(nil), f.typing...)
}

func (f *fakeDesk) handoff(id string) console.Handoff {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.handoffs[id]
}
