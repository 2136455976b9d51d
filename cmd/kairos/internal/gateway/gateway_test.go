package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
	"github.com/kairoscx/kairos/memory/postgres/pgtest"
)

// node is a gateway running for one test.
type node struct {
	g      *Gateway
	base   string // http://127.0.0.1:port
	cancel context.CancelFunc
	done   chan error

	once    sync.Once
	stopErr error
}

func testConfig(t *testing.T) config.Config {
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.Data = t.TempDir()
	cfg.ShutdownTimeout = config.Duration(10 * time.Second)
	return cfg
}

func startNode(t *testing.T, cfg config.Config) *node {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := New(ctx, cfg, logger)
	if err != nil {
		cancel()
		t.Fatalf("gateway.New: %v", err)
	}
	n := &node{g: g, base: "http://" + g.Addr(), cancel: cancel, done: make(chan error, 1)}
	go func() { n.done <- g.Serve(ctx) }()
	t.Cleanup(func() { n.stop(t) })
	return n
}

// stop cancels the node and waits for Serve to return; safe to call twice.
func (n *node) stop(t *testing.T) error {
	n.once.Do(func() {
		n.cancel()
		select {
		case n.stopErr = <-n.done:
			if n.stopErr != nil {
				t.Errorf("Serve returned %v", n.stopErr)
			}
		case <-time.After(30 * time.Second):
			n.stopErr = errors.New("gateway did not shut down")
			t.Error(n.stopErr)
		}
	})
	return n.stopErr
}

// storeConfigs are the two stores every gateway test runs against.
func storeConfigs(t *testing.T) map[string]func(t *testing.T) config.Config {
	return map[string]func(t *testing.T) config.Config{
		"embedded": testConfig,
		"postgres": func(t *testing.T) config.Config {
			cfg := testConfig(t)
			cfg.PostgresURL = pgtest.URL(t)
			return cfg
		},
	}
}

// chat is a minimal widget: it speaks the WebSocket protocol.
type chat struct {
	t    *testing.T
	conn *websocket.Conn
	next int
}

type frame struct {
	Type           string `json:"type"`
	Visitor        string `json:"visitor"`
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	Role           string `json:"role"`
	Text           string `json:"text"`
	ID             string `json:"id"`
	Code           string `json:"code"`
	Message        string `json:"message"`
	ReplyTo        int64  `json:"reply_to"`
}

func dial(t *testing.T, base, query string) (*chat, frame) {
	t.Helper()
	u := strings.Replace(base, "http://", "ws://", 1) + "/ws"
	if query != "" {
		u += "?" + query
	}
	conn, resp, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", u, err, resp)
	}
	t.Cleanup(func() { conn.Close() })
	c := &chat{t: t, conn: conn}
	hello := c.read(func(f frame) bool { return f.Type == "hello" })
	return c, hello
}

func (c *chat) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the first frame for which want is true, within 15 s.
func (c *chat) read(want func(frame) bool) frame {
	c.t.Helper()
	return c.readWithin(15*time.Second, want)
}

// readWithin is read with a patience of d: for frames that wait on work
// started in the background (the trigger engine's partitions come up after
// the node serves), which a loaded CI machine running other test binaries
// can slow down a lot.
func (c *chat) readWithin(d time.Duration, want func(frame) bool) frame {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(d))
	for {
		var f frame
		if err := c.conn.ReadJSON(&f); err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if want(f) {
			return f
		}
	}
}

// ask sends text and returns the bot's complete reply.
func (c *chat) ask(text string) frame {
	c.t.Helper()
	c.next++
	// Unique per tab, as the widget's ids are: two tabs of one visitor
	// share a conversation, where client ids identify resends.
	id := fmt.Sprintf("m%p-%d", c, c.next)
	c.send(map[string]any{"type": "message", "id": id, "text": text})
	f := c.read(func(f frame) bool { return f.Type == "message" && f.Role == "bot" })
	c.send(map[string]any{"type": "ack", "seq": f.Seq})
	return f
}

