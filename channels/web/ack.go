package web

import (
	"context"
	"sync"
	"time"
)

// ackState coalesces a client's acks: the store sees the highest seq at
// most every ackEvery and once more when the connection ends, however fast
// the client acks.
type ackState struct {
	mu      sync.Mutex
	pending int64 // highest seq the client acked
	written int64 // highest seq handed to the engine
	last    time.Time
	timer   *time.Timer
	armed   bool
	stopped bool
}

func (c *conn) onAck(ctx context.Context, seq int64) {
	if seq <= 0 {
		return
	}
	a := &c.acks
	now := c.h.now()
	a.mu.Lock()
	if seq > a.pending {
		a.pending = seq
	}
	if a.pending <= a.written || a.armed || a.stopped {
		a.mu.Unlock()
		return
	}
	if wait := ackEvery - now.Sub(a.last); wait > 0 {
		a.armed = true
		if a.timer == nil {
			a.timer = time.AfterFunc(wait, func() { c.flushAck(ctx) })
		} else {
			a.timer.Reset(wait)
		}
		a.mu.Unlock()
		return
	}
	a.mu.Unlock()
	c.flushAck(ctx)
}

// flushAck hands the highest pending ack to the engine.
func (c *conn) flushAck(ctx context.Context) {
	a := &c.acks
	a.mu.Lock()
	a.armed = false
	seq := a.pending
	if seq <= a.written {
		a.mu.Unlock()
		return
	}
	a.written, a.last = seq, c.h.now()
	a.mu.Unlock()
	if err := c.h.engine.Ack(ctx, c.session.ConversationID, seq); err != nil {
		// A client acking past the end is lying or confused; the next
		// replay sorts it out either way.
		c.h.logger.Debug("ack", "conversation", c.session.ConversationID, "seq", seq, "err", err)
	}
}

// stopAcks cancels a pending delayed ack and writes the last one.
func (c *conn) stopAcks(ctx context.Context) {
	a := &c.acks
	a.mu.Lock()
	a.stopped = true
	if a.timer != nil {
		a.timer.Stop()
	}
	a.mu.Unlock()
	c.flushAck(ctx)
}
