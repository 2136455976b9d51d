package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/channels/web"
)

var testSecret = bytes.Repeat([]byte("k"), 32)

type env struct {
	srv    *httptest.Server
	h      *web.Handler
	engine *fakeEngine
	clock  *clock
	// webNC and dispatch are the web node's NATS connection and the
	// dispatcher the handler subscribes through.
	webNC    *nats.Conn
	dispatch *relay.Dispatcher
}

// newEnv starts a web handler behind an httptest server. The engine
// publishes on one NATS connection and the handler subscribes on another,
// as two gateway nodes would.
func newEnv(t testing.TB, tweak func(*web.Config)) *env {
	t.Helper()
	return newEnvBuffer(t, tweak, 0)
}

// newEnvBuffer is newEnv with the web node's dispatch buffer set (0: the
// default).
func newEnvBuffer(t testing.TB, tweak func(*web.Config), buffer int) *env {
	t.Helper()
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	connect := func(name string) (*relay.Relay, *nats.Conn) {
		nc, err := ns.Connect(name)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}) // slow-consumer noise
		t.Cleanup(nc.Close)
		r, err := relay.New(nc, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r, nc
	}
	clk := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	engRelay, _ := connect("engine-node")
	eng := newFakeEngine(engRelay, clk.Now)
	webRelay, webNC := connect("web-node")
	dispatch := webRelay.Dispatcher()
	if buffer > 0 {
		dispatch = relay.NewDispatcher(webNC, relay.DispatcherOptions{Buffer: buffer})
	}
	cfg := web.Config{Engine: eng, Relay: dispatch, Secret: testSecret, Now: clk.Now,
		AllowedOrigins: []string{"https://shop.example.com"}}
	if tweak != nil {
		tweak(&cfg)
	}
	h, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
	})
	return &env{srv: srv, h: h, engine: eng, clock: clk, webNC: webNC, dispatch: dispatch}
}

func (e *env) wsURL(q url.Values) string {
	return "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws?" + q.Encode()
}

// dial connects and reads the hello frame.
func (e *env) dial(t *testing.T, q url.Values) (*websocket.Conn, frame) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(e.wsURL(q), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	hello := read(t, ws)
	if hello.Type != "hello" {
		t.Fatalf("first frame = %+v, want hello", hello)
	}
	return ws, hello
}

// frame is any server frame.
type frame struct {
	Type           string `json:"type"`
	Visitor        string `json:"visitor"`
	ConversationID string `json:"conversation_id"`
	LastSeq        int64  `json:"last_seq"`
	ID             string `json:"id"`
	Seq            int64  `json:"seq"`
	Duplicate      bool   `json:"duplicate"`
	Role           string `json:"role"`
	Text           string `json:"text"`
	ReplyTo        int64  `json:"reply_to"`
	At             string `json:"at"`
	Code           string `json:"code"`
	Message        string `json:"message"`
	CustomerID     string `json:"customer_id"`
}

func read(t *testing.T, ws *websocket.Conn) frame {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("frame type %d, want text", typ)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("server sent invalid JSON %q: %v", data, err)
	}
	return f
}

// readUntil reads frames until one of type typ arrives and returns the
// frames before it too.
func readUntil(t *testing.T, ws *websocket.Conn, typ string) (frame, []frame) {
	t.Helper()
	var before []frame
	for range 1000 {
		f := read(t, ws)
		if f.Type == typ {
			return f, before
		}
		before = append(before, f)
	}
	t.Fatalf("no %s frame", typ)
	return frame{}, nil
}

func send(t *testing.T, ws *websocket.Conn, v any) {
	t.Helper()
	var data []byte
	switch v := v.(type) {
	case string:
		data = []byte(v)
	default:
		var err error
		if data, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := ws.WriteMessage(websocket.TextMessage, data); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// roundTrip proves the connection still works: a ping gets a pong.
func roundTrip(t *testing.T, ws *websocket.Conn) {
	t.Helper()
	send(t, ws, `{"type":"ping"}`)
	readUntil(t, ws, "pong")
}

// eventually polls cond; it fails the test when cond stays false.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func q(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}