func TestChatAnswersFromKnowledge(t *testing.T) {
	for name, cfgFor := range storeConfigs(t) {
		t.Run(name, func(t *testing.T) {
			n := startNode(t, cfgFor(t))
			c, hello := dial(t, n.base, "lang=zh")
			if hello.Visitor == "" || hello.ConversationID == "" {
				t.Fatalf("hello = %+v", hello)
			}
			tests := []struct {
				ask  string
				want []string // any of these must be in the reply
			}{
				{"退货政策是什么？", []string{"7天", "7 天", "七天"}},
				{"How long does shipping take?", []string{"day"}},
				{"What's the weather on Mars?", []string{"human", "agent", "人工"}},
			}
			for _, tt := range tests {
				reply := c.ask(tt.ask)
				if !containsAny(reply.Text, tt.want) {
					t.Errorf("ask %q: reply %q has none of %q", tt.ask, reply.Text, tt.want)
				}
			}

			// A document added through the API is used by the very next answer.
			body := `{"title":"Island delivery","text":"Delivery to Kairos Island takes 12 working days by ferry. Ferry parcels cannot be tracked online."}`
			resp, err := http.Post(n.base+"/api/v1/knowledge/documents", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("POST document: %s", resp.Status)
			}
			if reply := c.ask("How long does delivery to Kairos Island take?"); !strings.Contains(reply.Text, "12") {
				t.Errorf("reply after ingest = %q, want the new document's 12 working days", reply.Text)
			}
		})
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(strings.ToLower(s), strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

func TestReconnectKeepsIdentityAndReplays(t *testing.T) {
	n := startNode(t, testConfig(t))
	c, hello := dial(t, n.base, "")
	c.next++
	c.send(map[string]any{"type": "message", "id": "only-once", "text": "How long does shipping take?"})
	first := c.read(func(f frame) bool { return f.Type == "message" && f.Role == "bot" })
	c.conn.Close() // never acked

	// Same visitor, no cursor: the unacked reply is replayed.
	c2, hello2 := dial(t, n.base, "visitor="+url.QueryEscape(hello.Visitor))
	if hello2.ConversationID != hello.ConversationID {
		t.Fatalf("conversation after reconnect = %s, want %s", hello2.ConversationID, hello.ConversationID)
	}
	// The whole transcript comes back in order: the question, then the
	// unacked reply.
	question := c2.read(func(f frame) bool { return f.Type == "message" })
	if question.Role != "customer" || question.Text != "How long does shipping take?" {
		t.Fatalf("first replayed message %+v, want the customer's question", question)
	}
	replayed := c2.read(func(f frame) bool { return f.Type == "message" })
	if replayed.Seq != first.Seq || replayed.Text != first.Text {
		t.Fatalf("replayed %+v, want %+v", replayed, first)
	}
	// Resending the same client id is answered with a duplicate receipt, not a second reply.
	c2.send(map[string]any{"type": "message", "id": "only-once", "text": "How long does shipping take?"})
	receipt := c2.read(func(f frame) bool { return f.Type == "receipt" })
	if receipt.ID != "only-once" {
		t.Fatalf("receipt = %+v", receipt)
	}
	var raw map[string]any
	c2.conn.SetReadDeadline(time.Now().Add(time.Second))
	if err := c2.conn.ReadJSON(&raw); err == nil && raw["type"] == "message" {
		t.Fatalf("a resend produced another message: %v", raw)
	}

	// A forged token gets a new identity, never the other visitor's chat.
	forged := hello.Visitor[:len(hello.Visitor)-2] + "AA"
	if forged == hello.Visitor {
		forged = hello.Visitor[:len(hello.Visitor)-2] + "BB"
	}
	_, hello3 := dial(t, n.base, "visitor="+url.QueryEscape(forged))
	if hello3.ConversationID == hello.ConversationID || hello3.Visitor == hello.Visitor {
		t.Fatalf("forged token reached the original conversation: %+v", hello3)
	}
}

func TestHTTPSurface(t *testing.T) {
	n := startNode(t, testConfig(t))
	tests := []struct {
		path        string
		status      int
		contentType string
		body        string
	}{
		{"/healthz", 200, "text/plain", "ok"},
		{"/readyz", 200, "application/json", `"ready":true`},
		{"/metrics", 200, "text/plain", "kairos_"},
		{"/widget.js", 200, "javascript", ""},
		{"/demo/", 200, "text/html", "widget.js"},
		{"/demo/refund-policy.html", 200, "text/html", "widget.js"},
		{"/api/v1/knowledge/documents", 200, "application/json", "documents"},
		{"/api/v1/nothing", 404, "application/json", "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(n.base + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, tt.contentType) {
				t.Errorf("content type %q, want %q", ct, tt.contentType)
			}
			if !strings.Contains(string(b), tt.body) {
				t.Errorf("body does not contain %q", tt.body)
			}
		})
	}
}

func TestAdminAuth(t *testing.T) {
	t.Run("no key: loopback only, never through a proxy", func(t *testing.T) {
		n := startNode(t, testConfig(t))
		req, _ := http.NewRequest("GET", n.base+"/api/v1/knowledge/documents", nil)
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("proxied request without key: %s, want 403", resp.Status)
		}
	})
	t.Run("with key", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.APIKey = "k-0123456789"
		n := startNode(t, cfg)
		for _, tt := range []struct {
			auth   string
			status int
		}{
			{"", 401}, {"Bearer wrong", 401}, {"k-0123456789", 401}, {"Bearer k-0123456789", 200},
		} {
			req, _ := http.NewRequest("GET", n.base+"/api/v1/knowledge/documents", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("Authorization %q: %s, want %d", tt.auth, resp.Status, tt.status)
			}
		}
	})
	t.Run("bad documents", func(t *testing.T) {
		n := startNode(t, testConfig(t))
		for _, tt := range []struct {
			body   string
			status int
		}{
			{`{"title":"x"`, 400},
			{`{"title":"","text":"x"}`, 400},
			{`{"title":"x","text":"y","extra":1}`, 400},
			{`{"title":"big","text":"` + strings.Repeat("a", 3<<20) + `"}`, 413},
		} {
			resp, err := http.Post(n.base+"/api/v1/knowledge/documents", "application/json", bytes.NewBufferString(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("body %.40q: %s, want %d (%s)", tt.body, resp.Status, tt.status, b)
			}
		}
	})
}

func TestGracefulShutdownClosesWebSockets(t *testing.T) {
	n := startNode(t, testConfig(t))
	c, _ := dial(t, n.base, "")
	n.cancel()
	c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		_, _, err := c.conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Fatalf("connection ended with %v, want a 1001 close frame", err)
		}
		break
	}
	if err := n.stop(t); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	// The store was flushed and released: a new node opens the same data dir.
	cfg := testConfig(t)
	cfg.Data = n.g.cfg.Data
	startNode(t, cfg)
}

func TestDataDirSecretSurvivesRestart(t *testing.T) {
	cfg := testConfig(t)
	a, err := loadSecret(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadSecret(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) < 32 || string(a) != string(b) {
		t.Fatalf("secret not stable: %q vs %q", a, b)
	}
}
