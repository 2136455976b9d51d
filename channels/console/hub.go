package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Refresh and presence periods. The list snapshot is the truth and the
// subjects are the change feed (docs/nats.md), so a console re-reads the
// snapshot now and then: after a NATS reconnect or a missed update it
// converges without anyone noticing.
const (
	refreshEvery  = 15 * time.Second
	presenceEvery = 25 * time.Second // the contract wants ≤ 30 s
)

// hub is a console process's view of the handoffs and its browser
// connections. It subscribes once per subject for every agent it serves.
type hub struct {
	c *Console

	mu       sync.Mutex
	handoffs map[string]Handoff // open handoffs by id
	byConv   map[string]string  // conversation id → handoff id
	clients  map[*client]struct{}
	online   map[string]Agent // agents with at least one connection
	conns    map[string]int   // connections per agent
	closed   bool

	subs []*nats.Subscription
	stop chan struct{}
	wg   sync.WaitGroup
}

func newHub(c *Console) (*hub, error) {
	h := &hub{c: c, handoffs: map[string]Handoff{}, byConv: map[string]string{}, clients: map[*client]struct{}{},
		online: map[string]Agent{}, conns: map[string]int{}, stop: make(chan struct{})}
	subs := []struct {
		subject string
		fn      nats.MsgHandler
	}{
		{SubjectRequested, h.onHandoff},
		{SubjectUpdated, h.onHandoff},
		{"kairos.conv.*.customer", h.onCustomer},
		{"kairos.conv.*.typing", h.onTyping},
		{"kairos.conv.*.agent.result", h.onResult},
	}
	for _, s := range subs {
		sub, err := c.nc.Subscribe(s.subject, s.fn)
		if err != nil {
			h.unsubscribe()
			return nil, fmt.Errorf("console: subscribe %s: %w", s.subject, err)
		}
		h.subs = append(h.subs, sub)
	}
	h.wg.Add(1)
	go h.loop()
	return h, nil
}

func (h *hub) unsubscribe() {
	for _, s := range h.subs {
		_ = s.Unsubscribe()
	}
	h.subs = nil
}

func (h *hub) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	clients := make([]*client, 0, len(h.clients))
	for cl := range h.clients {
		clients = append(clients, cl)
	}
	h.mu.Unlock()
	close(h.stop)
	h.wg.Wait()
	h.unsubscribe()
	for _, cl := range clients {
		cl.shutdown("console shutting down")
	}
}

// loop refreshes the snapshot and the agents' presence.
func (h *hub) loop() {
	defer h.wg.Done()
	h.refresh()
	refresh := time.NewTicker(refreshEvery)
	presence := time.NewTicker(presenceEvery)
	defer refresh.Stop()
	defer presence.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-refresh.C:
			h.refresh()
		case <-presence.C:
			h.mu.Lock()
			agents := make([]Agent, 0, len(h.online))
			for _, a := range h.online {
				agents = append(agents, a)
			}
			h.mu.Unlock()
			for _, a := range agents {
				h.presence(a, "online")
			}
		}
	}
}

func (h *hub) request(ctx context.Context, subject string, req any) (reply, error) {
	var rep reply
	data, err := json.Marshal(req)
	if err != nil {
		return rep, err
	}
	ctx, cancel := context.WithTimeout(ctx, h.c.cfg.RequestTimeout)
	defer cancel()
	m, err := h.c.nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		return rep, fmt.Errorf("console: %s: %w", subject, err)
	}
	if err := json.Unmarshal(m.Data, &rep); err != nil {
		return rep, fmt.Errorf("console: %s: bad reply: %w", subject, err)
	}
	if err := checkVersion(rep.V); err != nil {
		return rep, fmt.Errorf("console: %s: %w", subject, err)
	}
	return rep, nil
}

