package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/outbound"
	"github.com/kairoscx/kairos/channels/platform"
	"github.com/kairoscx/kairos/channels/wechat/wxapi"
)

// syncLockTTL bounds how long a node holds a kf account's sync lock
// without renewing it; a node that died holding it delays others by this.
const syncLockTTL = 30 * time.Second

// kfMessage is one entry of sync_msg's msg_list.
type kfMessage struct {
	MsgID          string `json:"msgid"`
	OpenKfID       string `json:"open_kfid"`
	ExternalUserID string `json:"external_userid"`
	SendTime       int64  `json:"send_time"`
	Origin         int    `json:"origin"` // 3 customer, 4 system event, 5 servicer
	MsgType        string `json:"msgtype"`
	Text           *struct {
		Content string `json:"content"`
	} `json:"text"`
	Event *struct {
		EventType      string `json:"event_type"`
		OpenKfID       string `json:"open_kfid"`
		ExternalUserID string `json:"external_userid"`
		Scene          string `json:"scene"`
		WelcomeCode    string `json:"welcome_code"`
	} `json:"event"`
}

type syncResponse struct {
	NextCursor string      `json:"next_cursor"`
	HasMore    int         `json:"has_more"`
	MsgList    []kfMessage `json:"msg_list"`
}

// syncKf pulls every waiting message of a kf account. One node at a time
// does it (a lock in the claims bucket); the cursor is saved after each
// page is handled, and each message is claimed by msgid, so a restart
// resumes where it stopped and repeats nothing. A callback that arrives
// while another node syncs makes that node go round once more.
func (c *Channel) syncKf(ctx context.Context, a *account, kfid string) {
	lockKey := wxapi.Key(ChannelName, a.cfg.Name, "synclock", kfid)
	for {
		seen, err := c.kickRevision(ctx, a, kfid)
		if err != nil {
			c.logger.Warn("sync: read callback", "err", err)
			return
		}
		release, ok := c.lock(ctx, lockKey)
		if !ok {
			return // the holder goes round again when it sees our kick
		}
		for {
			if err := c.syncOnce(ctx, a, kfid); err != nil {
				c.logger.Warn("sync", "account", a.cfg.Name, "kf", kfid, "err", err)
				break
			}
			now, err := c.kickRevision(ctx, a, kfid)
			if err != nil || now == seen {
				break
			}
			seen = now
		}
		release()
		// A kick between our last look and the release found the lock
		// taken: look once more.
		if now, err := c.kickRevision(ctx, a, kfid); err != nil || now == seen || ctx.Err() != nil {
			return
		}
	}
}

func (c *Channel) kickRevision(ctx context.Context, a *account, kfid string) (uint64, error) {
	e, err := c.store.State.Get(ctx, kickKey(a, kfid))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return e.Revision(), nil
}

// lock takes a lock in the claims bucket; a lock past its deadline is
// taken over.
func (c *Channel) lock(ctx context.Context, key string) (func(), bool) {
	v, _ := json.Marshal(c.now().Add(syncLockTTL))
	rev, err := c.store.Claims.Create(ctx, key, v)
	if errors.Is(err, jetstream.ErrKeyExists) {
		e, gerr := c.store.Claims.Get(ctx, key)
		if gerr != nil {
			return nil, false
		}
		var until time.Time
		if json.Unmarshal(e.Value(), &until) == nil && c.now().Before(until) {
			return nil, false
		}
		if rev, err = c.store.Claims.Update(ctx, key, v, e.Revision()); err != nil {
			return nil, false
		}
	} else if err != nil {
		c.logger.Warn("sync lock", "err", err)
		return nil, false
	}
	return func() { _ = c.store.Claims.Delete(context.Background(), key, jetstream.LastRevision(rev)) }, true
}

// syncOnce pages through sync_msg until has_more is 0.
func (c *Channel) syncOnce(ctx context.Context, a *account, kfid string) error {
	var kv kickValue
	if e, err := c.store.State.Get(ctx, kickKey(a, kfid)); err == nil {
		_ = json.Unmarshal(e.Value(), &kv)
	}
	cursor := ""
	if e, err := c.store.State.Get(ctx, cursorKey(a, kfid)); err == nil {
		cursor = string(e.Value())
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return err
	}
	for {
		body := map[string]any{"cursor": cursor, "token": kv.Token, "limit": c.o.SyncLimit, "open_kfid": kfid}
		var resp syncResponse
		err := a.api.Post(ctx, "wecom sync_msg", "/cgi-bin/kf/sync_msg", body, &resp)
		if err != nil && kv.Token != "" && wxapi.Code(err) != 0 {
			// The callback token may have lapsed (10 minutes): sync
			// without it, under the stricter rate limit.
			kv.Token = ""
			body["token"] = ""
			err = a.api.Post(ctx, "wecom sync_msg", "/cgi-bin/kf/sync_msg", body, &resp)
		}
		if err != nil {
			return err
		}
		for _, m := range resp.MsgList {
			if err := c.handleMessage(ctx, a, m); err != nil {
				// Stop before the cursor passes a message not handled.
				return fmt.Errorf("message %s: %w", m.MsgID, err)
			}
		}
		if resp.NextCursor != "" && resp.NextCursor != cursor {
			if _, err := c.store.State.Put(ctx, cursorKey(a, kfid), []byte(resp.NextCursor)); err != nil {
				return fmt.Errorf("save cursor: %w", err)
			}
			cursor = resp.NextCursor
		}
		if resp.HasMore != 1 {
			return nil
		}
	}
}

