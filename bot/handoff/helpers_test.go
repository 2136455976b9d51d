package handoff

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embedded"
)

// guard bounds waits for things that should happen: a hang detector, not a
// timing assertion.
const guard = 20 * time.Second

// startNATS runs an in-process NATS server with JetStream for one test.
func startNATS(t testing.TB) *relay.Embedded {
	t.Helper()
	srv, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

func connect(t testing.TB, srv *relay.Embedded, name string) *nats.Conn {
	t.Helper()
	nc, err := srv.Connect(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func openStore(t testing.TB) memory.Store {
	t.Helper()
	s, err := embedded.Open(context.Background(), embedded.Options{Dir: t.TempDir(), Dim: 64, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// outbox records what would be delivered to customers.
type outbox struct {
	mu  sync.Mutex
	got []channels.Outbound
}

func (o *outbox) Publish(_ context.Context, out channels.Outbound) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, out)
	return nil
}

func (o *outbox) all() []channels.Outbound {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]channels.Outbound(nil), o.got...)
}

// node is one gateway node's handoff service.
type node struct {
	svc *Service
	out *outbox
	nc  *nats.Conn
}

func startNode(t testing.TB, srv *relay.Embedded, store memory.Store, edit func(*Config)) *node {
	t.Helper()
	n := &node{out: &outbox{}, nc: connect(t, srv, "node")}
	cfg := Config{Conn: n.nc, Store: store, Outbox: n.out, Routing: Routing{MaxChats: 100_000, CheckEvery: time.Hour}}
	if os.Getenv("HANDOFF_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	svc, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	n.svc = svc
	return n
}

// conversation creates a customer and their web conversation.
func conversation(t testing.TB, store memory.Store, visitor string) memory.Conversation {
	t.Helper()
	ctx := context.Background()
	c, _, err := store.CustomerByIdentity(ctx, memory.Identity{Kind: "web_visitor", Value: visitor})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := store.CurrentConversation(ctx, c.ID, "web", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return conv
}

// request sends a contract request and decodes the reply.
func request(t testing.TB, nc *nats.Conn, subject string, payload any) Reply {
	t.Helper()
	var data []byte
	switch p := payload.(type) {
	case []byte:
		data = p
	case string:
		data = []byte(p)
	default:
		var err error
		if data, err = json.Marshal(payload); err != nil {
			t.Fatal(err)
		}
	}
	m, err := nc.Request(subject, data, guard)
	if err != nil {
		t.Fatalf("request %s: %v", subject, err)
	}
	var r Reply
	if err := json.Unmarshal(m.Data, &r); err != nil {
		t.Fatalf("reply to %s: %v: %s", subject, err, m.Data)
	}
	if r.V != Version {
		t.Fatalf("reply to %s without v=1: %s", subject, m.Data)
	}
	return r
}

func open1(t testing.TB, n *node, conv memory.Conversation, text string) Record {
	t.Helper()
	r, err := n.svc.Open(context.Background(), OpenRequest{ConversationID: conv.ID, CustomerID: conv.CustomerID, Channel: "web",
		Lang: "zh", Decision: Decision{Escalate: true, Reason: ReasonHumanRequest, Reasons: []string{ReasonHumanRequest}}, Question: text})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// eventually polls cond until it holds or the guard runs out.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type natsConn struct {
	nc    *nats.Conn
	agent string
}
