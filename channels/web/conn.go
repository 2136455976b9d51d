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

// conn is one visitor's WebSocket connection. Two goroutines serve it: the
// reader (the HTTP handler's goroutine) handles client frames and queues
// replies; the writer owns every data write. Fields are grouped by owner;
// the state is kept small because most connections sit idle for hours.
type conn struct {
	h        *Handler
	ws       *websocket.Conn
	sub      *relay.Subscription
	session  channels.Session
	lang     string
	wake     chan struct{} // capacity 1: the writer has queued frames or must close
	readDone chan struct{} // closed when the reader has stopped

	mu        sync.Mutex // guards queue and the close decision
	queue     []outFrame
	closing   bool
	closeCode int
	closeText string

	acks ackState

	// Reader-owned.
	msgLimit, eventLimit bucket

	// Writer-owned: the last message seqs written, so a message that is
	// both replayed and relayed live is sent once.
	sent     [32]int64
	sentNext uint8
}

// outFrame is an encoded server frame and its type (for metrics).
type outFrame struct {
	b   []byte
	typ string
}

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
		h:          h,
		ws:         ws,
		lang:       parseLang(q.Get("lang")),
		wake:       make(chan struct{}, 1),
		readDone:   make(chan struct{}),
		msgLimit:   newBucket(messageBurst, now),
		eventLimit: newBucket(eventBurst, now),
	}
	if !h.track(c) {
		c.closeNow(websocket.CloseGoingAway, "server shutting down")
		return
	}
	// The connection outlives this handler: returning lets net/http free
	// its per-connection state and the handler goroutine's stack, which an
	// idle WebSocket would otherwise hold for hours. The request's context
	// ends when the handler returns, so only its values are kept.
	ctx := context.WithoutCancel(r.Context())
	go func() {
		defer h.untrack(c)
		c.run(ctx, visitor, since, hasSince)
	}()
}

func (h *Handler) isClosing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closing
}

// run connects the visitor to the engine, subscribes to the conversation
// and serves the connection until it ends.
func (c *conn) run(ctx context.Context, visitor string, since int64, hasSince bool) {
	defer c.ws.Close()
	h := c.h
	sess, err := h.engine.Connect(ctx, Channel, channels.Identity{Kind: "web_visitor", Value: visitor})
	if err != nil {
		h.logger.Error("connect visitor", "err", err)
		h.metrics.error(codeInternal)
		c.closeNow(websocket.CloseInternalServerErr, "try again later")
		return
	}
	// Subscribe before replaying, so a message stored while the replay
	// runs arrives live instead of falling between the two.
	sub, err := h.relay.Subscribe(sess.ConversationID, h.cfg.SendQueue)
	if err != nil {
		h.logger.Error("subscribe conversation", "conversation", sess.ConversationID, "err", err)
		h.metrics.error(codeInternal)
		c.closeNow(websocket.CloseInternalServerErr, "try again later")
		return
	}
	defer sub.Close()
	c.sub, c.session = sub, sess
	if !hasSince {
		since = sess.AckedSeq
	}
	hello := encode(helloFrame{Type: "hello", Visitor: h.tokens.issue(visitor, h.now()),
		ConversationID: sess.ConversationID, LastSeq: sess.LastSeq})

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop(ctx, hello, since)
	}()
	c.readLoop(ctx)
	close(c.readDone)
	<-writerDone

	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c.stopAcks(actx)
}

// closeNow sends a close frame and drops the connection, for failures
// before the writer runs.
func (c *conn) closeNow(code int, text string) {
	msg := websocket.FormatCloseMessage(code, text)
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.h.cfg.WriteTimeout))
	c.ws.Close()
}

// enqueue hands a frame to the writer. A client that lets SendQueue frames
// pile up is disconnected; it replays what it missed when it reconnects.
func (c *conn) enqueue(b []byte, typ string) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= c.h.cfg.SendQueue {
		c.setClosingLocked(websocket.ClosePolicyViolation, "slow consumer")
		c.mu.Unlock()
		c.h.metrics.error("slow_consumer")
		c.signal()
		return
	}
	c.queue = append(c.queue, outFrame{b: b, typ: typ})
	c.mu.Unlock()
	c.signal()
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
	c.setClosingLocked(code, text)
	c.mu.Unlock()
	c.signal()
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

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
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
