package douyin

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
	"github.com/kairoscx/kairos/channels/platform"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/channels/wechat/wxapi"
)

// userState is what all nodes know about one user of one account.
type userState struct {
	// ConversationShortID is the platform's conversation with the user.
	ConversationShortID string `json:"conversation_short_id,omitempty"`
	// MsgID is the latest message id Kairos may answer (a received
	// message, or the visit of the message page), created at MsgAt; Scene
	// is the send scene that goes with it.
	MsgID string    `json:"msg_id,omitempty"`
	MsgAt time.Time `json:"msg_at,omitzero"`
	Scene string    `json:"scene,omitempty"`
	// OptedOut: the user replied an opt-out keyword; proactive bot
	// messages are not delivered.
	OptedOut bool `json:"opted_out,omitempty"`
}

// windowOpen reports whether a message may be sent now.
func (s userState) windowOpen(now time.Time) bool {
	return s.MsgID != "" && s.ConversationShortID != "" && now.Before(s.MsgAt.Add(ReplyWindow))
}

// route says where a conversation's messages go.
type route struct {
	Account string `json:"account"`
	OpenID  string `json:"open_id"`
}

func userKey(accountName, openID string) string {
	return wxapi.Key(ChannelName, accountName, "user", openID)
}

func routeKey(conversationID string) string { return wxapi.Key(ChannelName, "conv", conversationID) }

func outKey(conversationID string, seq int64) string {
	return wxapi.Key(ChannelName, "out", conversationID, strconv.FormatInt(seq, 10))
}

func waitKey(conversationID string, seq int64) string {
	return wxapi.Key(ChannelName, "wait", conversationID, strconv.FormatInt(seq, 10))
}

func ackKey(conversationID string) string { return wxapi.Key(ChannelName, "ack", conversationID) }

func (c *Channel) loadUser(ctx context.Context, a *account, openID string) (userState, error) {
	return platform.LoadState[userState](ctx, c.store.State, ChannelName, userKey(a.cfg.Name, openID))
}

// updateUser applies f to the user's state. Two nodes updating at once may
// lose one write; the fields are "latest wins" values.
func (c *Channel) updateUser(ctx context.Context, a *account, openID string, f func(*userState)) (userState, error) {
	return platform.UpdateState(ctx, c.store.State, ChannelName, userKey(a.cfg.Name, openID), f)
}

func (c *Channel) saveRoute(ctx context.Context, conversationID string, r route) error {
	return c.routes.Save(ctx, conversationID, r)
}

// lookupRoute finds where conversationID's messages go; ok is false for a
// conversation of another channel.
func (c *Channel) lookupRoute(ctx context.Context, conversationID string) (route, bool, error) {
	return c.routes.Lookup(ctx, conversationID)
}

// Outbound claim states.
const (
	outSending = "sending"
	outSent    = "sent"
	outRefused = "refused"
	// staleSending: a "sending" claim this old belongs to a node that
	// stopped mid-send; the message counts as given up (at most once).
	staleSending = 5 * time.Minute
)

type claim struct {
	State string    `json:"state"`
	At    time.Time `json:"at"`
}

func (c *Channel) claimOut(ctx context.Context, out channels.Outbound) (bool, error) {
	v, _ := json.Marshal(claim{State: outSending, At: c.now()})
	won, _, err := c.store.Claim(ctx, outKey(out.ConversationID, out.Seq), v)
	return won, err
}

func (c *Channel) markOut(ctx context.Context, out channels.Outbound, state string) {
	v, _ := json.Marshal(claim{State: state, At: c.now()})
	if _, err := c.store.Claims.Put(ctx, outKey(out.ConversationID, out.Seq), v); err != nil {
		c.logger.Warn("mark delivery", "conversation", out.ConversationID, "seq", out.Seq, "err", err)
	}
}

// report publishes what became of out.
func (c *Channel) report(a *account, out channels.Outbound, status, reason string) {
	data, _ := json.Marshal(channels.DeliveryReport{
		V: channels.Version, Channel: ChannelName, Account: a.cfg.Name, ConversationID: out.ConversationID,
		Seq: out.Seq, Status: status, Reason: reason, At: c.now(),
	})
	if err := c.o.NATS.Publish(channels.DeliverySubject(ChannelName), data); err != nil {
		c.logger.Warn("publish delivery report", "err", err)
	}
}

// deliver sends out to the user unless another node has. A proactive
// message (not the answer to a message) is refused for a user who opted
// out. Outside the reply window nothing is sent and the message stays for
// the user's next interaction. The status is a channels.Delivery* value,
// or "" when another node had it.
func (c *Channel) deliver(ctx context.Context, a *account, rt route, out channels.Outbound, proactive bool) (string, error) {
	st, err := c.loadUser(ctx, a, rt.OpenID)
	if err != nil {
		return channels.DeliveryFailed, err
	}
	if proactive && st.OptedOut && out.Role == "bot" {
		won, err := c.claimOut(ctx, out)
		if err != nil || !won {
			return "", err
		}
		c.markOut(ctx, out, outRefused)
		c.report(a, out, channels.DeliveryRefused, "opted_out")
		return channels.DeliveryRefused, nil
	}
	if !st.windowOpen(c.now()) {
		c.report(a, out, channels.DeliveryPending, "outside_window")
		return channels.DeliveryPending, ErrOutsideWindow
	}
	won, err := c.claimOut(ctx, out)
	if err != nil {
		return channels.DeliveryFailed, err
	}
	if !won {
		return "", nil
	}
	n, err := a.sendText(ctx, rt, st, out.Text)
	if err == nil {
		c.markOut(ctx, out, outSent)
		c.report(a, out, channels.DeliverySent, "")
		return channels.DeliverySent, nil
	}
	code := Code(err)
	switch {
	case n > 0:
		// Part of it reached the user: sending it again would repeat it.
		c.markOut(ctx, out, outSent)
		c.report(a, out, channels.DeliveryFailed, fmt.Sprintf("partial: %d pieces sent: %v", n, err))
		return channels.DeliveryFailed, err
	case code == CodeQuotaUsed:
		_ = c.store.Release(ctx, outKey(out.ConversationID, out.Seq))
		c.report(a, out, channels.DeliveryPending, "error "+strconv.Itoa(code))
		return channels.DeliveryPending, fmt.Errorf("%w: %w", ErrOutsideWindow, err)
	case code == 0 || outbound.IsTemporary(err):
		_ = c.store.Release(ctx, outKey(out.ConversationID, out.Seq))
		c.report(a, out, channels.DeliveryFailed, err.Error())
		return channels.DeliveryFailed, err
	default:
		c.markOut(ctx, out, outRefused)
		c.report(a, out, channels.DeliveryRefused, "error "+strconv.Itoa(code))
		return channels.DeliveryRefused, err
	}
}

