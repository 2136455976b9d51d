package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/outbound"
	"github.com/kairoscx/kairos/channels/wechat/wxapi"
	"github.com/kairoscx/kairos/channels/wxcrypt"
)

// Inbound claim states: what the node that took a callback did with it.
const (
	statePending = "pending" // being handled
	statePassive = "passive" // answered in the response (Reply holds it)
	stateAsync   = "async"   // answered "success"; the answer goes through the API
)

// inClaim is the value of a callback's claim.
type inClaim struct {
	State string `json:"state"`
	Reply string `json:"reply,omitempty"`
}

func (c *Channel) verifyURL(w http.ResponseWriter, r *http.Request, a *account) {
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if err := wxcrypt.CheckTimestamp(ts, c.now(), c.o.TimestampWindow); err != nil {
		c.refuse(w, r, a, err)
		return
	}
	if err := a.crypt.Verify(q.Get("signature"), ts, nonce); err != nil {
		c.refuse(w, r, a, err)
		return
	}
	echo := q.Get("echostr")
	if echo == "" || len(echo) > 256 {
		c.refuse(w, r, a, wxcrypt.ErrMalformed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, echo)
}

// refuse answers a callback that failed a check, before anything was
// stored or any token spent.
func (c *Channel) refuse(w http.ResponseWriter, r *http.Request, a *account, err error) {
	status := http.StatusBadRequest
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, wxcrypt.ErrSignature), errors.Is(err, wxcrypt.ErrReceiveID), errors.Is(err, wxcrypt.ErrStale):
		status = http.StatusForbidden
	}
	c.logger.Warn("callback refused", "account", a.cfg.Name, "status", status, "remote", r.RemoteAddr, "err", err)
	http.Error(w, http.StatusText(status), status)
}

