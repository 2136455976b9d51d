package wecom_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/channels/wechat/fakeengine"
	"github.com/kairoscx/kairos/channels/wecom"
	"github.com/kairoscx/kairos/channels/wecom/wecomtest"
)

// The corp id, token and key of WeCom's published callback sample
// (developer.work.weixin.qq.com/document/path/90968).
const (
	corpID = "wx5823bf96d3bd56c7"
	token  = "QDG6eK"
	aesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	kfID   = "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw"
)

type env struct {
	t        *testing.T
	ns       *relay.Embedded
	platform *wecomtest.Platform
	engine   *fakeengine.Engine
	now      func() time.Time
}

func newEnv(t *testing.T) *env {
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	p := wecomtest.New(corpID, "kf-secret")
	t.Cleanup(p.Close)
	nc, err := ns.Connect("engine")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	rel, err := relay.New(nc, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ns: ns, platform: p, engine: &fakeengine.Engine{Relay: rel}, now: time.Now}
}

type node struct {
	nc  *nats.Conn
	ch  *wecom.Channel
	srv *httptest.Server
}

func (n *node) URL() string { return n.srv.URL + "/channels/wecom/kf" }

func (n *node) close() {
	n.srv.Close()
	_ = n.ch.Close()
	n.nc.Close()
}

func (e *env) addNode() *node { return e.addNodeWith(wecom.Options{}) }

