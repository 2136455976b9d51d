package web

import (
	"context"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
)

// writeLoop sends hello and the replay, then frames from the local queue
// and the relay as they come, and pings. It is the only goroutine writing
// data frames, so a slow client only ever stalls its own writer.
func (c *conn) writeLoop(ctx context.Context, hello []byte, since int64) {
	ping := time.NewTicker(c.h.cfg.PingInterval)
	defer ping.Stop()
	if !c.write(hello, "hello") {
		c.abort()
		return
	}
	if ok, err := c.replay(ctx, since); !ok {
		c.abort()
		return
	} else if err != nil {
		c.h.logger.Error("replay conversation", "conversation", c.session.ConversationID, "err", err)
		c.sendError(codeInternal, "could not load the conversation; reconnect to try again")
		c.closeWith(websocket.CloseInternalServerErr, "replay failed")
	}
	for {
		select {
		case <-c.readDone:
			return
		case <-c.wake:
			if !c.flushQueue() {
				c.abort()
				return
			}
			if code, text, closing := c.closeState(); closing {
				c.finishClose(code, text)
				return
			}
		case m := <-c.sub.C():
			if !c.deliver(m) {
				c.abort()
				return
			}
			c.checkDropped()
		case <-ping.C:
			c.checkDropped()
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.h.cfg.WriteTimeout)); err != nil {
				c.abort()
				return
			}
		}
	}
}

// checkDropped disconnects a client whose relay buffer overflowed: NATS
// dropped a message meant for it, and only a reconnect (with replay) gets it
// back.
func (c *conn) checkDropped() {
	if c.sub.Dropped() > 0 && !c.isClosing() {
		c.h.metrics.error("slow_consumer")
		c.h.logger.Info("slow consumer disconnected", "conversation", c.session.ConversationID)
		c.closeWith(websocket.ClosePolicyViolation, "slow consumer")
	}
}

// replay sends the stored messages after since. ok is false when writing
// failed (the connection is gone); err reports an engine failure.
func (c *conn) replay(ctx context.Context, since int64) (ok bool, err error) {
	after := since
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
// failed. Payloads that do not decode are logged and skipped.
func (c *conn) deliver(m *nats.Msg) bool {
	out, err := relay.Decode(m)
	if err != nil {
		c.h.logger.Warn("skip relay payload", "subject", m.Subject, "err", err)
		c.h.metrics.error("bad_relay_payload")
		return true
	}
	if out.Kind == channels.OutMessage {
		return c.sendMessage(out)
	}
	if out.Kind == channels.OutDelta && c.wasSent(out.Seq) {
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
	if out.Seq > 0 && c.wasSent(out.Seq) {
		return true
	}
	b, typ, _ := outboundFrame(out, c.h.now())
	if !c.write(b, typ) {
		return false
	}
	c.sent[c.sentNext%uint8(len(c.sent))] = out.Seq
	c.sentNext = (c.sentNext + 1) % uint8(len(c.sent))
	return true
}

func (c *conn) wasSent(seq int64) bool {
	for _, s := range c.sent {
		if s == seq && s != 0 {
			return true
		}
	}
	return false
}

func (c *conn) flushQueue() bool {
	c.mu.Lock()
	q := c.queue
	c.queue = nil
	c.mu.Unlock()
	for _, f := range q {
		if !c.write(f.b, f.typ) {
			return false
		}
	}
	return true
}

func (c *conn) closeState() (code int, text string, closing bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode, c.closeText, c.closing
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

// finishClose sends the close frame and gives the client a moment to answer
// with its own before the connection is dropped.
func (c *conn) finishClose(code int, text string) {
	msg := websocket.FormatCloseMessage(code, text)
	if err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.h.cfg.WriteTimeout)); err != nil {
		c.abort()
		return
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(closeGrace))
	<-c.readDone
}

// abort drops the connection without a close handshake; the reader fails
// and the connection ends.
func (c *conn) abort() {
	c.ws.Close()
	<-c.readDone
}
