package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/kairoscx/kairos/channels/console"
	"github.com/kairoscx/kairos/channels/relay"
)

// env is a console over a real in-process NATS server with a fake gateway.
type env struct {
	t    *testing.T
	nc   *nats.Conn
	js   jetstream.JetStream
	con  *console.Console
	desk *fakeDesk
	srv  *httptest.Server
	api  *httptest.Server // fake admin API (approvals)

	mu        sync.Mutex
	decisions []string
	// outcomeQueries are the query strings GET /api/v1/outcomes received;
	// outcomes is its answer (status and body), by default the fixture
	// testdata/outcomes.json.
	outcomeQueries []string
	outcomes       func(q url.Values) (int, []byte)
}

func startNATS(t *testing.T) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := ns.Connect("console-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

func newEnv(t *testing.T, tweak func(*console.Config)) *env {
	t.Helper()
	nc, js := startNATS(t)
	e := &env{t: t, nc: nc, js: js}
	e.desk = newFakeDesk(t, nc)
	e.api = httptest.NewServer(http.HandlerFunc(e.fakeAPI))
	t.Cleanup(e.api.Close)
	cfg := console.Config{NATS: nc, JS: js, BcryptCost: bcrypt.MinCost, APIBase: e.api.URL, APIKey: "test-key"}
	if tweak != nil {
		tweak(&cfg)
	}
	con, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = con.Close() })
	e.con = con
	mux := http.NewServeMux()
	mux.Handle("/console/", con.Handler())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// fakeAPI is the proactive approval API of bot/proactive (its documented
// routes and shapes), holding one pending draft.
func (e *env) fakeAPI(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer test-key" {
		http.Error(w, `{"error":{"code":"unauthorized"}}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/proactive/approvals":
		_, _ = w.Write([]byte(`{"approvals":[{"id":"d1","trigger":"refund_hesitation","customer":"cu_1","lang":"en","text":"<img src=x onerror=alert(1)> Need help with your refund?","status":"pending"}]}`))
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/outcomes":
		e.mu.Lock()
		e.outcomeQueries = append(e.outcomeQueries, r.URL.RawQuery)
		answer := e.outcomes
		e.mu.Unlock()
		status, body := http.StatusOK, []byte(nil)
		if answer != nil {
			status, body = answer(r.URL.Query())
		} else {
			var err error
			if body, err = os.ReadFile("testdata/outcomes.json"); err != nil {
				status, body = http.StatusInternalServerError, []byte(`{"error":"fixture missing"}`)
			}
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/v1/proactive/approvals/"):
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		e.mu.Lock()
		e.decisions = append(e.decisions, r.URL.Path+" by="+body["by"]+" text="+body["text"])
		e.mu.Unlock()
		_, _ = w.Write([]byte(`{"approval":{"id":"d1","status":"approved"}}`))
	default:
		http.NotFound(w, r)
	}
}

func (e *env) addAgent(name, role string, queues ...string) {
	e.t.Helper()
	if _, err := e.con.Accounts().Add(context.Background(), console.NewAgent{Name: name, Password: "password-" + name, Role: role, Queues: queues}); err != nil {
		e.t.Fatal(err)
	}
}

// agentClient is a logged-in HTTP client with its CSRF token.
type agentClient struct {
	e    *env
	http *http.Client
	csrf string
	name string
}

func (e *env) login(name string) *agentClient {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &agentClient{e: e, http: &http.Client{Jar: jar}, name: name}
	resp, body := c.do(http.MethodPost, "/console/api/login", map[string]string{"name": name, "password": "password-" + name}, nil)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", name, resp.StatusCode, body)
	}
	var out struct{ CSRF string }
	_ = json.Unmarshal(body, &out)
	c.csrf = out.CSRF
	return c
}

func (c *agentClient) do(method, path string, body any, hdr map[string]string) (*http.Response, []byte) {
	c.e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, c.e.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp, buf.Bytes()
}

// wsConn is a console WebSocket with a frame reader.
type wsConn struct {
	t  *testing.T
	ws *websocket.Conn
}

func (c *agentClient) dial() *wsConn {
	c.e.t.Helper()
	u := "ws" + strings.TrimPrefix(c.e.srv.URL, "http") + "/console/ws?csrf=" + c.csrf
	hdr := http.Header{"Origin": {c.e.srv.URL}}
	for _, ck := range c.http.Jar.Cookies(mustURL(c.e.srv.URL + "/console/")) {
		hdr.Add("Cookie", ck.Name+"="+ck.Value)
	}
	ws, resp, err := websocket.DefaultDialer.Dial(u, hdr)
	if err != nil {
		c.e.t.Fatalf("dial: %v (%v)", err, resp)
	}
	c.e.t.Cleanup(func() { ws.Close() })
	return &wsConn{t: c.e.t, ws: ws}
}

func (w *wsConn) send(f map[string]any) {
	w.t.Helper()
	if err := w.ws.WriteJSON(f); err != nil {
		w.t.Fatal(err)
	}
}

// await reads frames until one satisfies ok, failing after 10 s.
func (w *wsConn) await(what string, ok func(map[string]any) bool) map[string]any {
	w.t.Helper()
	_ = w.ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	var skipped []map[string]any
	for {
		var f map[string]any
		if err := w.ws.ReadJSON(&f); err != nil {
			w.t.Fatalf("waiting for %s: %v (skipped %v)", what, err, skipped)
		}
		if ok(f) {
			return f
		}
		skipped = append(skipped, f)
	}
}

func typeIs(typ string) func(map[string]any) bool {
	return func(f map[string]any) bool { return f["type"] == typ }
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// awaitAll reads frames until one of each type has arrived, in any order
// (a gateway's result may overtake the console's own acknowledgement).
func (w *wsConn) awaitAll(types ...string) map[string]map[string]any {
	w.t.Helper()
	got := map[string]map[string]any{}
	want := map[string]bool{}
	for _, t := range types {
		want[t] = true
	}
	w.await(strings.Join(types, "+"), func(f map[string]any) bool {
		typ, _ := f["type"].(string)
		if want[typ] && got[typ] == nil {
			got[typ] = f
		}
		return len(got) == len(want)
	})
	return got
}