// waited reports whether a webhook is still waiting for the answer to seq.
func (c *Channel) waited(ctx context.Context, conversationID string, seq int64) bool {
	e, err := c.store.Claims.Get(ctx, waitKey(conversationID, seq))
	if err != nil {
		return false
	}
	var until time.Time
	return json.Unmarshal(e.Value(), &until) == nil && c.now().Before(until)
}

func (c *Channel) delivered(ctx context.Context, conversationID string) int64 {
	e, err := c.store.State.Get(ctx, ackKey(conversationID))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(string(e.Value()), 10, 64)
	return n
}

// flush delivers, in order, the messages of a conversation after `after`
// (and before upto, when not 0) that never reached the user: messages
// kept while the window was closed, answers whose node stopped. It stops at
// the first it cannot deliver or that a webhook still waits for, and
// records how far everything was delivered. busy is true when it stopped
// at a message another node is sending right now.
func (c *Channel) flush(ctx context.Context, a *account, rt route, conversationID string, upto int64) (busy bool) {
	after := c.delivered(ctx, conversationID)
	page, err := c.o.Engine.Replay(ctx, conversationID, after, 200)
	if err != nil {
		c.logger.Warn("flush: replay", "conversation", conversationID, "err", err)
		return false
	}
	done := after
	for _, out := range page {
		if upto > 0 && out.Seq >= upto {
			break
		}
		if out.Role == "customer" || out.Text == "" {
			done = out.Seq
			continue
		}
		e, err := c.store.Claims.Get(ctx, outKey(conversationID, out.Seq))
		if err == nil {
			var cl claim
			_ = json.Unmarshal(e.Value(), &cl)
			if cl.State == outSending && c.now().Sub(cl.At) < staleSending {
				busy = true // another node is on it
				break
			}
			done = out.Seq
			continue
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			break
		}
		if out.ReplyTo != 0 && c.waited(ctx, conversationID, out.ReplyTo) {
			break
		}
		status, err := c.deliver(ctx, a, rt, out, out.ReplyTo == 0)
		if err != nil || status == channels.DeliveryFailed || status == channels.DeliveryPending {
			break
		}
		done = out.Seq
	}
	if done > after {
		if _, err := c.store.State.Put(ctx, ackKey(conversationID), []byte(strconv.FormatInt(done, 10))); err != nil {
			c.logger.Warn("flush: record delivered", "conversation", conversationID, "err", err)
		}
	}
	return busy
}

// flushBefore delivers the conversation's undelivered messages before seq,
// waiting (up to 10 s) while another node is sending one of them, so the
// message at seq reaches the user after them. It is false when ctx ended.
func (c *Channel) flushBefore(ctx context.Context, a *account, rt route, conversationID string, seq int64) bool {
	for range 100 {
		if !c.flush(ctx, a, rt, conversationID, seq) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return true
}

// startDelivery joins the queue group that shares, among all nodes, the
// outbound messages no webhook waits for.
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
	a := c.accounts[rt.Account]
	if !ok || a == nil {
		return
	}
	if out.ReplyTo != 0 {
		// The webhook that asked may be waiting for this answer: it is
		// that webhook's to send while it waits.
		for c.waited(ctx, out.ConversationID, out.ReplyTo) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	// Earlier messages that never reached the user (kept while the window
	// was closed) go first, so the user reads in order. The webhook that
	// received the user's message flushes them too, but an answer can reach
	// this queue before that webhook has recorded that it waits for it.
	if !c.flushBefore(ctx, a, rt, out.ConversationID, out.Seq) {
		return
	}
	status, err := c.deliver(ctx, a, rt, out, out.ReplyTo == 0)
	if err != nil && !errors.Is(err, ErrOutsideWindow) {
		c.logger.Warn("delivery", "account", a.cfg.Name, "conversation", out.ConversationID, "status", status, "err", err)
	}
	if status == channels.DeliverySent || status == channels.DeliveryRefused {
		c.flush(ctx, a, rt, out.ConversationID, 0)
	}
}

// CanInitiate reports whether a proactive message to conversationID would
// be delivered now; reason is "outside_window" or "opted_out" when not.
func (c *Channel) CanInitiate(ctx context.Context, conversationID string) (ok bool, reason string, err error) {
	rt, found, err := c.lookupRoute(ctx, conversationID)
	if err != nil {
		return false, "", err
	}
	a := c.accounts[rt.Account]
	if !found || a == nil {
		return false, "", fmt.Errorf("douyin: conversation %s is not a Douyin conversation of this node's accounts", conversationID)
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
