package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/platform"
)

// waitClaim marks that a callback waits for the answer to a message, so
// the delivery queue leaves that answer to it.
type waitClaim struct {
	Until time.Time `json:"until"`
}

// converse passes a message to the engine and answers: passively when the
// answer comes within the budget, else "success" now and the answer through
// the customer-service API when it comes, with the typing indicator
// meanwhile.
func (c *Channel) converse(ctx context.Context, a *account, m Message, sess channels.Session, rt route, key, text string) (string, error) {
	w := platform.NewWaiter()
	sub, err := c.o.Relay.Subscribe(ctx, sess.ConversationID, w)
	if err != nil {
		return "", err
	}
	cid := clientID(a, m)
	wk := waitKey(sess.ConversationID, cid)
	until, _ := json.Marshal(waitClaim{Until: c.now().Add(c.o.ReplyBudget + c.o.ReplyTimeout)})
	if _, err := c.store.Claims.Put(ctx, wk, until); err != nil {
		_ = sub.Close()
		return "", err
	}
	receipt, err := c.o.Engine.Receive(ctx, channels.Inbound{
		ConversationID: sess.ConversationID, CustomerID: sess.CustomerID, Channel: ChannelName,
		ClientID: cid, Text: text, At: m.At(),
	})
	if err != nil {
		_ = sub.Close()
		c.releaseWait(wk)
		if errors.Is(err, channels.ErrInvalid) {
			// The message itself is refused (too long, ...): answering
			// "success" stops WeChat repeating it.
			c.logger.Info("message refused by the engine", "account", a.cfg.Name, "err", err)
			return "", nil
		}
		return "", err
	}
	// Messages kept for the user (their window was closed) go first.
	c.goBackground(func(bg context.Context) { c.flush(bg, a, rt, sess.ConversationID, sess.AckedSeq, receipt.Seq) })

	budget := time.NewTimer(c.o.ReplyBudget)
	defer budget.Stop()
	out, ok := w.Await(c.bg.Context(), c.o.Engine, sess.ConversationID, receipt.Seq, budget.C,
		platform.AwaitOptions{Check: receipt.Duplicate, Logger: c.logger})
	if ok {
		_ = sub.Close()
		defer c.releaseWait(wk)
		won, err := c.claimOut(ctx, out)
		if err != nil || !won {
			return "", err
		}
		pieces := splitter.Split(out.Text)
		if len(pieces) == 0 {
			return "", nil
		}
		c.setClaim(ctx, key, inClaim{State: statePassive, Reply: pieces[0]})
		c.goBackground(func(bg context.Context) {
			for _, p := range pieces[1:] {
				if _, err := a.sendText(bg, rt.OpenID, p); err != nil {
					c.logger.Warn("send rest of a long answer", "account", a.cfg.Name, "err", err)
					break
				}
			}
			c.markOut(bg, out, deliveredSent)
			c.report(bg, a, out, channels.DeliverySent, "passive")
			c.flush(bg, a, rt, sess.ConversationID, sess.AckedSeq, 0)
		})
		return pieces[0], nil
	}
	c.setClaim(ctx, key, inClaim{State: stateAsync})
	c.goBackground(func(bg context.Context) {
		defer sub.Close()
		defer c.releaseWait(wk)
		out, ok := c.awaitTyping(bg, a, rt, w, sess.ConversationID, receipt.Seq)
		if !ok {
			c.logger.Warn("no answer in time; it will reach the user at the next interaction", "account", a.cfg.Name, "conversation", sess.ConversationID)
			return
		}
		if _, err := c.deliver(bg, a, rt, out, false); err != nil {
			c.logger.Warn("deliver answer", "account", a.cfg.Name, "err", err)
		}
		c.flush(bg, a, rt, sess.ConversationID, sess.AckedSeq, 0)
	})
	return "", nil
}

// awaitTyping waits up to ReplyTimeout for the answer, renewing the typing
// indicator meanwhile.
func (c *Channel) awaitTyping(ctx context.Context, a *account, rt route, w *platform.Waiter, conversationID string, seq int64) (channels.Outbound, bool) {
	deadline := time.Now().Add(c.o.ReplyTimeout)
	for first := true; ; first = false {
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			return channels.Outbound{}, false
		}
		if err := a.typing(ctx, rt.OpenID, "Typing"); err != nil {
			c.logger.Debug("typing indicator", "account", a.cfg.Name, "err", err)
		}
		t := time.NewTimer(min(left, typingEvery))
		// After a renewal the answer may have come while typing was
		// sent: look in the store too.
		out, ok := w.Await(ctx, c.o.Engine, conversationID, seq, t.C, platform.AwaitOptions{Check: !first, Logger: c.logger})
		t.Stop()
		if ok {
			return out, true
		}
	}
}

func (c *Channel) releaseWait(key string) {
	_ = c.store.Release(context.Background(), key)
}
