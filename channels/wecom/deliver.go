package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/outbound"
	"github.com/kairoscx/kairos/channels/platform"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/channels/wechat/wxapi"
)

// route says where a conversation's messages go.
type route struct {
	Account  string `json:"account"`
	OpenKfID string `json:"open_kfid"`
	User     string `json:"external_userid"`
}

type userState struct {
	LastMessage time.Time `json:"last_message,omitzero"`
	OptedOut    bool      `json:"opted_out,omitempty"`
}

func routeKey(conversationID string) string { return wxapi.Key(ChannelName, "conv", conversationID) }
func userKey(rt route) string {
	return wxapi.Key(ChannelName, rt.Account, "user", rt.OpenKfID, rt.User)
}
func waitKey(conversationID, clientID string) string {
	return wxapi.Key(ChannelName, "wait", conversationID, clientID)
}
func outKey(conversationID string, seq int64) string {
	return wxapi.Key(ChannelName, "out", conversationID, strconv.FormatInt(seq, 10))
}

func (c *Channel) saveRoute(ctx context.Context, conversationID string, rt route) error {
	return c.routes.Save(ctx, conversationID, rt)
}

func (c *Channel) lookupRoute(ctx context.Context, conversationID string) (route, bool, error) {
	return c.routes.Lookup(ctx, conversationID)
}

// updateUser applies f to the user's state. A state that cannot be read
// is not overwritten (an opt-out must not be lost to a NATS hiccup).
func (c *Channel) updateUser(ctx context.Context, rt route, f func(*userState)) (userState, error) {
	return platform.UpdateState(ctx, c.store.State, "wecom", userKey(rt), f)
}

var splitter = outbound.Splitter{Max: MaxTextBytes, Unit: outbound.Bytes}

func (c *Channel) report(a *account, out channels.Outbound, status, reason string) {
	data, _ := json.Marshal(channels.DeliveryReport{V: channels.Version, Channel: ChannelName, Account: a.cfg.Name,
		ConversationID: out.ConversationID, Seq: out.Seq, Status: status, Reason: reason, At: c.now()})
	_ = c.o.NATS.Publish(channels.DeliverySubject(ChannelName), data)
}

// deliver sends out with send_msg unless another node has. A proactive
// message is held back when the customer opted out or their 48 hours are
// over; 95018 (the session is with a human, queued or ended) is reported
// pending.
func (c *Channel) deliver(ctx context.Context, a *account, rt route, out channels.Outbound, proactive bool) (string, error) {
	if proactive {
		var st userState
		if e, err := c.store.State.Get(ctx, userKey(rt)); err == nil {
			_ = json.Unmarshal(e.Value(), &st)
		}
		if st.OptedOut && out.Role == "bot" {
			c.report(a, out, channels.DeliveryRefused, "opted_out")
			return channels.DeliveryRefused, nil
		}
		if !c.now().Before(st.LastMessage.Add(Window)) {
			c.report(a, out, channels.DeliveryPending, "outside_window")
			return channels.DeliveryPending, nil
		}
	}
	won, _, err := c.store.Claim(ctx, outKey(out.ConversationID, out.Seq), []byte(`{"state":"sending"}`))
	if err != nil || !won {
		return "", err
	}
	for i, p := range splitter.Split(out.Text) {
		body := map[string]any{"touser": rt.User, "open_kfid": rt.OpenKfID, "msgtype": "text",
			"msgid": wxapi.Token(fmt.Sprintf("k%s-%d-%d", out.ConversationID, out.Seq, i)), "text": map[string]string{"content": p}}
		if err := a.api.Post(ctx, "wecom send_msg", "/cgi-bin/kf/send_msg", body, nil); err != nil {
			code := wxapi.Code(err)
			if i == 0 {
				_ = c.store.Release(ctx, outKey(out.ConversationID, out.Seq))
			}
			if code == wxapi.CodeSessionState {
				c.report(a, out, channels.DeliveryPending, "errcode 95018")
				return channels.DeliveryPending, err
			}
			c.report(a, out, channels.DeliveryFailed, err.Error())
			return channels.DeliveryFailed, err
		}
	}
	c.report(a, out, channels.DeliverySent, "")
	return channels.DeliverySent, nil
}

