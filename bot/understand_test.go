package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/channels"
)

// riskAnalyzer records what the engine passes and raises the escalation
// risk by 0.25 for every earlier turn, so the test controls when the
// threshold is crossed.
type riskAnalyzer struct {
	mu    sync.Mutex
	calls [][]insight.Turn
	prior []int // len(earlier) per call
}

func (a *riskAnalyzer) Analyze(_ context.Context, turns []insight.Turn, earlier []insight.Insight) (insight.Insight, error) {
	a.mu.Lock()
	a.calls = append(a.calls, append([]insight.Turn(nil), turns...))
	a.prior = append(a.prior, len(earlier))
	a.mu.Unlock()
	in := insight.Analyze(turns[len(turns)-1].Text)
	in.Trajectory.EscalationRisk = 0.25 * float64(len(turns)-1)
	in.Need = insight.NeedReassurance
	return in, nil
}

func TestEscalatingConversationChangesToneAndOffersAHuman(t *testing.T) {
	a := &riskAnalyzer{}
	h := start(t, func(c *Config) { c.Insight = a })
	ctx := context.Background()
	say := func(id, text string, composeMS int64, deletions int) channels.Outbound {
		t.Helper()
		if _, err := h.e.Receive(ctx, channels.Inbound{
			ConversationID: h.sess.ConversationID, CustomerID: h.sess.CustomerID, Channel: "web",
			ClientID: id, Text: text, ComposeMS: composeMS, Deletions: deletions,
		}); err != nil {
			t.Fatal(err)
		}
		msg, _ := h.out.next(t, channels.OutMessage)
		return msg
	}
	// Every question is answered from the knowledge base (resolved).
	first := say("c1", "when does my refund arrive", 4000, 2)
	if strings.Contains(first.Text, "see it through") {
		t.Fatalf("first reply already intervenes: %q", first.Text)
	}
	say("c2", "when does my refund arrive??", 0, 0)
	say("c3", "WHERE IS MY REFUND", 0, 0)
	fourth := say("c4", "hello?? the refund??", 0, 0)

	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.calls) != 4 {
		t.Fatalf("analyzer called %d times, want 4", len(a.calls))
	}
	last := a.calls[3]
	if len(last) != 4 {
		t.Fatalf("fourth call saw %d turns, want the whole conversation (4)", len(last))
	}
	if last[0].ComposeMS != 4000 || last[0].Deletions != 2 {
		t.Errorf("first turn's composition signals = %d ms, %d deletions; want 4000, 2", last[0].ComposeMS, last[0].Deletions)
	}
	if want := last[1].At.Sub(last[0].At).Milliseconds(); last[1].GapMS != want {
		// Between the two messages came the bot's reply, so the gap is at
		// most the time between the customer's messages.
		if last[1].GapMS > want || last[1].GapMS < 0 {
			t.Errorf("second turn's gap = %d ms, want 0..%d", last[1].GapMS, want)
		}
	}
	for i, turn := range last[:3] {
		if !turn.Resolved || turn.BotReply == "" {
			t.Errorf("turn %d: resolved=%v reply=%q; want the bot's grounded reply recorded as resolving it", i, turn.Resolved, turn.BotReply)
		}
	}
	if a.prior[3] != 3 {
		t.Errorf("fourth call got %d earlier insights, want 3", a.prior[3])
	}
	// Risk 0.75 ≥ threshold on the fourth turn: the answer, then an
	// apology and an offer of a human, in the language of the message.
	if !strings.Contains(fourth.Text, "3-5 working days") || !strings.Contains(fourth.Text, "see it through") || !strings.Contains(fourth.Text, "human") {
		t.Errorf("fourth reply = %q, want the reassurance intervention offering a human", fourth.Text)
	}
}

func TestConversationIsRebuiltFromHistoryOnAnotherEngine(t *testing.T) {
	a := &riskAnalyzer{}
	h := start(t, func(c *Config) { c.Insight = a })
	h.send(t, "c1", "我的快递到哪了")
	h.out.next(t, channels.OutMessage)
	// A second engine on the same store (another node) sees the earlier
	// turn from history.
	b := &riskAnalyzer{}
	h2 := start(t, func(c *Config) { c.Insight = b; c.Store = h.store; c.Knowledge = &kb{} })
	if _, err := h2.e.Receive(context.Background(), channels.Inbound{
		ConversationID: h.sess.ConversationID, CustomerID: h.sess.CustomerID, Channel: "web", ClientID: "c2", Text: "还没到吗",
	}); err != nil {
		t.Fatal(err)
	}
	h2.out.next(t, channels.OutMessage)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.calls) != 1 || len(b.calls[0]) != 2 || b.calls[0][0].Text != "我的快递到哪了" {
		t.Fatalf("other node's analyzer saw %+v, want the earlier turn rebuilt from history", b.calls)
	}
	if !b.calls[0][0].Resolved {
		t.Error("a rebuilt turn must count as resolved, so a rebuild never raises the risk")
	}
}

// TestOfflineAnalyzerIntervenesBeforeAnger runs the default analyzer on a
// customer who keeps asking the same thing with rising impatience: the bot
// apologises and offers a human before the customer asks for one or turns
// angry.
func TestOfflineAnalyzerIntervenesBeforeAnger(t *testing.T) {
	h := start(t, func(c *Config) { c.Knowledge = &kb{all: true} })
	turns := []string{
		"When will my refund arrive?",
		"ok but when exactly will the refund arrive? it's been a week",
		"I already asked this. When will my refund arrive??",
	}
	var replies []string
	for i, text := range turns {
		h.send(t, fmt.Sprintf("c%d", i), text)
		msg, _ := h.out.next(t, channels.OutMessage)
		replies = append(replies, msg.Text)
	}
	if strings.Contains(replies[0], "human colleague right now") {
		t.Errorf("first, calm question already got an intervention: %q", replies[0])
	}
	if !strings.Contains(replies[2], "human colleague right now") {
		t.Errorf("third ask of the same question: reply %q, want an apology and an offer of a human", replies[2])
	}
}
