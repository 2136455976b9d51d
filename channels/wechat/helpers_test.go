package wechat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/channels/wechat"
	"github.com/kairoscx/kairos/channels/wechat/fakeengine"
	"github.com/kairoscx/kairos/channels/wechat/wechattest"
)

const (
	appID  = "wx2c2769f8efd9abc2"
	secret = "the-app-secret"
	token  = "spamtest"
	aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	ghID   = "gh_10f6c3c3ac5a"
)

// clock is a settable clock shared by the channel nodes and the fake.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a cluster in a test: one NATS server, one fake platform, one fake
// engine (the shared store) and any number of channel nodes.
type env struct {
	t        *testing.T
	ns       *relay.Embedded
	platform *wechattest.Platform
	engine   *fakeengine.Engine
	clock    *clock
	nodes    []*node
	opts     wechat.Options
}

// node is one gateway node: its own NATS connection, relay and channel.
type node struct {
	nc  *nats.Conn
	ch  *wechat.Channel
	srv *httptest.Server
}

// URL is the callback URL of the account on this node.
func (n *node) URL() string { return n.srv.URL + "/channels/wechat/main" }

func newEnv(t *testing.T, o wechat.Options) *env {
	t.Helper()
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	p := wechattest.New(appID, secret)
	t.Cleanup(p.Close)
	clk := &clock{t: time.Now()}
	p.SetClock(clk.Now)
	e := &env{t: t, ns: ns, platform: p, engine: &fakeengine.Engine{}, clock: clk, opts: o}
	nc, err := ns.Connect("engine")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	rel, err := relay.New(nc, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.engine.Relay = rel
	return e
}

func (e *env) account() wechat.AccountConfig {
	return wechat.AccountConfig{Name: "main", AppID: appID, AppSecret: secret, Token: token, EncodingAESKey: aesKey, APIBase: e.platform.URL()}
}

// addNode starts another gateway node.
func (e *env) addNode() *node {
	t := e.t
	t.Helper()
	nc, err := e.ns.Connect("node")
	if err != nil {
		t.Fatal(err)
	}
	rel, err := relay.New(nc, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := e.opts
	o.Engine, o.Relay, o.NATS, o.Now = e.engine, rel, nc, e.clock.Now
	ch, err := wechat.New(context.Background(), wechat.Config{Accounts: []wechat.AccountConfig{e.account()}}, o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/channels/wechat/{name}", ch)
	n := &node{nc: nc, ch: ch, srv: httptest.NewServer(mux)}
	t.Cleanup(func() {
		n.srv.Close()
		_ = n.ch.Close()
		n.nc.Close()
	})
	e.nodes = append(e.nodes, n)
	return n
}

// settle waits for the engine's answers and every node's background work.
func (e *env) settle() {
	e.engine.Wait()
	for _, n := range e.nodes {
		_ = n.ch.Close()
	}
}

func (e *env) pusher(mode wechattest.Mode) *wechattest.Pusher {
	ps, err := e.platform.Pusher(token, aesKey, mode)
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

func textMessage(openid string, id int64, text string, at time.Time) wechattest.Message {
	return wechattest.Message{ToUserName: ghID, FromUserName: openid, CreateTime: at, MsgType: "text", Content: text, MsgID: id}
}

// eventually polls cond until it holds or the test's patience runs out.
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
