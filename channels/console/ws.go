package console

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// WebSocket limits.
const (
	maxFrame     = 32 << 10
	sendQueue    = 256
	writeTimeout = 10 * time.Second
	pingEvery    = 30 * time.Second
	maxWatching  = 50
	maxSettled   = 20
)

// frame is one JSON frame to the browser.
type frame map[string]any

// client is one browser connection of a logged-in agent.
type client struct {
	h       *hub
	ws      *websocket.Conn
	agent   Agent
	session string
	out     chan []byte

	mu    sync.Mutex
	watch map[string]bool // conversations this browser has open
	done  chan struct{}
	once  sync.Once
}

func (cl *client) watching(conv string) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.watch[conv]
}

// send queues a frame; a browser too slow to take it is disconnected (it
// reconnects and resumes from the snapshot and transcripts).
func (cl *client) send(f frame) {
	data, err := json.Marshal(f)
	if err != nil {
		return
	}
	select {
	case cl.out <- data:
	case <-cl.done:
	default:
		cl.shutdown("too slow")
	}
}

func (cl *client) shutdown(why string) {
	cl.once.Do(func() {
		close(cl.done)
		_ = cl.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, why), time.Now().Add(time.Second))
		_ = cl.ws.Close()
	})
}

// serveWS upgrades a logged-in browser to the console WebSocket. The
// session cookie (SameSite=Strict), the Origin check and the CSRF token in
// the query together keep other sites from opening it.
func (c *Console) serveWS(w http.ResponseWriter, r *http.Request) {
	a, status, code := c.authenticate(r)
	if status != 0 {
		writeErr(w, status, code, statusText(code))
		return
	}
	if !c.sameOrigin(r) {
		writeErr(w, http.StatusForbidden, "bad_origin", "WebSocket from another site refused")
		return
	}
	if !a.sess.CheckCSRF(r.URL.Query().Get("csrf")) {
		writeErr(w, http.StatusForbidden, "bad_csrf", "missing or wrong CSRF token")
		return
	}
	ws, err := c.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	ws.SetReadLimit(maxFrame)
	cl := &client{h: c.hub, ws: ws, agent: a.agent, session: a.sess.ID, out: make(chan []byte, sendQueue),
		watch: map[string]bool{}, done: make(chan struct{})}
	if !c.hub.join(cl) {
		ws.Close()
		return
	}
	defer c.hub.leave(cl)
	go cl.writer()
	cl.send(frame{"type": "hello", "agent": viewOf(a.agent), "handoffs": c.hub.snapshot(a.agent)})
	cl.reader()
	cl.shutdown("")
}

func (cl *client) writer() {
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-cl.done:
			return
		case data := <-cl.out:
			_ = cl.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err := cl.ws.WriteMessage(websocket.TextMessage, data); err != nil {
				cl.shutdown("")
				return
			}
		case <-ping.C:
			if err := cl.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
				cl.shutdown("")
				return
			}
		}
	}
}

// inFrame is every frame a browser may send; which fields matter depends
// on the type.
type inFrame struct {
	Type           string   `json:"type"`
	HandoffID      string   `json:"handoff_id"`
	ConversationID string   `json:"conversation_id"`
	AfterSeq       int64    `json:"after_seq"`
	ClientID       string   `json:"client_id"`
	Text           string   `json:"text"`
	State          string   `json:"state"`
	ToQueue        string   `json:"to_queue"`
	ToAgent        string   `json:"to_agent"`
	Summary        string   `json:"summary"`
	Settled        []string `json:"settled"`
}

// reader handles the browser's frames one at a time, so an agent's replies
// are published in the order they were typed.
func (cl *client) reader() {
	for {
		_, data, err := cl.ws.ReadMessage()
		if err != nil {
			return
		}
		var f inFrame
		if err := json.Unmarshal(data, &f); err != nil {
			cl.send(frame{"type": "error", "code": "invalid", "message": "frame is not JSON"})
			continue
		}
		cl.handle(f)
	}
}

