package bot

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/kairoscx/kairos/bot/llm/llmtest"
	"github.com/kairoscx/kairos/bot/predict/nba"
	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/memory"
)

// fixedBest always picks one action and records what it was told.
type fixedBest struct {
	action string
	mu     sync.Mutex
	n      int
	seen   []nba.Situation
	fb     []string // "decision:outcome"
}

func (f *fixedBest) Decide(_ context.Context, s nba.Situation) (nba.Decision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	f.seen = append(f.seen, s)
	return nba.Decision{ID: "d" + string(rune('0'+f.n)), CustomerID: s.CustomerID, Action: f.action}, nil
}

func (f *fixedBest) Feedback(_ context.Context, _, decisionID, outcome string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fb = append(f.fb, decisionID+":"+outcome)
	return true, nil
}

func (f *fixedBest) feedback() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.fb...)
}

func TestNextBestActionIsOfferedAndItsOutcomeLearned(t *testing.T) {
	best := &fixedBest{action: nba.Exchange}
	h := startMemory(t, func(c *Config) { c.NextBest = best; c.Knowledge = &kb{all: true} })
	h.send(t, "c1", "退款多久到账？")
	msg, _ := h.out.next(t, channels.OutMessage)
	if !strings.Contains(msg.Text, "3-5 个工作日") || !strings.Contains(msg.Text, "直接换货") {
		t.Fatalf("reply %q, want the answer followed by the exchange offer", msg.Text)
	}
	if len(best.seen) != 1 || best.seen[0].CustomerID != h.sess.CustomerID {
		t.Fatalf("decided for %+v, want the conversation's customer", best.seen)
	}
	// "好的" accepts the offer of the previous reply.
	h.send(t, "c2", "好的")
	h.out.next(t, channels.OutMessage)
	if got := best.feedback(); len(got) != 1 || got[0] != "d1:accepted" {
		t.Fatalf("feedback %v, want d1:accepted", got)
	}
	// A no declines the next one.
	h.send(t, "c3", "退款什么时候到？")
	h.out.next(t, channels.OutMessage)
	h.send(t, "c4", "不用了，谢谢")
	h.out.next(t, channels.OutMessage)
	if got := best.feedback(); len(got) < 3 || got[2] != "d3:declined" {
		t.Fatalf("feedback %v, want the third offer declined", got)
	}
}

func TestOfferNotShownIsNotCountedAsAnswered(t *testing.T) {
	// Nothing relevant in the knowledge base: the honest "don't know" reply
	// carries no coupon offer, so the customer's next words are not read as
	// a response to one.
	best := &fixedBest{action: nba.Coupon}
	h := startMemory(t, func(c *Config) { c.NextBest = best })
	h.send(t, "c1", "do you sell rockets?")
	msg, _ := h.out.next(t, channels.OutMessage)
	if strings.Contains(msg.Text, "coupon") {
		t.Fatalf("reply %q offers a coupon with no answer", msg.Text)
	}
	h.send(t, "c2", "ok")
	h.out.next(t, channels.OutMessage)
	if got := best.feedback(); len(got) != 0 {
		t.Fatalf("feedback %v for an offer the customer never saw", got)
	}
}

func TestYesNo(t *testing.T) {
	for text, want := range map[string]int{
		"好的": 1, "可以啊": 1, "yes please": 1, "Sure!": 1, "ok": 1,
		"不用了": -1, "不需要，谢谢": -1, "no thanks": -1, "Nope": -1,
		"where is my parcel": 0, "好的，但是我的快递到底什么时候能到呢？我已经等了一个多星期了": 0,
	} {
		if got := yesNo(text); got != want {
			t.Errorf("yesNo(%q) = %d, want %d", text, got, want)
		}
	}
}

// TestHandoffSuggestionsIncludeAModelDraft: with a language model the agent
// gets its draft first, then the knowledge base's passages phrased offline;
// without one, only the latter.
func TestHandoffSuggestionsIncludeAModelDraft(t *testing.T) {
	const draft = "您好，退款会在审核通过后 3-5 个工作日原路退回，我帮您加急处理。"
	s := llmtest.NewServer(t, llmtest.WithResponder(llmtest.Reply(draft)))
	h := start(t, func(c *Config) { withLLM(t, s)(c); c.Knowledge = &kb{all: true} })
	msgs := []memory.Message{{Role: memory.RoleCustomer, Text: "退款多久到账？"}}
	got := h.e.suggestions(context.Background(), "退款多久到账？", msgs, "zh")
	if len(got) < 2 || got[0].Text != draft || got[0].Source != "AI draft" || got[1].Source == "AI draft" {
		t.Fatalf("suggestions %+v, want the model's draft first, then knowledge-base replies", got)
	}
	off := start(t, func(c *Config) { c.Knowledge = &kb{all: true} })
	for _, sg := range off.e.suggestions(context.Background(), "退款多久到账？", msgs, "zh") {
		if sg.Source == "AI draft" {
			t.Fatalf("a draft without a model: %+v", sg)
		}
	}
}
