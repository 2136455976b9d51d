package wechat

import (
	"context"
	"time"

	"github.com/kairoscx/kairos/channels/platform"
	"github.com/kairoscx/kairos/channels/wechat/wxapi"
)

// userState is what all nodes know about one user of one account.
type userState struct {
	// LastMessage and LastEvent are the user's last message and last
	// window-opening event (follow, menu click, QR scan).
	LastMessage time.Time `json:"last_message,omitzero"`
	LastEvent   time.Time `json:"last_event,omitzero"`
	// OptedOut: the user replied an opt-out keyword; proactive bot
	// messages are not delivered.
	OptedOut bool `json:"opted_out,omitempty"`
	// UnionID, once looked up (UnionChecked), is linked to the customer.
	UnionID      string `json:"unionid,omitempty"`
	UnionChecked bool   `json:"union_checked,omitempty"`
}

// windowOpen reports whether a customer-service message may be sent now.
func (s userState) windowOpen(now time.Time) bool {
	return now.Before(s.LastMessage.Add(MessageWindow)) || now.Before(s.LastEvent.Add(EventWindow))
}

// route says where a conversation's messages go.
type route struct {
	Account string `json:"account"`
	OpenID  string `json:"openid"`
}

func userKey(accountName, openid string) string {
	return wxapi.Key(ChannelName, accountName, "user", openid)
}

func routeKey(conversationID string) string {
	return wxapi.Key(ChannelName, "conv", conversationID)
}

func (c *Channel) loadUser(ctx context.Context, a *account, openid string) (userState, error) {
	return platform.LoadState[userState](ctx, c.store.State, ChannelName, userKey(a.cfg.Name, openid))
}

// updateUser applies f to the user's state. Concurrent updates from two
// nodes may lose one of them; the fields are timestamps and flags where
// the later write is as good as the earlier.
func (c *Channel) updateUser(ctx context.Context, a *account, openid string, f func(*userState)) (userState, error) {
	return platform.UpdateState(ctx, c.store.State, ChannelName, userKey(a.cfg.Name, openid), f)
}

// saveRoute records that conversationID belongs to openid of a.
func (c *Channel) saveRoute(ctx context.Context, conversationID string, r route) error {
	return c.routes.Save(ctx, conversationID, r)
}

// lookupRoute finds where conversationID's messages go; ok is false for a
// conversation of another channel.
func (c *Channel) lookupRoute(ctx context.Context, conversationID string) (route, bool, error) {
	return c.routes.Lookup(ctx, conversationID)
}