func (cl *client) fail(f inFrame, code, msg string) {
	cl.send(frame{"type": "error", "ref": f.Type, "handoff_id": f.HandoffID, "conversation_id": f.ConversationID,
		"client_id": f.ClientID, "code": code, "message": msg})
}

func (cl *client) handle(f inFrame) {
	ctx := context.Background()
	switch f.Type {
	case "ping":
		cl.send(frame{"type": "pong"})
	case "claim":
		cl.claim(ctx, f)
	case "open":
		cl.open(ctx, f)
	case "fetch":
		cl.fetch(ctx, f)
	case "close":
		cl.mu.Lock()
		delete(cl.watch, f.ConversationID)
		cl.mu.Unlock()
	case "reply":
		cl.reply(ctx, f)
	case "typing":
		cl.typing(f)
	case "note":
		cl.note(ctx, f)
	case "transfer":
		cl.transfer(ctx, f)
	case "resolve":
		cl.resolve(ctx, f)
	default:
		cl.fail(f, "invalid", "unknown frame type")
	}
}

// visible returns the handoff named by the frame (by handoff id, else by
// conversation) when this agent may see it.
func (cl *client) visible(f inFrame) (Handoff, bool) {
	var r Handoff
	var ok bool
	switch {
	case f.HandoffID != "":
		r, ok = cl.h.lookup(f.HandoffID)
	case f.ConversationID != "":
		r, ok = cl.h.byConversation(f.ConversationID)
	}
	if !ok || !canSee(cl.agent, r) {
		cl.fail(f, "not_found", "no such handoff in your queues")
		return Handoff{}, false
	}
	return r, true
}

// owned returns the conversation's handoff when this agent owns it.
func (cl *client) owned(f inFrame) (Handoff, bool) {
	r, ok := cl.visible(f)
	if !ok {
		return r, false
	}
	if r.Status != StatusClaimed || r.AgentID != cl.agent.Name {
		cl.fail(f, "not_owner", "claim the conversation first")
		return Handoff{}, false
	}
	return r, true
}

func (cl *client) claim(ctx context.Context, f inFrame) {
	// Another agent's claim may reach this console before this one's
	// frame: tell the loser plainly rather than "not found".
	if r, ok := cl.h.lookup(f.HandoffID); ok && r.Status == StatusClaimed && r.AgentID != cl.agent.Name && cl.agent.CanSeeQueue(r.Queue) {
		cl.send(frame{"type": "claim", "handoff_id": r.HandoffID, "conversation_id": r.ConversationID, "ok": false,
			"error": "already_claimed", "agent_id": r.AgentID})
		return
	}
	r, ok := cl.visible(f)
	if !ok {
		return
	}
	rep, err := cl.h.request(ctx, SubjectClaim, map[string]any{"v": Version, "handoff_id": r.HandoffID, "agent_id": cl.agent.Name})
	if err != nil {
		cl.h.c.logger.Warn("claim", "handoff", r.HandoffID, "err", err)
		cl.fail(f, "unavailable", "the handoff service did not answer; try again")
		return
	}
	if rep.Handoff != nil && checkVersion(rep.Handoff.V) == nil && rep.Handoff.HandoffID == r.HandoffID {
		cl.h.apply(*rep.Handoff, false)
	}
	cl.send(frame{"type": "claim", "handoff_id": r.HandoffID, "conversation_id": r.ConversationID, "ok": rep.OK,
		"error": rep.Error, "agent_id": rep.AgentID})
	if !rep.OK && rep.Error == "already_claimed" {
		cl.send(frame{"type": "gone", "handoff_id": r.HandoffID, "conversation_id": r.ConversationID, "status": StatusClaimed, "agent_id": rep.AgentID})
	}
}

