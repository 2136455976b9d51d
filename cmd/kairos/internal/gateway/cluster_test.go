package gateway

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/bot/llm/llmtest"
	"github.com/kairoscx/kairos/memory/postgres/pgtest"
)

// TestTwoNodes is the scale-out model: two gateway nodes share PostgreSQL
// and NATS (node A's NATS server, reached by node B over TCP). A customer
// with two tabs, one on each node, sees every reply in both, whichever node
// ran the turn.
func TestTwoNodes(t *testing.T) {
	pg := pgtest.URL(t)
	secret := strings.Repeat("s", 40)

	cfgA := testConfig(t)
	cfgA.PostgresURL, cfgA.Secret, cfgA.NATSListen = pg, secret, "127.0.0.1:0"
	a := startNode(t, cfgA)

	cfgB := testConfig(t)
	cfgB.PostgresURL, cfgB.Secret = pg, secret
	cfgB.NATSURL = a.g.natsSrv.ClientURL()
	b := startNode(t, cfgB)

	tabA, hello := dial(t, a.base, "")
	tabB, helloB := dial(t, b.base, "visitor="+url.QueryEscape(hello.Visitor))
	if helloB.ConversationID != hello.ConversationID {
		t.Fatalf("node B opened conversation %s, node A %s: one customer, one conversation", helloB.ConversationID, hello.ConversationID)
	}

	replyA := tabA.ask("How long does shipping take?")
	onB := tabB.read(func(f frame) bool { return f.Type == "message" && f.Role == "bot" })
	if onB.Seq != replyA.Seq || onB.Text != replyA.Text {
		t.Fatalf("tab on node B got %+v, want the reply node A sent: %+v", onB, replyA)
	}

	replyB := tabB.ask("退货政策是什么？")
	onA := tabA.read(func(f frame) bool { return f.Type == "message" && f.Role == "bot" && f.Seq == replyB.Seq })
	if onA.Text != replyB.Text {
		t.Fatalf("tab on node A got %q, want %q", onA.Text, replyB.Text)
	}
}

// TestStandaloneNATS runs a node against a NATS server of its own process
// (KAIROS_TEST_NATS_URL, default the local server at 127.0.0.1:4222), the
// production shape of KAIROS_NATS_URL. Skipped when no server answers,
// except under CI=true.
func TestStandaloneNATS(t *testing.T) {
	natsURL := os.Getenv("KAIROS_TEST_NATS_URL")
	if natsURL == "" {
		natsURL = "nats://127.0.0.1:4222"
	}
	u, err := url.Parse(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but no NATS server at %s: %v", natsURL, err)
		}
		t.Skipf("no NATS server at %s: %v", natsURL, err)
	}
	conn.Close()

	cfg := testConfig(t)
	cfg.NATSURL = natsURL
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	version := nc.ConnectedServerVersion()
	nc.Close()
	if !atLeast(version, 2, 12) {
		// An older server (Debian ships 2.9) cannot run the proactive
		// engine: the node refuses to start with a clear reason, and runs
		// everything else with triggers disabled.
		_, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "triggers.disabled") || !strings.Contains(err.Error(), version) {
			t.Fatalf("New against NATS %s: %v, want a refusal naming the version and triggers.disabled", version, err)
		}
		cfg.Triggers.Disabled = true
	}
	n := startNode(t, cfg)
	if n.g.natsSrv != nil {
		t.Fatal("node started its own NATS server despite nats_url")
	}
	c, _ := dial(t, n.base, "")
	if reply := c.ask("How long does shipping take?"); !strings.Contains(strings.ToLower(reply.Text), "day") {
		t.Fatalf("reply through standalone NATS = %q", reply.Text)
	}
}

// TestLLMPath configures an OpenAI-compatible API (the in-process fake
// speaking the real wire format) for chat and embeddings: the answer streams
// as deltas under the final message's seq, the model sees the retrieved
// passages, and a failing model falls back to the offline answer in the
// same turn.
func TestLLMPath(t *testing.T) {
	api := llmtest.NewServer(t, llmtest.WithEmbeddingDim(64),
		llmtest.WithResponder(llmtest.Reply("Orders usually arrive in 1-2 days in major cities.")))
	cfg := testConfig(t)
	cfg.LLM.BaseURL, cfg.LLM.APIKey, cfg.LLM.Model = api.URL(), api.Key(), "fake-chat"
	cfg.Embeddings.Model, cfg.Embeddings.Dim = "text-embedding-3-small", 64
	n := startNode(t, cfg)

	c, _ := dial(t, n.base, "")
	c.send(map[string]any{"type": "message", "id": "q1", "text": "How long does shipping take?"})
	var deltas strings.Builder
	var final frame
	for final.Type != "message" || final.Role != "bot" {
		f := c.read(func(f frame) bool { return f.Type == "delta" || (f.Type == "message" && f.Role == "bot") })
		if f.Type == "delta" {
			deltas.WriteString(f.Text)
			final.Seq = f.Seq
			continue
		}
		if final.Seq != 0 && f.Seq != final.Seq {
			t.Fatalf("deltas carried seq %d, final message %d", final.Seq, f.Seq)
		}
		final = f
	}
	if final.Text != "Orders usually arrive in 1-2 days in major cities." || deltas.String() != final.Text {
		t.Fatalf("final %q, streamed %q", final.Text, deltas.String())
	}

	// The model was given the knowledge base's passages, retrieved with the
	// remote embeddings, and the customer's words as data.
	reqs := api.ChatRequests()
	if len(reqs) == 0 {
		t.Fatal("the LLM was never called")
	}
	var prompt strings.Builder
	for _, m := range reqs[len(reqs)-1].Messages {
		prompt.WriteString(m.Text())
	}
	if !strings.Contains(prompt.String(), "SF Express") || !strings.Contains(prompt.String(), "How long does shipping take?") {
		t.Errorf("prompt lacks the shipping passage or the question:\n%s", prompt.String())
	}
	embedCalls := 0
	for _, r := range api.Requests() {
		if strings.HasSuffix(r.Path, "/embeddings") {
			embedCalls++
		}
	}
	if embedCalls == 0 {
		t.Error("the sample knowledge base was not embedded through the configured embeddings API")
	}

	// The model fails: the customer still gets the offline answer.
	api.SetResponder(llmtest.Fail(500, "server_error"))
	if reply := c.ask("How long does shipping take?"); !strings.Contains(reply.Text, "SF Express") {
		t.Fatalf("fallback reply = %q, want the offline answer from the knowledge base", reply.Text)
	}
}