// handleMessage handles one synced message once (claimed by msgid).
func (c *Channel) handleMessage(ctx context.Context, a *account, m kfMessage) error {
	if m.MsgID == "" || len(m.MsgID) > 128 {
		return nil // nothing to key it by: skip rather than loop on it
	}
	key := wxapi.Key(ChannelName, a.cfg.Name, "in", m.MsgID)
	won, _, err := c.store.Claim(ctx, key, []byte(`{"state":"pending"}`))
	if err != nil {
		return err
	}
	if !won {
		return nil
	}
	if err := c.process(ctx, a, m); err != nil {
		_ = c.store.Release(context.WithoutCancel(ctx), key)
		return err
	}
	return nil
}

func (c *Channel) process(ctx context.Context, a *account, m kfMessage) error {
	switch {
	case m.Origin == 3 && m.ExternalUserID != "":
		return c.customerMessage(ctx, a, m)
	case m.MsgType == "event" && m.Event != nil && m.Event.EventType == "enter_session":
		return c.enterSession(ctx, a, m)
	}
	return nil // servicer messages, other events: nothing to do
}

func (c *Channel) connect(ctx context.Context, a *account, kfid, user string) (channels.Session, route, error) {
	sess, err := c.o.Engine.Connect(ctx, ChannelName, channels.Identity{Kind: IdentityExternalUserID, Value: user})
	if err != nil {
		return sess, route{}, err
	}
	rt := route{Account: a.cfg.Name, OpenKfID: kfid, User: user}
	if err := c.saveRoute(ctx, sess.ConversationID, rt); err != nil {
		return sess, rt, err
	}
	return sess, rt, nil
}

func (c *Channel) enterSession(ctx context.Context, a *account, m kfMessage) error {
	ev := m.Event
	if ev.ExternalUserID == "" {
		return nil
	}
	sess, _, err := c.connect(ctx, a, ev.OpenKfID, ev.ExternalUserID)
	if err != nil {
		return err
	}
	props, _ := json.Marshal(map[string]string{"account": a.cfg.Name, "open_kfid": ev.OpenKfID, "scene": ev.Scene})
	if err := c.o.Engine.Observe(ctx, channels.Event{ID: "wecom-" + wxapi.Token(m.MsgID), Name: "enter_session",
		CustomerID: sess.CustomerID, Channel: ChannelName, Props: props, At: time.Unix(m.SendTime, 0)}); err != nil {
		c.logger.Warn("observe enter_session", "err", err)
	}
	if ev.WelcomeCode == "" || a.welcome == "" {
		return nil
	}
	body := map[string]any{"code": ev.WelcomeCode, "msgid": wxapi.Token("w" + m.MsgID), "msgtype": "text",
		"text": map[string]string{"content": a.welcome}}
	if err := a.api.Post(ctx, "wecom send_msg_on_event", "/cgi-bin/kf/send_msg_on_event", body, nil); err != nil {
		// The code is single-use and lives 20 seconds: retrying later
		// cannot help.
		c.logger.Warn("welcome", "account", a.cfg.Name, "err", err)
	}
	return nil
}

// customerMessage records the message with the engine (so the cursor may
// move past it) and answers it in the background.
func (c *Channel) customerMessage(ctx context.Context, a *account, m kfMessage) error {
	text := ""
	switch {
	case m.MsgType == "text" && m.Text != nil:
		text = strings.TrimSpace(m.Text.Content)
	case m.MsgType == "image":
		text = "[图片 image]"
	case m.MsgType == "voice":
		text = "[语音 voice]"
	}
	if text == "" {
		return nil
	}
	sess, rt, err := c.connect(ctx, a, m.OpenKfID, m.ExternalUserID)
	if err != nil {
		return err
	}
	if _, err := c.updateUser(ctx, rt, func(s *userState) { s.LastMessage = c.now() }); err != nil {
		return err
	}
	if outbound.IsOptOut(text) {
		_, err := c.updateUser(ctx, rt, func(s *userState) { s.OptedOut = true })
		return err
	}
	w := platform.NewWaiter()
	sub, err := c.o.Relay.Subscribe(ctx, sess.ConversationID, w)
	if err != nil {
		return err
	}
	cid := "wecom-" + wxapi.Token(m.MsgID)
	// The wait is recorded before the engine sees the message: a fast
	// engine answers before Receive returns, and the delivery queue must
	// already leave that answer to us.
	wk := waitKey(sess.ConversationID, cid)
	until, _ := json.Marshal(c.now().Add(c.o.ReplyTimeout))
	if _, err := c.store.Claims.Put(ctx, wk, until); err != nil {
		_ = sub.Close()
		return err
	}
	receipt, err := c.o.Engine.Receive(ctx, channels.Inbound{ConversationID: sess.ConversationID, CustomerID: sess.CustomerID,
		Channel: ChannelName, ClientID: cid, Text: text, At: time.Unix(m.SendTime, 0)})
	if err != nil {
		_ = sub.Close()
		_ = c.store.Release(context.Background(), wk)
		if errors.Is(err, channels.ErrInvalid) {
			return nil
		}
		return err
	}
	c.goBackground(func(bg context.Context) {
		defer sub.Close()
		defer func() { _ = c.store.Release(context.Background(), wk) }()
		timeout := time.NewTimer(c.o.ReplyTimeout)
		defer timeout.Stop()
		out, ok := w.Await(bg, c.o.Engine, sess.ConversationID, receipt.Seq, timeout.C, platform.AwaitOptions{Check: receipt.Duplicate})
		if !ok {
			return
		}
		if _, err := c.deliver(bg, a, rt, out, false); err != nil {
			c.logger.Warn("deliver answer", "account", a.cfg.Name, "err", err)
		}
	})
	return nil
}
