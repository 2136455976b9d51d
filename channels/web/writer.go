package web

import (
	"context"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kairoscx/kairos/channels"
)

// replayTimeout bounds one replay of a conversation.
const replayTimeout = time.Minute

// writeLoop writes queued items until the queue is empty, then exits. At
// most one runs per connection (kickLocked starts it under mu, next ends it
// under mu), so a slow client only ever stalls its own writer, and an idle
// connection has none.
func (c *conn) writeLoop() {
	for {
		it, ok := c.next()
		if !ok {
			return
		}
		if !c.writeItem(it) {
			c.drop()
		}
	}
}

// next takes the writer's next item, or reports false after marking the
// writer stopped: deciding "nothing left" and clearing writing under the
// same lock as pushLocked checks it means no item is ever left unwritten.
func (c *conn) next() (item, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.dead:
	case c.pingDue && !c.closing:
		c.pingDue = false
		return item{kind: itemPing}, true
	case len(c.queue) > 0:
		it := c.queue[0]
		c.queue[0] = item{}
		c.queue = c.queue[1:]
		if it.kind == itemReplay {
			c.replaying = false
		}
		return it, true
	case c.closing && !c.closeSent:
		c.closeSent = true
		return item{kind: itemClose, b: websocket.FormatCloseMessage(c.closeCode, c.closeText)}, true
	}
	c.writing, c.pingDue, c.queue = false, false, nil
	return item{}, false
}

// writeItem reports false when the connection can no longer be written.
func (c *conn) writeItem(it item) bool {
	switch it.kind {
	case itemFrame:
		return c.write(it.b, it.typ)
	case itemOut:
		return c.deliver(it.out)
	case itemReplay:
		ok, err := c.replay()
		if err != nil {
			c.h.logger.Error("replay conversation", "conversation", c.session.ConversationID, "err", err)
			c.sendError(codeInternal, "could not load the conversation; reconnect to try again")
			c.closeWith(websocket.CloseInternalServerErr, "replay failed")
		}
		return ok
	case itemPing:
		return c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.h.cfg.WriteTimeout)) == nil
	case itemClose:
		if err := c.ws.WriteControl(websocket.CloseMessage, it.b, time.Now().Add(c.h.cfg.WriteTimeout)); err != nil {
			return false
		}
		// Give the client a moment to answer with its own close frame;
		// the reader ends on it or on this deadline.
		_ = c.ws.SetReadDeadline(time.Now().Add(closeGrace))
	}
	return true
}

// replay sends the stored messages after the connection's cursor that it
// has not sent. ok is false when writing failed (the connection is gone);
// err reports an engine failure.
func (c *conn) replay() (ok bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), replayTimeout)
	defer cancel()
	after := c.sent.base
	for {
		page, err := c.h.engine.Replay(ctx, c.session.ConversationID, after, replayPage)
		if err != nil {
			return true, err
		}
		for _, out := range page {
			if out.Seq <= after || out.Kind != channels.OutMessage {
				continue
			}
			after = out.Seq
			if !c.sendMessage(out) {
				return false, nil
			}
		}
		if len(page) < replayPage {
			return true, nil
		}
	}
}

// deliver writes one relayed message; it reports false when the write
// failed.
func (c *conn) deliver(out channels.Outbound) bool {
	if out.Kind == channels.OutMessage {
		return c.sendMessage(out)
	}
	if out.Kind == channels.OutDelta && c.sent.has(out.Seq) {
		return true // the full message is already there
	}
	b, typ, ok := outboundFrame(out, c.h.now())
	if !ok {
		return true
	}
	return c.write(b, typ)
}

// sendMessage writes a message frame unless this connection already sent
// that seq.
func (c *conn) sendMessage(out channels.Outbound) bool {
	if c.sent.has(out.Seq) {
		return true
	}
	b, typ, _ := outboundFrame(out, c.h.now())
	if !c.write(b, typ) {
		return false
	}
	if !c.sent.add(out.Seq) {
		// Too long a conversation to track on one connection: start
		// over from the client's cursor rather than risk a duplicate.
		c.closeWith(websocket.ClosePolicyViolation, "reconnect to continue")
	}
	return true
}

func (c *conn) write(b []byte, typ string) bool {
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.h.cfg.WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.h.logger.Debug("write frame", "err", err)
		c.h.metrics.error("write_failed")
		return false
	}
	c.h.metrics.frame("out", typ)
	return true
}