// refresh replaces the open handoffs with the gateway's snapshot and tells
// the browsers what changed.
func (h *hub) refresh() {
	rep, err := h.request(context.Background(), SubjectList, map[string]any{"v": Version,
		"status": []string{StatusWaiting, StatusCallback, StatusClaimed}, "limit": 1000})
	if err != nil || !rep.OK {
		if err == nil {
			err = errors.New(rep.Error)
		}
		h.c.logger.Debug("handoff list failed", "err", err)
		return
	}
	seen := map[string]bool{}
	for _, r := range rep.Handoffs {
		if r.V == 0 {
			r.V = Version
		}
		if checkVersion(r.V) != nil || !validID(r.HandoffID) || !validID(r.ConversationID) {
			continue
		}
		seen[r.HandoffID] = true
		h.apply(r, true)
	}
	h.mu.Lock()
	var gone []Handoff
	for id, r := range h.handoffs {
		if !seen[id] {
			gone = append(gone, r)
		}
	}
	h.mu.Unlock()
	for _, r := range gone {
		r.Status = StatusCancelled // no longer listed: closed while we were not looking
		r.Event = "gone"
		h.apply(r, true)
	}
}

func (h *hub) onHandoff(m *nats.Msg) {
	r, err := decodeHandoff(m.Data)
	if err != nil {
		h.c.logger.Warn("handoff record rejected", "subject", m.Subject, "err", err)
		return
	}
	h.apply(r, false)
}

// apply records a handoff's new state, unless an update with a higher
// revision is already known, and tells every browser that can see the old
// or the new state. force applies a snapshot record of the same revision.
func (h *hub) apply(r Handoff, force bool) {
	h.mu.Lock()
	old, had := h.handoffs[r.HandoffID]
	if had && (r.Revision < old.Revision || (r.Revision == old.Revision && !force)) {
		h.mu.Unlock()
		return
	}
	if had && force && r.Revision == old.Revision && old.Status == r.Status && old.AgentID == r.AgentID && old.Queue == r.Queue {
		h.handoffs[r.HandoffID] = r // wait estimates and positions: no need to push
		h.mu.Unlock()
		return
	}
	if r.open() {
		h.handoffs[r.HandoffID] = r
		h.byConv[r.ConversationID] = r.HandoffID
	} else {
		delete(h.handoffs, r.HandoffID)
		if h.byConv[r.ConversationID] == r.HandoffID {
			delete(h.byConv, r.ConversationID)
		}
	}
	clients := h.clientsLocked()
	h.mu.Unlock()
	for _, cl := range clients {
		switch {
		case canSee(cl.agent, r):
			cl.send(frame{"type": "handoff", "handoff": r})
		case had && canSee(cl.agent, old):
			cl.send(frame{"type": "gone", "handoff_id": r.HandoffID, "conversation_id": r.ConversationID,
				"status": r.Status, "agent_id": r.AgentID})
		}
	}
}

// canSee is the visibility rule: admins see every open handoff; an agent
// sees the waiting ones of its queues and the ones it owns. A handoff
// another agent claimed is gone from everyone else's view.
func canSee(a Agent, r Handoff) bool {
	if !r.open() {
		return false
	}
	if a.IsAdmin() || r.AgentID == a.Name {
		return true
	}
	return r.waiting() && a.CanSeeQueue(r.Queue)
}

func (h *hub) clientsLocked() []*client {
	out := make([]*client, 0, len(h.clients))
	for cl := range h.clients {
		out = append(out, cl)
	}
	return out
}

// snapshot is what agent a may see now, in queue order.
func (h *hub) snapshot(a Agent) []Handoff {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := []Handoff{}
	for _, r := range h.handoffs {
		if canSee(a, r) {
			out = append(out, r)
		}
	}
	sortHandoffs(out)
	return out
}

func sortHandoffs(hs []Handoff) {
	for i := 1; i < len(hs); i++ { // few dozen at most: insertion sort keeps it stable and simple
		for j := i; j > 0 && before(hs[j], hs[j-1]); j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
}

func before(a, b Handoff) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	return a.CreatedAt.Before(b.CreatedAt)
}

// lookup returns the open handoff by id.
func (h *hub) lookup(id string) (Handoff, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.handoffs[id]
	return r, ok
}

// byConversation returns the conversation's open handoff.
func (h *hub) byConversation(conv string) (Handoff, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.handoffs[h.byConv[conv]]
	return r, ok
}

// convOf takes the conversation id out of kairos.conv.<id>.<kind>.
func convOf(subject string) string {
	rest, ok := strings.CutPrefix(subject, "kairos.conv.")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, ".")
	return id
}