// callback handles a POST: check, decrypt, parse, deduplicate, answer.
func (c *Channel) callback(w http.ResponseWriter, r *http.Request, a *account) {
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	// The URL is checked before the body is read: a forged or replayed
	// request costs one hash.
	if err := wxcrypt.CheckTimestamp(ts, c.now(), c.o.TimestampWindow); err != nil {
		c.refuse(w, r, a, err)
		return
	}
	if err := a.crypt.Verify(q.Get("signature"), ts, nonce); err != nil {
		c.refuse(w, r, a, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.o.MaxBody))
	if err != nil {
		c.refuse(w, r, a, err)
		return
	}
	encrypted := strings.EqualFold(q.Get("encrypt_type"), "aes")
	plain := body
	if encrypted {
		if !a.crypt.CanEncrypt() {
			c.refuse(w, r, a, errors.New("encrypted callback but the account has no encoding_aes_key"))
			return
		}
		if plain, err = a.crypt.Open(q.Get("msg_signature"), ts, nonce, body); err != nil {
			c.refuse(w, r, a, err)
			return
		}
	}
	m, err := ParseMessage(plain)
	if err != nil {
		c.refuse(w, r, a, err)
		return
	}
	if oid := q.Get("openid"); oid != "" && oid != m.FromUserName {
		c.refuse(w, r, a, errors.New("openid in the URL differs from FromUserName"))
		return
	}
	reply, err := c.handle(r.Context(), a, m)
	if err != nil {
		// Nothing was answered: a 500 makes WeChat try again, possibly
		// on another node.
		c.logger.Error("callback failed", "account", a.cfg.Name, "msg", m.DedupeKey(), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	c.respond(w, a, m, reply, encrypted, nonce)
}

// respond writes "success" or a passive text reply, encrypted when the
// callback was.
func (c *Channel) respond(w http.ResponseWriter, a *account, m Message, reply string, encrypted bool, nonce string) {
	if reply == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "success")
		return
	}
	now := c.now()
	out := passiveReply(m, reply, now)
	if encrypted {
		sealed, err := a.crypt.Seal(out, now.Unix(), nonce)
		if err != nil {
			c.logger.Error("seal reply", "account", a.cfg.Name, "err", err)
			_, _ = io.WriteString(w, "success")
			return
		}
		out = sealed
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(out)
}

// handle claims the callback and processes it once; a retry of a callback
// another node (or this one) took gets that node's passive reply again, or
// "success".
func (c *Channel) handle(ctx context.Context, a *account, m Message) (string, error) {
	key := wxapi.Key(ChannelName, a.cfg.Name, "in", m.DedupeKey())
	pending, _ := json.Marshal(inClaim{State: statePending})
	won, e, err := c.store.Claim(ctx, key, pending)
	if err != nil {
		return "", err
	}
	if !won {
		return c.retried(ctx, a, m, key, e.Value()), nil
	}
	reply, err := c.process(ctx, a, m, key)
	if err != nil {
		_ = c.store.Release(context.WithoutCancel(ctx), key)
		return "", err
	}
	return reply, nil
}

// retried answers a repeated callback. WeChat repeats a callback it got no
// answer to within 5 seconds, so when the first is still being handled the
// repeat waits for its outcome: if that was a passive reply, this response
// is the one WeChat will read.
func (c *Channel) retried(ctx context.Context, a *account, m Message, key string, value []byte) string {
	c.logger.Info("repeated callback", "account", a.cfg.Name, "msg", m.DedupeKey())
	deadline := time.Now().Add(c.o.ReplyBudget)
	for {
		var ic inClaim
		_ = json.Unmarshal(value, &ic)
		switch {
		case ic.State == statePassive:
			return ic.Reply
		case ic.State != statePending || time.Now().After(deadline):
			return ""
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(100 * time.Millisecond):
		}
		e, err := c.store.Claims.Get(ctx, key)
		if err != nil {
			return ""
		}
		value = e.Value()
	}
}

func (c *Channel) setClaim(ctx context.Context, key string, ic inClaim) {
	data, _ := json.Marshal(ic)
	if _, err := c.store.Claims.Put(ctx, key, data); err != nil {
		c.logger.Warn("update callback claim", "key", key, "err", err)
	}
}

// process runs a callback the first time: interaction window, customer and
// conversation, then the event or the message.
func (c *Channel) process(ctx context.Context, a *account, m Message, key string) (string, error) {
	now := c.now()
	st, err := c.updateUser(ctx, a, m.FromUserName, func(s *userState) {
		switch {
		case m.MsgType != TypeEvent:
			s.LastMessage = now
		case m.Event == EventSubscribe || m.Event == EventScan || m.Event == EventClick:
			s.LastEvent = now
		}
	})
	if err != nil {
		return "", err
	}
	sess, err := c.o.Engine.Connect(ctx, ChannelName, channels.Identity{Kind: IdentityOpenID, Value: m.FromUserName})
	if err != nil {
		return "", err
	}
	rt := route{Account: a.cfg.Name, OpenID: m.FromUserName}
	if err := c.saveRoute(ctx, sess.ConversationID, rt); err != nil {
		return "", err
	}
	if !st.UnionChecked && m.Event != EventUnsubscribe {
		c.goBackground(func(bg context.Context) { c.linkUnionID(bg, a, m.FromUserName, sess.ConversationID) })
	}
	if m.MsgType == TypeEvent {
		return c.event(ctx, a, m, sess, rt)
	}
	text := m.Text()
	if text == "" {
		c.logger.Info("message type not handled", "account", a.cfg.Name, "type", m.MsgType)
		return "", nil
	}
	if outbound.IsOptOut(text) {
		if _, err := c.updateUser(ctx, a, m.FromUserName, func(s *userState) { s.OptedOut = true }); err != nil {
			return "", err
		}
		c.observe(ctx, a, sess, "opt_out", m, nil)
		c.setClaim(ctx, key, inClaim{State: statePassive, Reply: optOutReply})
		return optOutReply, nil
	}
	return c.converse(ctx, a, m, sess, rt, key, text)
}

// event handles subscribe, unsubscribe, SCAN, CLICK and VIEW: each becomes
// a behaviour event; a new follower gets the welcome.
func (c *Channel) event(ctx context.Context, a *account, m Message, sess channels.Session, rt route) (string, error) {
	names := map[string]string{
		EventSubscribe: "subscribe", EventUnsubscribe: "unsubscribe", EventScan: "qr_scan",
		EventClick: "menu_click", EventView: "menu_view",
	}
	name := names[m.Event]
	if name == "" {
		name = "event"
	}
	props := map[string]string{"event": m.Event}
	if m.EventKey != "" {
		props["key"] = m.EventKey
	}
	c.observe(ctx, a, sess, name, m, props)
	if m.Event == EventSubscribe || m.Event == EventScan || m.Event == EventClick {
		// The user is back: messages kept for them can go now.
		c.goBackground(func(bg context.Context) { c.flush(bg, a, rt, sess.ConversationID, sess.AckedSeq, 0) })
	}
	if m.Event == EventSubscribe && a.welcome != "" {
		return a.welcome, nil
	}
	return "", nil
}

// observe reports a behaviour event; a failure is logged, not fatal.
func (c *Channel) observe(ctx context.Context, a *account, sess channels.Session, name string, m Message, props map[string]string) {
	if props == nil {
		props = map[string]string{}
	}
	props["account"] = a.cfg.Name
	raw, _ := json.Marshal(props)
	err := c.o.Engine.Observe(ctx, channels.Event{
		ID: "wx-" + a.cfg.Name + "-" + wxapi.Token(m.DedupeKey()), Name: name, CustomerID: sess.CustomerID,
		Channel: ChannelName, Props: raw, At: m.At(),
	})
	if err != nil {
		c.logger.Warn("observe", "account", a.cfg.Name, "event", name, "err", err)
	}
}

// linkUnionID looks up the user's unionid once and links it to the
// customer, so the same person on another account of the same Open
// Platform is recognised.
func (c *Channel) linkUnionID(ctx context.Context, a *account, openid, conversationID string) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u, err := a.unionID(ctx, openid)
	if err != nil {
		c.logger.Warn("look up unionid", "account", a.cfg.Name, "err", err)
		return
	}
	if u != "" {
		if _, err := c.o.Engine.Identify(ctx, conversationID, channels.Identity{Kind: IdentityUnionID, Value: u}); err != nil {
			c.logger.Warn("link unionid", "account", a.cfg.Name, "err", err)
			return
		}
	}
	if _, err := c.updateUser(ctx, a, openid, func(s *userState) { s.UnionID, s.UnionChecked = u, true }); err != nil {
		c.logger.Warn("save unionid", "account", a.cfg.Name, "err", err)
	}
}

// clientID is the engine's idempotency key for a message.
func clientID(a *account, m Message) string {
	return "wx-" + wxapi.Token(a.cfg.Name+"-"+m.DedupeKey())
}

// waitKey marks a callback waiting for the answer to its message. It is
// keyed by the message's client id, not its seq, because it must exist
// before the engine records the message (a fast engine answers before
// Receive returns).
func waitKey(conversationID, clientID string) string {
	return wxapi.Key(ChannelName, "wait", conversationID, clientID)
}
