package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

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
	var st userState
	e, err := c.store.State.Get(ctx, userKey(a.cfg.Name, openid))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("wechat: load user state: %w", err)
	}
	if json.Unmarshal(e.Value(), &st) != nil {
		return userState{}, nil
	}
	return st, nil
}

// updateUser applies f to the user's state. Concurrent updates from two
// nodes may lose one of them; the fields are timestamps and flags where
// the later write is as good as the earlier.
func (c *Channel) updateUser(ctx context.Context, a *account, openid string, f func(*userState)) (userState, error) {
	st, err := c.loadUser(ctx, a, openid)
	if err != nil {
		return st, err
	}
	f(&st)
	data, _ := json.Marshal(st)
	if _, err := c.store.State.Put(ctx, userKey(a.cfg.Name, openid), data); err != nil {
		return st, fmt.Errorf("wechat: save user state: %w", err)
	}
	return st, nil
}

// saveRoute records that conversationID belongs to openid of a.
func (c *Channel) saveRoute(ctx context.Context, conversationID string, r route) error {
	if got, ok := c.routes.get(conversationID); ok && got == r {
		return nil
	}
	data, _ := json.Marshal(r)
	if _, err := c.store.State.Put(ctx, routeKey(conversationID), data); err != nil {
		return fmt.Errorf("wechat: save route: %w", err)
	}
	c.routes.put(conversationID, r)
	return nil
}

// lookupRoute finds where conversationID's messages go; ok is false for a
// conversation of another channel.
func (c *Channel) lookupRoute(ctx context.Context, conversationID string) (route, bool, error) {
	if r, ok := c.routes.get(conversationID); ok {
		return r, r.Account != "", nil
	}
	e, err := c.store.State.Get(ctx, routeKey(conversationID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		// A conversation belongs to one channel for good: remembering
		// "not ours" is safe.
		c.routes.put(conversationID, route{})
		return route{}, false, nil
	}
	if err != nil {
		return route{}, false, fmt.Errorf("wechat: look up route: %w", err)
	}
	var r route
	if json.Unmarshal(e.Value(), &r) != nil || r.Account == "" || r.OpenID == "" {
		return route{}, false, nil
	}
	c.routes.put(conversationID, r)
	return r, true, nil
}

// routeCache remembers routes (and conversations that are not ours) so the
// delivery queue does not read the bucket for every message. It is
// cleared when it grows past maxRoutes.
//
// "Not ours" is remembered only for negativeTTL: a conversation is
// created by Connect a moment before its route is written, and a message
// published in between must not be ignored for good.
type routeCache struct {
	mu sync.Mutex
	m  map[string]cachedRoute
}

type cachedRoute struct {
	r  route
	at time.Time
}

const (
	maxRoutes   = 100_000
	negativeTTL = time.Minute
)

func (rc *routeCache) get(id string) (route, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	cr, ok := rc.m[id]
	if ok && cr.r.Account == "" && time.Since(cr.at) > negativeTTL {
		delete(rc.m, id)
		return route{}, false
	}
	return cr.r, ok
}

func (rc *routeCache) put(id string, r route) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.m == nil || len(rc.m) >= maxRoutes {
		rc.m = make(map[string]cachedRoute)
	}
	rc.m[id] = cachedRoute{r: r, at: time.Now()}
}