// open shows a conversation: its package and its messages after the seq
// the browser already has. Reopening after a reconnect is the resume.
func (cl *client) open(ctx context.Context, f inFrame) {
	r, ok := cl.visible(f)
	if !ok {
		return
	}
	cl.mu.Lock()
	if len(cl.watch) >= maxWatching {
		cl.mu.Unlock()
		cl.fail(f, "invalid", "too many open conversations")
		return
	}
	cl.watch[r.ConversationID] = true
	cl.mu.Unlock()
	rep, err := cl.h.request(ctx, SubjectGet, map[string]any{"v": Version, "handoff_id": r.HandoffID})
	if err != nil || !rep.OK {
		cl.h.c.logger.Warn("handoff get", "handoff", r.HandoffID, "err", err, "error", rep.Error)
	} else {
		pkg := rep.Package
		if len(pkg) == 0 || pkg[0] != '{' {
			pkg = json.RawMessage("{}")
		}
		cl.send(frame{"type": "package", "handoff_id": r.HandoffID, "conversation_id": r.ConversationID, "handoff": r, "package": pkg})
	}
	f.ConversationID = r.ConversationID
	cl.fetch(ctx, f)
}

func (cl *client) fetch(ctx context.Context, f inFrame) {
	r, ok := cl.visible(f)
	if !ok {
		return
	}
	after := max(f.AfterSeq, 0)
	for range 20 { // up to 10,000 messages in pages of 500
		rep, err := cl.h.request(ctx, SubjectTranscript, map[string]any{"v": Version, "conversation_id": r.ConversationID, "after_seq": after, "limit": 500})
		if err != nil || !rep.OK {
			cl.h.c.logger.Warn("transcript", "conversation", r.ConversationID, "err", err, "error", rep.Error)
			cl.fail(f, "unavailable", "could not load the conversation; try again")
			return
		}
		msgs := rep.Messages
		if msgs == nil {
			msgs = []TranscriptMessage{}
		}
		cl.send(frame{"type": "transcript", "conversation_id": r.ConversationID, "after_seq": after, "messages": msgs, "last_seq": rep.LastSeq})
		if len(msgs) < 500 {
			return
		}
		after = msgs[len(msgs)-1].Seq
	}
}

// publish stores a desk message in the KAIROS_CONV stream, with its
// client id as the deduplication key, and waits for the stream's ack.
//
// A resend with the same client id within the stream's dedupe window is
// acknowledged as a duplicate and stored nothing: the original's outcome
// comes on .agent.result, or is in the transcript when it came while the
// browser was away.
func (cl *client) publish(ctx context.Context, subject string, v any, clientID string) (dup bool, err error) {
	data, err := json.Marshal(v)
	if err != nil {
		return false, err
	}
	m := nats.NewMsg(subject)
	m.Data = data
	if clientID != "" {
		m.Header.Set(jetstream.MsgIDHeader, clientID)
	}
	ctx, cancel := context.WithTimeout(ctx, cl.h.c.cfg.RequestTimeout)
	defer cancel()
	ack, err := cl.h.c.cfg.JS.PublishMsg(ctx, m)
	if err != nil {
		return false, err
	}
	return ack.Duplicate, nil
}

func validClientID(s string) bool { return s != "" && len(s) <= 128 && idRE.MatchString(s) }

func (cl *client) reply(ctx context.Context, f inFrame) {
	if !validClientID(f.ClientID) {
		cl.fail(f, "invalid", "a reply needs a client_id")
		return
	}
	text, err := cleanText(f.Text)
	if err != nil {
		cl.fail(f, "invalid", err.Error())
		return
	}
	r, ok := cl.owned(f)
	if !ok {
		return
	}
	msg := AgentMessage{V: Version, AgentID: cl.agent.Name, Text: text, ClientID: f.ClientID}
	dup, err := cl.publish(ctx, ConvSubject(r.ConversationID, "agent"), msg, f.ClientID)
	if err != nil {
		cl.h.c.logger.Warn("agent reply", "conversation", r.ConversationID, "err", err)
		cl.fail(f, "unavailable", "not sent; it will be retried")
		return
	}
	cl.send(frame{"type": "sent", "conversation_id": r.ConversationID, "client_id": f.ClientID, "duplicate": dup})
}

