package douyin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/outbound"
	"github.com/kairoscx/kairos/channels/platform"
	"github.com/kairoscx/kairos/channels/wechat/wxapi"
)

// Webhook claim states.
const (
	inWorking = "working"
	inDone    = "done"
)

// webhook handles one POST. Order matters: size, then signature, before
// anything is parsed, stored or any token spent.
func (c *Channel) webhook(w http.ResponseWriter, r *http.Request, a *account) {
	log := c.logger.With("account", a.cfg.Name)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.o.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			log.Warn("webhook refused: body too large", "limit", c.o.MaxBody, "remote", r.RemoteAddr)
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	if !validSignature(a.cfg.ClientSecret, body, r.Header.Get(SignatureHeader)) {
		log.Warn("webhook refused: bad signature", "remote", r.RemoteAddr, "msg_id", truncate(r.Header.Get(MsgIDHeader)))
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	env, err := ParseEnvelope(body)
	if err == nil && env.ClientKey != "" && env.ClientKey != a.cfg.ClientKey {
		err = errors.New("client_key is another app's")
	}
	var content Content
	if err == nil {
		content, err = env.DecodeContent()
	}
	if err != nil {
		log.Warn("webhook refused: malformed", "err", err)
		http.Error(w, "malformed webhook", http.StatusBadRequest)
		return
	}
	if env.Event == EventVerify {
		reply, err := challengeReply(content)
		if err != nil {
			log.Warn("webhook refused: malformed verification", "err", err)
			http.Error(w, "malformed webhook", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(reply)
		return
	}
	switch env.Event {
	case EventReceiveMsg, EventEnterDirect:
	default:
		// im_send_msg echoes our own sends (and the account's own typing
		// in the app); other events are not this channel's.
		log.Debug("webhook ignored", "event", env.Event, "source", content.Source)
		writeOK(w)
		return
	}
	if env.FromUserID == "" || content.ConversationShortID == "" || content.ServerMessageID == "" {
		log.Warn("webhook refused: missing user, conversation or message id", "event", env.Event)
		http.Error(w, "malformed webhook", http.StatusBadRequest)
		return
	}
	if env.Event == EventReceiveMsg && (env.FromUserID == a.cfg.OpenID || env.ToUserID != "" && env.ToUserID != a.cfg.OpenID) {
		// Not a message to the business account (or one it sent itself).
		log.Debug("webhook ignored: not addressed to the business account", "event", env.Event)
		writeOK(w)
		return
	}
	key := inKey(a, r.Header.Get(MsgIDHeader), env, content)
	won, rev, err := c.claimIn(r.Context(), key)
	if err != nil {
		log.Error("webhook: claim", "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	if !won {
		log.Debug("webhook duplicate", "event", env.Event)
		writeOK(w)
		return
	}
	if err := c.handle(r.Context(), a, env, content); err != nil {
		log.Error("webhook: handle", "event", env.Event, "err", err)
		// Let the platform's retry (to any node) try again.
		_ = c.store.Claims.Delete(context.Background(), key)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	v, _ := json.Marshal(claim{State: inDone, At: c.now()})
	if _, err := c.store.Claims.Update(context.Background(), key, v, rev); err != nil {
		log.Warn("webhook: mark done", "err", err)
	}
	writeOK(w)
}

func writeOK(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"err_no":0}`))
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80]
	}
	return s
}

// inKey names a webhook delivery: the platform's Msg-Id header (the same on
// every retry), or, without it, the event and message id.
func inKey(a *account, msgID string, env Envelope, c Content) string {
	id := msgID
	if id == "" {
		sum := sha256.Sum256([]byte(env.Event + "\x00" + c.ServerMessageID))
		id = "m" + hex.EncodeToString(sum[:16])
	}
	return wxapi.Key(ChannelName, a.cfg.Name, "in", id)
}

// claimIn makes this node the one that handles a webhook. A claim left
// "working" longer than inLease (its node stopped) is taken over.
func (c *Channel) claimIn(ctx context.Context, key string) (bool, uint64, error) {
	v, _ := json.Marshal(claim{State: inWorking, At: c.now()})
	for try := 0; try < 2; try++ {
		rev, err := c.store.Claims.Create(ctx, key, v)
		if err == nil {
			return true, rev, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return false, 0, err
		}
		e, err := c.store.Claims.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // released meanwhile: try again
		}
		if err != nil {
			return false, 0, err
		}
		var cl claim
		if json.Unmarshal(e.Value(), &cl) == nil && cl.State == inWorking && c.now().Sub(cl.At) > inLease {
			if rev, err := c.store.Claims.Update(ctx, key, v, e.Revision()); err == nil {
				return true, rev, nil
			}
		}
		return false, 0, nil
	}
	return false, 0, nil
}

// handle passes one user event to the engine.
func (c *Channel) handle(ctx context.Context, a *account, env Envelope, ct Content) error {
	sess, err := c.o.Engine.Connect(ctx, ChannelName, channels.Identity{Kind: IdentityOpenID, Value: env.FromUserID})
	if err != nil {
		return err
	}
	rt := route{Account: a.cfg.Name, OpenID: env.FromUserID}
	if err := c.saveRoute(ctx, sess.ConversationID, rt); err != nil {
		return err
	}
	at := ct.At()
	if now := c.now(); at.IsZero() || at.After(now) || now.Sub(at) > ReplyWindow {
		at = now
	}
	scene := sceneReply
	if env.Event == EventEnterDirect {
		scene = sceneEnter
	}
	optOut := env.Event == EventReceiveMsg && ct.MessageType == TypeText && outbound.IsOptOut(ct.Text)
	st, err := c.updateUser(ctx, a, env.FromUserID, func(s *userState) {
		s.ConversationShortID = ct.ConversationShortID
		if env.Event == EventReceiveMsg || s.Scene != sceneReply || !s.windowOpen(c.now()) {
			// A visit to the page does not replace a message still
			// answerable: the reply scene is what the platform expects.
			s.MsgID, s.MsgAt, s.Scene = ct.ServerMessageID, at, scene
		}
		if optOut {
			s.OptedOut = true
		}
	})
	if err != nil {
		return err
	}
	if env.Event == EventEnterDirect {
		props, _ := json.Marshal(map[string]any{"account": a.cfg.Name, "scene_type": ct.SceneType, "object_id": ct.ObjectID})
		if err := c.o.Engine.Observe(ctx, channels.Event{Name: EnterEvent, CustomerID: sess.CustomerID, Channel: ChannelName, Props: props, At: at}); err != nil {
			return err
		}
		// Messages kept while the window was closed go now.
		c.goBackground(func(bg context.Context) { c.flush(bg, a, rt, sess.ConversationID, 0) })
		return nil
	}
	if optOut {
		props, _ := json.Marshal(map[string]string{"account": a.cfg.Name, "keyword": ct.Text})
		if err := c.o.Engine.Observe(ctx, channels.Event{Name: OptOutEvent, CustomerID: sess.CustomerID, Channel: ChannelName, Props: props, At: at}); err != nil {
			return err
		}
		c.goBackground(func(bg context.Context) {
			if _, err := a.sendText(bg, rt, st, optOutReply); err != nil {
				c.logger.Warn("confirm opt-out", "account", a.cfg.Name, "err", err)
			}
		})
		return nil
	}
	text := ct.Text
	switch ct.MessageType {
	case TypeText:
	case TypeEmoji:
		// A sticker needs no answer; the engine hears of it as an event.
		props, _ := json.Marshal(map[string]string{"account": a.cfg.Name, "message_type": ct.MessageType})
		return c.o.Engine.Observe(ctx, channels.Event{Name: "douyin.sticker", CustomerID: sess.CustomerID, Channel: ChannelName, Props: props, At: at})
	default:
		text = placeholder(ct.MessageType)
	}
	if text == "" {
		return nil
	}
	return c.converse(ctx, a, sess, rt, ct.ServerMessageID, text, at)
}

// converse records the message, returns, and sends the engine's answer
// from the background when it comes.
func (c *Channel) converse(ctx context.Context, a *account, sess channels.Session, rt route, msgID, text string, at time.Time) error {
	w := platform.NewWaiter()
	sub, err := c.o.Relay.Subscribe(ctx, sess.ConversationID, w)
	if err != nil {
		return err
	}
	receipt, err := c.o.Engine.Receive(ctx, channels.Inbound{
		ConversationID: sess.ConversationID, CustomerID: sess.CustomerID, Channel: ChannelName,
		ClientID: wxapi.Token(msgID), Text: text, At: at,
	})
	if err != nil {
		_ = sub.Close()
		if errors.Is(err, channels.ErrInvalid) {
			// The message itself is refused (too long, ...): acknowledging
			// it stops the platform repeating it.
			c.logger.Info("message refused by the engine", "account", a.cfg.Name, "err", err)
			return nil
		}
		return err
	}
	wk := waitKey(sess.ConversationID, receipt.Seq)
	until, _ := json.Marshal(c.now().Add(c.o.ReplyTimeout))
	if _, err := c.store.Claims.Put(ctx, wk, until); err != nil {
		c.logger.Warn("record wait", "err", err)
	}
	c.goBackground(func(bg context.Context) {
		defer sub.Close()
		defer func() { _ = c.store.Release(context.Background(), wk) }()
		// Messages kept while the window was closed go first.
		c.flush(bg, a, rt, sess.ConversationID, receipt.Seq)
		timeout := time.NewTimer(c.o.ReplyTimeout)
		defer timeout.Stop()
		out, ok := w.Await(bg, c.o.Engine, sess.ConversationID, receipt.Seq, timeout.C,
			platform.AwaitOptions{Check: receipt.Duplicate, LastLook: true, Logger: c.logger})
		if !ok {
			c.logger.Warn("no answer in time; it will reach the user at the next interaction", "account", a.cfg.Name, "conversation", sess.ConversationID)
			return
		}
		// Earlier messages another node is sending right now go first:
		// the answer waits (a little) for them, so the user reads in order.
		if !c.flushBefore(bg, a, rt, sess.ConversationID, out.Seq) {
			return
		}
		if _, err := c.deliver(bg, a, rt, out, false); err != nil {
			c.logger.Warn("deliver answer", "account", a.cfg.Name, "err", err)
		}
		c.flush(bg, a, rt, sess.ConversationID, 0)
	})
	return nil
}
