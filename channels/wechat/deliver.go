package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/outbound"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/channels/wechat/wxapi"
)

// Outbound claim states.
const (
	deliveredSending = "sending" // a node is sending it
	deliveredSent    = "sent"
	deliveredRefused = "refused" // will not be sent (opted out, refused for good)
)

type outClaim struct {
	State string    `json:"state"`
	At    time.Time `json:"at"`
}

// staleSending: a "sending" claim this old belongs to a node that stopped
// mid-send; the message is then counted as given up (at most once) so it
// does not hold back the conversation's later messages.
const staleSending = 5 * time.Minute

func outKey(conversationID string, seq int64) string {
	return wxapi.Key(ChannelName, "out", conversationID, strconv.FormatInt(seq, 10))
}

// claimOut makes this node the one that sends out; false when another did.
func (c *Channel) claimOut(ctx context.Context, out channels.Outbound) (bool, error) {
	v, _ := json.Marshal(outClaim{State: deliveredSending, At: c.now()})
	won, _, err := c.store.Claim(ctx, outKey(out.ConversationID, out.Seq), v)
	return won, err
}

func (c *Channel) markOut(ctx context.Context, out channels.Outbound, state string) {
	v, _ := json.Marshal(outClaim{State: state, At: c.now()})
	if _, err := c.store.Claims.Put(ctx, outKey(out.ConversationID, out.Seq), v); err != nil {
		c.logger.Warn("mark delivery", "conversation", out.ConversationID, "seq", out.Seq, "err", err)
	}
}

// report publishes what became of out.
func (c *Channel) report(ctx context.Context, a *account, out channels.Outbound, status, reason string) {
	data, _ := json.Marshal(channels.DeliveryReport{
		V: channels.Version, Channel: ChannelName, Account: a.cfg.Name, ConversationID: out.ConversationID,
		Seq: out.Seq, Status: status, Reason: reason, At: c.now(),
	})
	if err := c.o.NATS.Publish(channels.DeliverySubject(ChannelName), data); err != nil {
		c.logger.Warn("publish delivery report", "err", err)
	}
}

// deliver sends out to the user through the customer-service API unless
// another node has. proactive messages (nothing the user just asked) are
// held back when the user opted out or their window is closed. The status
// is one of the channels.Delivery* constants, or "" when another node had
// it; a held-back message wraps ErrOutsideWindow.
func (c *Channel) deliver(ctx context.Context, a *account, rt route, out channels.Outbound, proactive bool) (string, error) {
	if proactive {
		st, err := c.loadUser(ctx, a, rt.OpenID)
		if err != nil {
			return channels.DeliveryFailed, err
		}
		if st.OptedOut && out.Role == "bot" {
			won, err := c.claimOut(ctx, out)
			if err != nil || !won {
				return "", err
			}
			c.markOut(ctx, out, deliveredRefused)
			c.report(ctx, a, out, channels.DeliveryRefused, "opted_out")
			return channels.DeliveryRefused, nil
		}
		if !st.windowOpen(c.now()) {
			c.report(ctx, a, out, channels.DeliveryPending, "outside_window")
			return channels.DeliveryPending, ErrOutsideWindow
		}
	}
	won, err := c.claimOut(ctx, out)
	if err != nil {
		return channels.DeliveryFailed, err
	}
	if !won {
		return "", nil
	}
	n, err := a.sendText(ctx, rt.OpenID, out.Text)
	if err == nil {
		c.markOut(ctx, out, deliveredSent)
		c.report(ctx, a, out, channels.DeliverySent, "")
		return channels.DeliverySent, nil
	}
	code := wxapi.Code(err)
	switch {
	case n > 0:
		// Part of it reached the user: sending it again would repeat
		// that part.
		c.markOut(ctx, out, deliveredSent)
		c.report(ctx, a, out, channels.DeliveryFailed, fmt.Sprintf("partial: %d pieces sent: %v", n, err))
		return channels.DeliveryFailed, err
	case code == wxapi.CodeOutOfWindow || code == wxapi.CodeOutOfQuota:
		_ = c.store.Release(ctx, outKey(out.ConversationID, out.Seq))
		c.report(ctx, a, out, channels.DeliveryPending, "errcode "+strconv.Itoa(code))
		return channels.DeliveryPending, fmt.Errorf("%w: %w", ErrOutsideWindow, err)
	case code == 0 || outbound.IsTemporary(err) || code == wxapi.CodeBusy:
		// Unreachable or busy: kept for the next interaction.
		_ = c.store.Release(ctx, outKey(out.ConversationID, out.Seq))
		c.report(ctx, a, out, channels.DeliveryFailed, err.Error())
		return channels.DeliveryFailed, err
	default:
		c.markOut(ctx, out, deliveredRefused)
		c.report(ctx, a, out, channels.DeliveryRefused, "errcode "+strconv.Itoa(code))
		return channels.DeliveryRefused, err
	}
}

func ackKey(conversationID string) string { return wxapi.Key(ChannelName, "ack", conversationID) }

// delivered is the highest seq of a conversation up to which every message
// reached the user (or was given up), as this channel recorded it.
func (c *Channel) delivered(ctx context.Context, conversationID string) int64 {
	e, err := c.store.State.Get(ctx, ackKey(conversationID))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(string(e.Value()), 10, 64)
	return n
}

