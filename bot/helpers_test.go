package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/offline"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/knowledge"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embedded"
	"github.com/kairoscx/kairos/prompts"
)

// outbox is a channel-backed Outbox.
type outbox struct{ ch chan channels.Outbound }

func newOutbox() *outbox { return &outbox{ch: make(chan channels.Outbound, 10000)} }

func (o *outbox) Publish(ctx context.Context, out channels.Outbound) error {
	select {
	case o.ch <- out:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// guard bounds how long a test waits for something that should happen; it
// is a hang detector, not a timing assertion.
const guard = 20 * time.Second

// next returns the next outbound of kind, with everything skipped before it.
func (o *outbox) next(t testing.TB, kind string) (channels.Outbound, []channels.Outbound) {
	t.Helper()
	var skipped []channels.Outbound
	timeout := time.After(guard)
	for {
		select {
		case out := <-o.ch:
			if out.Kind == kind {
				return out, skipped
			}
			skipped = append(skipped, out)
		case <-timeout:
			t.Fatalf("no %s published (saw %+v)", kind, skipped)
		}
	}
}

// events is a recording EventSink.
type events struct {
	mu  sync.Mutex
	got []channels.Event
}

func (s *events) PublishEvent(_ context.Context, ev channels.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, ev)
	return nil
}

// kb is a fake Knowledge: every query finds the refund passages, relevant
// when the query mentions refunds (or always, when all is set).
type kb struct {
	all     bool
	mu      sync.Mutex
	queries []string
}

var refundChunks = []memory.Chunk{
	{ID: "c1", Title: "退换货政策", Heading: "退款多久到账？", Text: "退款审核通过后 3-5 个工作日原路退回。", Lang: "zh"},
	{ID: "c2", Title: "Returns policy", Heading: "When do refunds arrive?", Text: "Refunds reach your original payment method within 3-5 working days.", Lang: "en"},
}

func (k *kb) Search(_ context.Context, query string, n int) ([]knowledge.Hit, error) {
	k.mu.Lock()
	k.queries = append(k.queries, query)
	k.mu.Unlock()
	q := strings.ToLower(query)
	relevant := k.all || strings.Contains(q, "退款") || strings.Contains(q, "refund")
	var hits []knowledge.Hit
	for i, c := range refundChunks {
		hits = append(hits, knowledge.Hit{Chunk: c, Score: 1 / float64(i+1), Relevant: relevant})
	}
	return hits[:min(n, len(hits))], nil
}

func (k *kb) lastQuery() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.queries[len(k.queries)-1]
}

// gate is a reasoner that blocks each answer until released, recording the
// order of questions and how many answers ran at once.
type gate struct {
	entered   chan string
	release   chan struct{}
	mu        sync.Mutex
	seen      []string
	histories [][]reason.Turn
	active    atomic.Int32
	maxActive atomic.Int32
}

func newGate() *gate {
	return &gate{entered: make(chan string, 100), release: make(chan struct{})}
}

func (g *gate) Answer(ctx context.Context, req reason.Request, emit func(string)) (reason.Reply, error) {
	n := g.active.Add(1)
	defer g.active.Add(-1)
	for {
		m := g.maxActive.Load()
		if n <= m || g.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	g.mu.Lock()
	g.seen = append(g.seen, req.Question)
	g.histories = append(g.histories, req.History)
	g.mu.Unlock()
	g.entered <- req.Question
	select {
	case <-g.release:
	case <-ctx.Done():
		return reason.Reply{}, ctx.Err()
	}
	emit("ok")
	return reason.Reply{Text: "ok: " + req.Question, Reasoner: "gate"}, nil
}

// failing is a reasoner that always fails.
type failing struct{}

func (failing) Answer(context.Context, reason.Request, func(string)) (reason.Reply, error) {
	return reason.Reply{}, errors.New("boom")
}

// clock is a settable clock shared by the store and the engine.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openStore(t testing.TB, now func() time.Time) memory.Store {
	t.Helper()
	s, err := embedded.Open(context.Background(), embedded.Options{Dir: t.TempDir(), Dim: 256, Now: now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newOffline(t testing.TB) *offline.Reasoner {
	t.Helper()
	p, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return offline.New(p)
}

// harness is an engine wired to fakes, with one connected visitor.
type harness struct {
	e     *Engine
	out   *outbox
	kb    *kb
	store memory.Store
	sess  channels.Session
}

// start builds an engine; edit adjusts the config before New.
func start(t testing.TB, edit func(*Config)) *harness {
	t.Helper()
	h := &harness{out: newOutbox(), kb: &kb{}}
	cfg := Config{
		Knowledge: h.kb, Reasoner: newOffline(t), Fallback: newOffline(t), Outbox: h.out,
		TurnTimeout: 10 * time.Second, ReasonerTimeout: 5 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	if cfg.Store == nil {
		cfg.Store = openStore(t, cfg.Now)
	}
	h.store = cfg.Store
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		e.Close(ctx)
	})
	h.sess, err = e.Connect(context.Background(), "web", channels.Identity{Kind: "web_visitor", Value: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) send(t testing.TB, clientID, text string) channels.Receipt {
	t.Helper()
	r, err := h.e.Receive(context.Background(), channels.Inbound{
		ConversationID: h.sess.ConversationID, CustomerID: h.sess.CustomerID, Channel: "web", ClientID: clientID, Text: text,
	})
	if err != nil {
		t.Fatalf("Receive(%q): %v", text, err)
	}
	return r
}

// replies returns the stored non-customer messages.
func (h *harness) replies(t testing.TB) []channels.Outbound {
	t.Helper()
	all, err := h.e.Replay(context.Background(), h.sess.ConversationID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []channels.Outbound
	for _, o := range all {
		if o.Role != "customer" {
			out = append(out, o)
		}
	}
	return out
}

// idle waits until the engine has no queued or running turn.
func (h *harness) idle(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for time.Now().Before(deadline) {
		h.e.mu.Lock()
		n := len(h.e.queues)
		h.e.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("engine never went idle")
}
