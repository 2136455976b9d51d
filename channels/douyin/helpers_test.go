package douyin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/channels/douyin"
	"github.com/kairoscx/kairos/channels/douyin/douyintest"
	"github.com/kairoscx/kairos/channels/outbound"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/channels/wechat/fakeengine"
)

const (
	clientKey    = "awtestclientkey01"
	clientSecret = "0123456789abcdef0123456789abcdef"
	bizOpenID    = "_000bizOpenIDOfTheBusinessAccount"
	refreshTok   = "rft.test-refresh-token"
	userOpenID   = "_000userOpenIDAAAA"
)

// clock is a settable clock shared by the nodes and the fake.
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

// env is a cluster in a test: one NATS server, the fake platform, the fake
// engine and any number of gateway nodes.
type env struct {
	t        *testing.T
	ns       *relay.Embedded
	platform *douyintest.Platform
	engine   *fakeengine.Engine
	clock    *clock
	nodes    []*node
	opts     douyin.Options
	sleeps   sleepLog
}

type node struct {
	nc  *nats.Conn
	ch  *douyin.Channel
	srv *httptest.Server
}

func (n *node) URL() string { return n.srv.URL + "/channels/douyin/main" }

// sleepLog records the client's backoff waits instead of waiting.
type sleepLog struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepLog) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waits)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	p := douyintest.New(clientKey, clientSecret, bizOpenID, refreshTok)
	t.Cleanup(p.Close)
	clk := &clock{t: time.Now()}
	p.SetClock(clk.Now)
	e := &env{t: t, ns: ns, platform: p, engine: &fakeengine.Engine{}, clock: clk}
	e.opts.Client = &outbound.Client{Sleep: e.sleeps.sleep}
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

func (e *env) account() douyin.Account {
	return douyin.Account{Name: "main", ClientKey: clientKey, ClientSecret: clientSecret, APIBase: e.platform.URL(),
		OpenID: bizOpenID, RefreshToken: refreshTok}
}

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
	ch, err := douyin.New(context.Background(), douyin.Config{Accounts: []douyin.Account{e.account()}}, o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ch.Register(mux)
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

// post sends a webhook and returns the status and body.
func post(t *testing.T, w douyintest.Webhook, url string) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(w.Request(url))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
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

func (e *env) sentTexts() []string {
	var out []string
	for _, s := range e.platform.Sent() {
		out = append(out, s.Text)
	}
	return out
}