func (e *env) addNodeWith(o wecom.Options) *node {
	nc, err := e.ns.Connect("node")
	if err != nil {
		e.t.Fatal(err)
	}
	rel, err := relay.New(nc, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	ch, err := wecom.New(context.Background(), wecom.Config{Accounts: []wecom.AccountConfig{{
		Name: "kf", CorpID: corpID, Secret: "kf-secret", Token: token, EncodingAESKey: aesKey, APIBase: e.platform.URL(),
	}}}, opts(o, e, rel, nc))
	if err != nil {
		e.t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/channels/wecom/{name}", ch)
	n := &node{nc: nc, ch: ch, srv: httptest.NewServer(mux)}
	e.t.Cleanup(n.close)
	return n
}

func opts(o wecom.Options, e *env, rel *relay.Relay, nc *nats.Conn) wecom.Options {
	o.Engine, o.Relay, o.NATS, o.Now = e.engine, rel, nc, e.now
	return o
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func texts(sent []wecomtest.Sent) []string {
	var out []string
	for _, s := range sent {
		out = append(out, s.Text)
	}
	return out
}

// URL verification with WeCom's published sample: the echostr decrypts to
// 1616140317555161061 (the clock is set to the sample's time).
func TestURLVerificationPublishedVector(t *testing.T) {
	e := newEnv(t)
	e.now = func() time.Time { return time.Unix(1409659589, 0) }
	n := e.addNode()
	q := url.Values{"msg_signature": {"5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"}, "timestamp": {"1409659589"},
		"nonce": {"263014780"}, "echostr": {"P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="}}
	resp, err := http.Get(n.URL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "1616140317555161061" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	q.Set("msg_signature", strings.Repeat("0", 40))
	resp, err = http.Get(n.URL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged: %d", resp.StatusCode)
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t)
	n := e.addNode()
	other := wecomtest.New("ww-other-corp", "s")
	defer other.Close()
	// Signed with the right token but encrypted for another corp.
	if status, err := other.Notify(context.Background(), n.URL(), token, aesKey, kfID); err != nil || status != http.StatusForbidden {
		t.Fatalf("wrong corp id: %d %v", status, err)
	}
	resp, err := http.Post(n.URL()+"?msg_signature=x&timestamp=1&nonce=n", "text/xml", strings.NewReader("<xml/>"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("stale: %d", resp.StatusCode)
	}
	if e.platform.SyncCalls() != 0 || e.platform.TokenFetches() != 0 || e.engine.Connects() != 0 {
		t.Fatal("a refused callback reached the platform or the engine")
	}
}

// A kf message is synced and answered; after a restart the cursor is
// where it was: the old message is neither answered again nor missed.
func TestSyncAnswerAndCursorAcrossRestart(t *testing.T) {
	e := newEnv(t)
	n := e.addNode()
	e.platform.CustomerSays(kfID, "wmUserA", "你好")
	if status, err := e.platform.Notify(context.Background(), n.URL(), token, aesKey, kfID); err != nil || status != 200 {
		t.Fatalf("notify: %d %v", status, err)
	}
	eventually(t, "the answer", func() bool { return len(e.platform.Sent()) == 1 })
	if s := e.platform.Sent()[0]; s.Text != "echo: 你好" || s.ToUser != "wmUserA" || s.OpenKfID != kfID {
		t.Fatalf("sent %+v", s)
	}
	e.engine.Wait()
	n.close()

	// Messages arrive while no node runs; a new node starts.
	e.platform.CustomerSays(kfID, "wmUserA", "还在吗")
	e.platform.CustomerSays(kfID, "wmUserB", "hello")
	n2 := e.addNode()
	if status, err := e.platform.Notify(context.Background(), n2.URL(), token, aesKey, kfID); err != nil || status != 200 {
		t.Fatalf("notify: %d %v", status, err)
	}
	eventually(t, "both answers", func() bool { return len(e.platform.Sent()) == 3 })
	e.engine.Wait()
	n2.close()
	got := texts(e.platform.Sent())
	if strings.Join(got, "|") != "echo: 你好|echo: 还在吗|echo: hello" && strings.Join(got, "|") != "echo: 你好|echo: hello|echo: 还在吗" {
		t.Fatalf("sent %q", got)
	}
	if r := len(e.engine.Received()); r != 3 {
		t.Fatalf("engine received %d messages, want 3", r)
	}
}

// Many messages: sync_msg pages with has_more until all are handled.
func TestSyncPagesWithHasMore(t *testing.T) {
	e := newEnv(t)
	n := e.addNodeWith(wecom.Options{SyncLimit: 10})
	for i := range 25 {
		e.platform.CustomerSays(kfID, "wmUser"+string(rune('a'+i%20)), "q")
	}
	if _, err := e.platform.Notify(context.Background(), n.URL(), token, aesKey, kfID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(e.engine.Received()) < 25 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if r := len(e.engine.Received()); r != 25 {
		t.Fatalf("received %d of 25, %d sync calls", r, e.platform.SyncCalls())
	}
	if c := e.platform.SyncCalls(); c < 3 {
		t.Fatalf("%d sync calls for 25 messages", c)
	}
}

func TestEnterSessionWelcomeAndHandoff(t *testing.T) {
	e := newEnv(t)
	n := e.addNode()
	e.platform.EnterSession(kfID, "wmUserC", "shop_page")
	e.platform.CustomerSays(kfID, "wmUserC", "I want a human")
	if _, err := e.platform.Notify(context.Background(), n.URL(), token, aesKey, kfID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "welcome and answer", func() bool { return len(e.platform.Sent()) == 2 })
	sent := e.platform.Sent()
	if !sent[0].Welcome || sent[0].Text != wecom.DefaultWelcome {
		t.Fatalf("welcome %+v", sent[0])
	}
	var names []string
	for _, ev := range e.engine.Events() {
		names = append(names, ev.Name)
	}
	if strings.Join(names, ",") != "enter_session" {
		t.Fatalf("events %v", names)
	}
	sess, err := e.engine.Connect(context.Background(), wecom.ChannelName, channels.Identity{Kind: wecom.IdentityExternalUserID, Value: "wmUserC"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.ch.Handoff(context.Background(), sess.ConversationID, ""); err != nil {
		t.Fatal(err)
	}
	state, _, err := n.ch.ServiceState(context.Background(), sess.ConversationID)
	if err != nil || state != wecom.StateQueued {
		t.Fatalf("state %d %v", state, err)
	}
	// The bot can no longer write: WeCom says 95018 and the message is
	// reported pending.
	reports := make(chan channels.DeliveryReport, 8)
	sub, err := n.nc.Subscribe(channels.DeliverySubject(wecom.ChannelName), func(m *nats.Msg) {
		var r channels.DeliveryReport
		if json.Unmarshal(m.Data, &r) == nil {
			reports <- r
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := n.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	out := e.engine.Say(sess.ConversationID, "bot", "Anything else?", 0)
	// Reports of earlier messages (the welcome's) may still arrive: only
	// this message's report counts.
	for deadline := time.After(20 * time.Second); ; {
		select {
		case r := <-reports:
			if r.ConversationID != out.ConversationID || r.Seq != out.Seq {
				continue
			}
			if r.Status != channels.DeliveryPending || !strings.Contains(r.Reason, "95018") {
				t.Fatalf("report %+v", r)
			}
		case <-deadline:
			t.Fatal("no report")
		}
		break
	}
	if _, _, err := n.ch.ServiceState(context.Background(), "conv-unknown"); err == nil {
		t.Fatal("unknown conversation accepted")
	}
}

func TestTokenRefreshOn40014(t *testing.T) {
	e := newEnv(t)
	n := e.addNode()
	e.platform.CustomerSays(kfID, "wmUserD", "one")
	if _, err := e.platform.Notify(context.Background(), n.URL(), token, aesKey, kfID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "first answer", func() bool { return len(e.platform.Sent()) == 1 })
	e.platform.RevokeTokens()
	e.platform.CustomerSays(kfID, "wmUserD", "two")
	if _, err := e.platform.Notify(context.Background(), n.URL(), token, aesKey, kfID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "second answer", func() bool { return len(e.platform.Sent()) == 2 })
	if f := e.platform.TokenFetches(); f != 2 {
		t.Fatalf("token fetches %d", f)
	}
}
