package platform

import (
	"context"
	"log/slog"
	"time"

	"github.com/kairoscx/kairos/channels"
)

// Replayer reads a conversation's stored outbound messages; every
// adapter's Engine is one.
type Replayer interface {
	Replay(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]channels.Outbound, error)
}

// Waiter receives a conversation's outbound messages (a relay.Receiver)
// while the node that took a customer's message waits for the answer.
type Waiter struct {
	ch   chan channels.Outbound
	lost chan struct{}
}

// NewWaiter returns a waiter with room for a burst of messages; beyond
// that it counts messages as lost and Await looks in the store.
func NewWaiter() *Waiter {
	return &Waiter{ch: make(chan channels.Outbound, 32), lost: make(chan struct{}, 1)}
}

// Deliver and Lost are called from the relay's dispatch goroutine: they
// never block.
func (w *Waiter) Deliver(out channels.Outbound) {
	if out.Kind != channels.OutMessage || out.Role == "customer" {
		return
	}
	select {
	case w.ch <- out:
	default:
		w.Lost()
	}
}

// Lost notes that messages were dropped.
func (w *Waiter) Lost() {
	select {
	case w.lost <- struct{}{}:
	default:
	}
}

// AwaitOptions say how Await falls back on the store.
type AwaitOptions struct {
	// Check looks in the store before waiting: the answer may predate the
	// subscription (a duplicate message, a second wait).
	Check bool
	// LastLook looks in the store once more when timeout fires.
	LastLook bool
	// Logger receives replay errors; nil drops them.
	Logger *slog.Logger
}

// Await returns the answer (a non-customer message replying to seq) from
// w, or false when timeout fires or ctx ends first. When messages were
// lost it looks for the answer with engine.Replay.
func (w *Waiter) Await(ctx context.Context, engine Replayer, conversationID string, seq int64, timeout <-chan time.Time, o AwaitOptions) (channels.Outbound, bool) {
	lookup := func() (channels.Outbound, bool) {
		page, err := engine.Replay(ctx, conversationID, seq, 50)
		if err != nil {
			if o.Logger != nil {
				o.Logger.Warn("replay while waiting", "conversation", conversationID, "err", err)
			}
			return channels.Outbound{}, false
		}
		for _, out := range page {
			if out.ReplyTo == seq && out.Role != "customer" {
				return out, true
			}
		}
		return channels.Outbound{}, false
	}
	if o.Check {
		if out, ok := lookup(); ok {
			return out, true
		}
	}
	for {
		select {
		case out := <-w.ch:
			if out.ReplyTo == seq {
				return out, true
			}
		case <-w.lost:
			if out, ok := lookup(); ok {
				return out, true
			}
		case <-timeout:
			if o.LastLook {
				return lookup()
			}
			return channels.Outbound{}, false
		case <-ctx.Done():
			return channels.Outbound{}, false
		}
	}
}