func (cl *client) typing(f inFrame) {
	if f.State != "start" && f.State != "stop" {
		return
	}
	r, ok := cl.h.byConversation(f.ConversationID)
	if !ok || r.Status != StatusClaimed || r.AgentID != cl.agent.Name {
		return
	}
	data, _ := json.Marshal(Typing{V: Version, Who: "agent", AgentID: cl.agent.Name, State: f.State})
	_ = cl.h.c.nc.Publish(ConvSubject(r.ConversationID, "typing"), data)
}

func (cl *client) note(ctx context.Context, f inFrame) {
	if !validClientID(f.ClientID) {
		cl.fail(f, "invalid", "a note needs a client_id")
		return
	}
	text, err := cleanText(f.Text)
	if err != nil {
		cl.fail(f, "invalid", err.Error())
		return
	}
	r, ok := cl.visible(f)
	if !ok {
		return
	}
	if _, err := cl.publish(ctx, ConvSubject(r.ConversationID, "note"), Note{V: Version, AgentID: cl.agent.Name, Text: text, ClientID: f.ClientID}, f.ClientID); err != nil {
		cl.h.c.logger.Warn("note", "conversation", r.ConversationID, "err", err)
		cl.fail(f, "unavailable", "note not saved; try again")
		return
	}
	cl.send(frame{"type": "noted", "conversation_id": r.ConversationID, "client_id": f.ClientID, "text": text,
		"agent_id": cl.agent.Name, "at": cl.h.c.now().UTC()})
}

func (cl *client) transfer(ctx context.Context, f inFrame) {
	if (f.ToQueue == "") == (f.ToAgent == "") {
		cl.fail(f, "invalid", "name exactly one of a queue or an agent")
		return
	}
	if f.ToQueue != "" && !queueRE.MatchString(f.ToQueue) || f.ToAgent != "" && !agentNameRE.MatchString(NormalizeName(f.ToAgent)) {
		cl.fail(f, "invalid", "bad queue or agent name")
		return
	}
	r, ok := cl.visible(f)
	if !ok {
		return
	}
	req := map[string]any{"v": Version, "handoff_id": r.HandoffID, "agent_id": cl.agent.Name}
	if f.ToQueue != "" {
		req["to_queue"] = f.ToQueue
	} else {
		req["to_agent"] = NormalizeName(f.ToAgent)
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		if t, err := cleanText(t); err == nil {
			req["note"] = t
		}
	}
	rep, err := cl.h.request(ctx, SubjectTransfer, req)
	if err != nil {
		cl.h.c.logger.Warn("transfer", "handoff", r.HandoffID, "err", err)
		cl.fail(f, "unavailable", "the handoff service did not answer; try again")
		return
	}
	if rep.Handoff != nil && checkVersion(rep.Handoff.V) == nil && rep.Handoff.HandoffID == r.HandoffID {
		cl.h.apply(*rep.Handoff, false)
	}
	cl.send(frame{"type": "transfer", "handoff_id": r.HandoffID, "conversation_id": r.ConversationID, "ok": rep.OK, "error": rep.Error})
}

func (cl *client) resolve(ctx context.Context, f inFrame) {
	if !validClientID(f.ClientID) {
		cl.fail(f, "invalid", "a resolution needs a client_id")
		return
	}
	summary, err := cleanText(f.Summary)
	if err != nil {
		cl.fail(f, "invalid", "summary: "+err.Error())
		return
	}
	var settled []string
	for _, s := range f.Settled {
		if s, err := cleanText(s); err == nil && len(settled) < maxSettled {
			settled = append(settled, s)
		}
	}
	r, ok := cl.owned(f)
	if !ok {
		return
	}
	res := Resolution{V: Version, AgentID: cl.agent.Name, HandoffID: r.HandoffID, Summary: summary, Settled: settled, ClientID: f.ClientID}
	if _, err := cl.publish(ctx, ConvSubject(r.ConversationID, "resolved"), res, f.ClientID); err != nil {
		cl.h.c.logger.Warn("resolve", "conversation", r.ConversationID, "err", err)
		cl.fail(f, "unavailable", "not resolved; try again")
		return
	}
	cl.send(frame{"type": "resolving", "conversation_id": r.ConversationID, "handoff_id": r.HandoffID, "client_id": f.ClientID})
}