// flush delivers, in order, the messages of a conversation after seq
// `after` (and before `upto`, when not 0) that never reached the user:
// messages kept while their window was closed, answers whose node
// stopped. It stops at the first message it cannot deliver, or at an
// answer a callback is still waiting for, and records how far everything
// was delivered (in the shared state and as the engine's ack), so the next
// flush starts there.
func (c *Channel) flush(ctx context.Context, a *account, rt route, conversationID string, after, upto int64) {
	after = max(after, c.delivered(ctx, conversationID))
	page, err := c.o.Engine.Replay(ctx, conversationID, after, 200)
	if err != nil {
		c.logger.Warn("flush: replay", "conversation", conversationID, "err", err)
		return
	}
	done := after
	for _, out := range page {
		if upto > 0 && out.Seq >= upto {
			break
		}
		if out.Role == "customer" {
			done = out.Seq
			continue
		}
		e, err := c.store.Claims.Get(ctx, outKey(conversationID, out.Seq))
		if err == nil {
			var oc outClaim
			_ = json.Unmarshal(e.Value(), &oc)
			if oc.State == deliveredSending && c.now().Sub(oc.At) < staleSending {
				break // another node is on it
			}
			done = out.Seq
			continue
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			break
		}
		if out.ReplyTo != 0 && c.waited(ctx, conversationID) {
			break
		}
		status, err := c.deliver(ctx, a, rt, out, out.ReplyTo == 0)
		if err != nil || status == channels.DeliveryFailed || status == channels.DeliveryPending {
			break
		}
		done = out.Seq
	}
	if done <= after {
		return
	}
	if _, err := c.store.State.Put(ctx, ackKey(conversationID), []byte(strconv.FormatInt(done, 10))); err != nil {
		c.logger.Warn("flush: record delivered", "conversation", conversationID, "err", err)
	}
	if err := c.o.Engine.Ack(ctx, conversationID, done); err != nil {
		c.logger.Warn("flush: ack", "conversation", conversationID, "err", err)
	}
}

// waited reports whether a callback is still waiting for an answer in the
// conversation; answers are then left to it.
func (c *Channel) waited(ctx context.Context, conversationID string) bool {
	lister, err := c.store.Claims.ListKeysFiltered(ctx, wxapi.Key(ChannelName, "wait", conversationID)+".*")
	if err != nil {
		return false
	}
	defer func() { _ = lister.Stop() }()
	live := false
	for key := range lister.Keys() {
		if live {
			continue // drain the lister
		}
		e, err := c.store.Claims.Get(ctx, key)
		if err != nil {
			continue
		}
		var wc waitClaim
		live = json.Unmarshal(e.Value(), &wc) == nil && c.now().Before(wc.Until)
	}
	return live
}

// startDelivery joins the queue group that shares, among all nodes, the
// outbound messages no callback waits for.
func (c *Channel) startDelivery() error {
	return c.bg.JoinQueue(c.o.NATS, ChannelName, c.o.DeliverySubject, c.o.QueueGroup, c.queued)
}

// queued handles one message from the delivery queue.
func (c *Channel) queued(ctx context.Context, m *nats.Msg) {
	out, err := relay.Decode(m)
	if err != nil || out.Kind != channels.OutMessage || out.Role == "customer" || out.Text == "" {
		return
	}
	rt, ok, err := c.lookupRoute(ctx, out.ConversationID)
	if err != nil {
		c.logger.Warn("delivery: route", "conversation", out.ConversationID, "err", err)
		return
	}
	if !ok {
		return
	}
	a := c.accounts[rt.Account]
	if a == nil {
		return // an account another node has and this one does not
	}
	if out.ReplyTo != 0 {
		// A callback may be waiting for this answer: leave it to that
		// callback while it waits.
		for c.waited(ctx, out.ConversationID) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	status, err := c.deliver(ctx, a, rt, out, out.ReplyTo == 0)
	if err != nil && !errors.Is(err, ErrOutsideWindow) {
		c.logger.Warn("delivery", "account", a.cfg.Name, "conversation", out.ConversationID, "status", status, "err", err)
	}
	if status == channels.DeliverySent || status == channels.DeliveryRefused {
		c.flush(ctx, a, rt, out.ConversationID, 0, 0)
	}
}

// CanInitiate reports whether a proactive message to conversationID would
// be delivered now: the user's window is open and they did not opt out.
// reason is "outside_window" or "opted_out" when not.
func (c *Channel) CanInitiate(ctx context.Context, conversationID string) (ok bool, reason string, err error) {
	rt, found, err := c.lookupRoute(ctx, conversationID)
	if err != nil {
		return false, "", err
	}
	a := c.accounts[rt.Account]
	if !found || a == nil {
		return false, "", ErrNotFound
	}
	st, err := c.loadUser(ctx, a, rt.OpenID)
	if err != nil {
		return false, "", err
	}
	switch {
	case st.OptedOut:
		return false, "opted_out", nil
	case !st.windowOpen(c.now()):
		return false, "outside_window", nil
	}
	return true, "", nil
}
