package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
)

// conn is one visitor's WebSocket connection. Most connections sit idle for
// hours, so an idle one holds one goroutine (the reader, parked in a
// network read) and this struct: no write buffer, no channel, no timer.
// Outbound frames go into a small queue, and a writer goroutine runs only
// while the queue has something in it. Pings come from the handler's
// keepalive, delivery from the relay's dispatcher.
type conn struct {
	h       *Handler
	ws      *websocket.Conn
	sub     *relay.Subscription
	session channels.Session
	visitor string // the visitor id, for logs
	lang    string

	mu        sync.Mutex // guards the fields below, down to closeText
	queue     []item
	writing   bool // a writer goroutine is running
	held      bool // setting up: queue frames but start no writer yet
	replaying bool // a replay is queued and has not started
	pingDue   bool // the keepalive found the writer busy; it pings next
	closing   bool // no new frames; the writer ends with a close frame
	closeSent bool
	dead      bool // the connection is gone; queued frames are dropped
	closeCode int
	closeText string

	// sent is the running writer's record of message seqs written; writers
	// take turns, handing it over through mu.
	sent sentSet

	acks ackState

	// Reader-owned.
	msgLimit, eventLimit, identifyLimit bucket
	identified                          string // the user id last linked on this connection
}

// item is one entry of a connection's queue.
type item struct {
	kind itemKind
	typ  string // frame type, for metrics
	b    []byte // an encoded frame (itemFrame)
	out  channels.Outbound
}

type itemKind uint8

const (
	itemFrame  itemKind = iota // b is ready to write
	itemOut                    // a relayed message, delta or typing indicator
	itemReplay                 // replay stored messages the connection has not sent
	itemPing                   // a WebSocket ping (never queued: see pingDue)
	itemClose                  // the close frame (never queued: see closing)
)

// openTimeout bounds connecting the visitor to the engine and subscribing.
const openTimeout = 30 * time.Second

func (h *Handler) serveWS(w http.ResponseWriter, r *http.Request) {
	if h.isClosing() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	q := r.URL.Query()
	now := h.now()
	visitor, ok := h.tokens.verify(q.Get("visitor"), now)
	if !ok {
		// Missing, forged and expired tokens all start a new visitor:
		// a token never leads to anyone else's conversation.
		visitor = newVisitorID()
	}
	since, hasSince := parseSince(q.Get("since"))
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has replied
	}
	c := &conn{
		h:             h,
		ws:            ws,
		lang:          parseLang(q.Get("lang")),
		held:          true,
		msgLimit:      newBucket(messageBurst, now),
		eventLimit:    newBucket(eventBurst, now),
		identifyLimit: newBucket(identifyBurst, now),
		visitor:       visitor,
	}
	if !h.track(c) {
		c.closeNow(websocket.CloseGoingAway, "server shutting down")
		return
	}
	// The deep calls of setting up run on this goroutine, which ends
	// with the handler, so the reader starts on a small fresh stack.
	octx, cancel := context.WithTimeout(r.Context(), openTimeout)
	defer cancel()
	if !c.open(octx, visitor, since, hasSince) {
		h.untrack(c)
		return
	}
	// The connection outlives the request, and nothing in the request's
	// context is needed later; keeping it would keep its cancel contexts.
	go c.serve(context.Background())
}

func (h *Handler) isClosing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closing
}

// open connects the visitor to the engine, queues hello and the replay,
// and subscribes to the conversation. It reports false after closing the
// connection when that failed.
func (c *conn) open(ctx context.Context, visitor string, since int64, hasSince bool) bool {
	h := c.h
	sess, err := h.engine.Connect(ctx, Channel, channels.Identity{Kind: "web_visitor", Value: visitor})
	if err != nil {
		h.logger.Error("connect visitor", "err", err)
		h.metrics.error(codeInternal)
		c.closeNow(websocket.CloseInternalServerErr, "try again later")
		return false
	}
	c.session = sess
	if !hasSince {
		since = sess.AckedSeq
	}
	c.sent.base = since
	hello := encode(helloFrame{Type: "hello", Visitor: h.tokens.issue(visitor, h.now()),
		ConversationID: sess.ConversationID, LastSeq: sess.LastSeq})
	c.mu.Lock()
	c.pushLocked(item{kind: itemFrame, b: hello, typ: "hello"})
	c.replayLocked()
	c.mu.Unlock()
	// The writer is held until the subscription is confirmed: the replay
	// then reads the store after it, so a message stored meanwhile
	// arrives live instead of falling between the two.
	sub, err := h.relay.Subscribe(ctx, sess.ConversationID, c)
	if err != nil {
		h.logger.Error("subscribe conversation", "conversation", sess.ConversationID, "err", err)
		h.metrics.error(codeInternal)
		c.closeNow(websocket.CloseInternalServerErr, "try again later")
		return false
	}
	c.sub = sub
	c.mu.Lock()
	c.held = false
	c.kickLocked()
	c.mu.Unlock()
	return true
}