func (c *Channel) startDelivery() error {
	return c.bg.JoinQueue(c.o.NATS, ChannelName, c.o.DeliverySubject, c.o.QueueGroup, c.queued)
}

func (c *Channel) queued(ctx context.Context, m *nats.Msg) {
	out, err := relay.Decode(m)
	if err != nil || out.Kind != channels.OutMessage || out.Role == "customer" || out.Text == "" {
		return
	}
	rt, ok, err := c.lookupRoute(ctx, out.ConversationID)
	if err != nil || !ok {
		return
	}
	a := c.accounts[rt.Account]
	if a == nil {
		return
	}
	if out.ReplyTo != 0 {
		for c.waited(ctx, out.ConversationID) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	if _, err := c.deliver(ctx, a, rt, out, out.ReplyTo == 0); err != nil {
		c.logger.Warn("delivery", "account", a.cfg.Name, "conversation", out.ConversationID, "err", err)
	}
}

// waited reports whether an answer in the conversation is awaited by the
// node that took the customer's message.
func (c *Channel) waited(ctx context.Context, conversationID string) bool {
	lister, err := c.store.Claims.ListKeysFiltered(ctx, wxapi.Key(ChannelName, "wait", conversationID)+".*")
	if err != nil {
		return false
	}
	defer func() { _ = lister.Stop() }()
	live := false
	for key := range lister.Keys() {
		if live {
			continue
		}
		e, err := c.store.Claims.Get(ctx, key)
		if err != nil {
			continue
		}
		var until time.Time
		live = json.Unmarshal(e.Value(), &until) == nil && c.now().Before(until)
	}
	return live
}

// ServiceState returns the WeCom service state (StateNew ... StateEnded)
// of a conversation's customer and the servicer serving them, if any.
func (c *Channel) ServiceState(ctx context.Context, conversationID string) (int, string, error) {
	rt, a, err := c.resolve(ctx, conversationID)
	if err != nil {
		return 0, "", err
	}
	var out struct {
		State    int    `json:"service_state"`
		Servicer string `json:"servicer_userid"`
	}
	body := map[string]string{"open_kfid": rt.OpenKfID, "external_userid": rt.User}
	if err := a.api.Post(ctx, "wecom service_state get", "/cgi-bin/kf/service_state/get", body, &out); err != nil {
		return 0, "", err
	}
	return out.State, out.Servicer, nil
}

// Handoff moves a conversation's customer from the bot to WeCom's human
// queue (service state 2), or straight to a servicer when servicerUserID
// is set (state 3). The handoff work calls it when Kairos escalates and
// the account routes humans inside WeCom; afterwards the bot's messages
// are refused by WeCom (95018) and reported pending.
func (c *Channel) Handoff(ctx context.Context, conversationID, servicerUserID string) error {
	rt, a, err := c.resolve(ctx, conversationID)
	if err != nil {
		return err
	}
	state := StateQueued
	if servicerUserID != "" {
		state = StateHuman
	}
	body := map[string]any{"open_kfid": rt.OpenKfID, "external_userid": rt.User, "service_state": state, "servicer_userid": servicerUserID}
	if err := a.api.Post(ctx, "wecom service_state trans", "/cgi-bin/kf/service_state/trans", body, nil); err != nil {
		return fmt.Errorf("wecom: handoff %s: %w", conversationID, err)
	}
	return nil
}

// HandoffToWeCom moves the conversation's customer to WeCom's human queue
// when the conversation is this channel's and its account routes humans
// inside WeCom (humans_in_wecom); it reports whether it did.
func (c *Channel) HandoffToWeCom(ctx context.Context, conversationID string) (bool, error) {
	_, a, err := c.resolve(ctx, conversationID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !a.cfg.HumansInWeCom {
		return false, nil
	}
	return true, c.Handoff(ctx, conversationID, "")
}

func (c *Channel) resolve(ctx context.Context, conversationID string) (route, *account, error) {
	rt, ok, err := c.lookupRoute(ctx, conversationID)
	if err != nil {
		return rt, nil, err
	}
	a := c.accounts[rt.Account]
	if !ok || a == nil {
		return rt, nil, ErrNotFound
	}
	return rt, a, nil
}