// forConversation calls fn for every browser that shows the conversation:
// those of agents who can see it and either own it or opened it.
func (h *hub) forConversation(conv string, fn func(*client)) {
	h.mu.Lock()
	r, ok := h.handoffs[h.byConv[conv]]
	var targets []*client
	if ok {
		for cl := range h.clients {
			if canSee(cl.agent, r) && (r.AgentID == cl.agent.Name || cl.watching(conv)) {
				targets = append(targets, cl)
			}
		}
	}
	h.mu.Unlock()
	for _, cl := range targets {
		fn(cl)
	}
}

func (h *hub) onCustomer(m *nats.Msg) {
	var cm CustomerMessage
	if err := json.Unmarshal(m.Data, &cm); err != nil || len(m.Data) > maxPayload {
		h.c.logger.Warn("customer message rejected", "subject", m.Subject, "err", err)
		return
	}
	if err := checkVersion(cm.V); err != nil {
		h.c.logger.Warn("customer message rejected", "subject", m.Subject, "err", err)
		return
	}
	conv := convOf(m.Subject)
	if cm.ConversationID != "" && cm.ConversationID != conv {
		h.c.logger.Warn("customer message rejected: conversation does not match its subject", "subject", m.Subject)
		return
	}
	h.forConversation(conv, func(cl *client) {
		cl.send(frame{"type": "message", "conversation_id": conv, "seq": cm.Seq, "role": "customer", "text": cm.Text, "at": cm.At})
	})
}

func (h *hub) onTyping(m *nats.Msg) {
	var t Typing
	if json.Unmarshal(m.Data, &t) != nil || checkVersion(t.V) != nil || t.Who != "customer" {
		return // ephemeral: agents' own typing and bad payloads are dropped quietly
	}
	if t.State != "start" && t.State != "stop" {
		return
	}
	conv := convOf(m.Subject)
	h.forConversation(conv, func(cl *client) {
		cl.send(frame{"type": "typing", "conversation_id": conv, "state": t.State})
	})
}

func (h *hub) onResult(m *nats.Msg) {
	var res AgentResult
	if err := json.Unmarshal(m.Data, &res); err != nil || checkVersion(res.V) != nil {
		h.c.logger.Warn("agent result rejected", "subject", m.Subject, "err", err)
		return
	}
	conv := convOf(m.Subject)
	h.forConversation(conv, func(cl *client) {
		cl.send(frame{"type": "result", "conversation_id": conv, "client_id": res.ClientID, "ok": res.OK,
			"seq": res.Seq, "error": res.Error})
	})
}

// join registers a browser connection and announces the agent online.
func (h *hub) join(cl *client) bool {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return false
	}
	h.clients[cl] = struct{}{}
	h.conns[cl.agent.Name]++
	h.online[cl.agent.Name] = cl.agent
	h.mu.Unlock()
	h.presence(cl.agent, "online")
	return true
}

// leave removes a connection; the agent's last one announces it offline.
func (h *hub) leave(cl *client) {
	h.mu.Lock()
	if _, ok := h.clients[cl]; !ok {
		h.mu.Unlock()
		return
	}
	delete(h.clients, cl)
	h.conns[cl.agent.Name]--
	last := h.conns[cl.agent.Name] == 0
	if last {
		delete(h.conns, cl.agent.Name)
		delete(h.online, cl.agent.Name)
	}
	h.mu.Unlock()
	if last {
		h.presence(cl.agent, "offline")
	}
}

// dropSession closes the connections of a session that logged out.
func (h *hub) dropSession(id string) {
	h.mu.Lock()
	var drop []*client
	for cl := range h.clients {
		if cl.session == id {
			drop = append(drop, cl)
		}
	}
	h.mu.Unlock()
	for _, cl := range drop {
		cl.shutdown("logged out")
	}
}

func (h *hub) presence(a Agent, status string) {
	data, _ := json.Marshal(Presence{V: Version, AgentID: a.Name, Name: a.Name, Status: status, Queues: a.Queues, MaxChats: a.MaxChats})
	if err := h.c.nc.Publish(SubjectPresence, data); err != nil {
		h.c.logger.Warn("presence", "agent", a.Name, "err", err)
	}
}