// serve reads client frames until the connection ends, then lets go of
// everything the connection holds.
func (c *conn) serve(ctx context.Context) {
	c.readLoop(ctx)
	c.drop()
	_ = c.sub.Close()
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c.stopAcks(actx)
	c.h.untrack(c)
}

// closeNow sends a close frame and drops the connection, for failures
// before the writer runs.
func (c *conn) closeNow(code int, text string) {
	msg := websocket.FormatCloseMessage(code, text)
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.h.cfg.WriteTimeout))
	c.ws.Close()
}

// Deliver queues a relayed message; it is the relay.Receiver side of the
// connection and never blocks.
func (c *conn) Deliver(out channels.Outbound) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pushLocked(item{kind: itemOut, out: out})
}

// Lost queues a replay of what the connection has not sent: the relay
// dropped messages of this conversation, and the store has them all.
func (c *conn) Lost() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing || c.replaying {
		return // a replay that has not started yet will see them
	}
	c.h.metrics.error("relay_resync")
	c.replayLocked()
}

func (c *conn) replayLocked() {
	c.replaying = true
	c.pushLocked(item{kind: itemReplay})
}

// enqueue hands an encoded frame to the writer.
func (c *conn) enqueue(b []byte, typ string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pushLocked(item{kind: itemFrame, b: b, typ: typ})
}

// pushLocked queues it and makes sure a writer runs. A client that lets
// SendQueue frames pile up is disconnected; it replays what it missed when
// it reconnects.
func (c *conn) pushLocked(it item) {
	if c.closing {
		return
	}
	if len(c.queue) >= c.h.cfg.SendQueue {
		c.h.metrics.error("slow_consumer")
		c.h.logger.Info("slow consumer disconnected", "conversation", c.session.ConversationID)
		c.setClosingLocked(websocket.ClosePolicyViolation, "slow consumer")
		c.kickLocked()
		return
	}
	c.queue = append(c.queue, it)
	c.kickLocked()
}

// kickLocked starts a writer unless one is running or set-up holds it.
func (c *conn) kickLocked() {
	if c.writing || c.held || c.dead {
		return
	}
	c.writing = true
	go c.writeLoop()
}

func (c *conn) sendError(code, msg string) {
	c.h.metrics.error(code)
	c.enqueue(errorBytes(code, msg), "error")
}

// closeWith asks the writer to send a close frame and end the connection.
// Queued frames are flushed first, except for a slow consumer, whose queue
// is the problem.
func (c *conn) closeWith(code int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setClosingLocked(code, text)
	c.kickLocked()
}

func (c *conn) setClosingLocked(code int, text string) {
	if c.closing {
		return
	}
	c.closing, c.closeCode, c.closeText = true, code, text
	if code == websocket.ClosePolicyViolation {
		c.queue = nil
	}
}

func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// drop ends the connection at once: queued frames are discarded, a running
// writer stops at its next frame, and the reader's next read fails.
func (c *conn) drop() {
	c.mu.Lock()
	c.closing, c.dead, c.queue = true, true, nil
	c.mu.Unlock()
	c.ws.Close()
}

func parseSince(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// parseLang maps a language tag to the languages Kairos answers in.
func parseLang(s string) string {
	s = strings.ToLower(s)
	switch {
	case strings.HasPrefix(s, "zh"):
		return "zh"
	case strings.HasPrefix(s, "en"):
		return "en"
	}
	return ""
}

// errInvalidInput reports whether the engine refused the input itself.
func errInvalidInput(err error) bool {
	if errors.Is(err, ErrInvalidInput) {
		return true
	}
	var iv interface{ Invalid() bool }
	return errors.As(err, &iv) && iv.Invalid()
}
