package bot

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/llm"
	"github.com/kairoscx/kairos/bot/llm/llmtest"
	"github.com/kairoscx/kairos/bot/outcomes"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/prompts"
)

// TestTurnTokensReachTheReport: the LLM's usage, as the API reports it,
// goes into the turn events (with its cost when prices are configured),
// and the outcome report shows tokens and cost per resolved conversation
// from them; offline turns record no tokens and the report says "no data".
func TestTurnTokensReachTheReport(t *testing.T) {
	const prompt, completion = 1200, 80
	cases := []struct {
		name     string
		llm      bool
		price    llm.Price
		wantCost float64 // per turn; NaN: no cost recorded
	}{
		{"llm with prices", true, llm.Price{Input: 0.15, Output: 0.60}, (prompt*0.15 + completion*0.60) / 1e6},
		{"llm without prices", true, llm.Price{}, math.NaN()},
		{"offline", false, llm.Price{}, math.NaN()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := llmtest.NewServer(t, llmtest.WithResponder(func(*llmtest.ChatRequest) llmtest.Response {
				return llmtest.Response{Text: "退款审核通过后 3-5 个工作日原路退回。", Usage: &llmtest.Usage{PromptTokens: prompt, CompletionTokens: completion}}
			}))
			sink := &events{}
			h := start(t, func(cfg *Config) {
				cfg.Events = sink
				if !c.llm {
					return
				}
				p, err := prompts.Load("")
				if err != nil {
					t.Fatal(err)
				}
				r, err := llm.New(llm.Config{BaseURL: s.URL(), APIKey: s.Key(), Model: "gpt-4o-mini", Prompts: p, Price: c.price})
				if err != nil {
					t.Fatal(err)
				}
				cfg.Reasoner = r
			})
			h.kb.all = true
			h.send(t, "c1", "我的退款多久到账？")
			h.idle(t)
			h.send(t, "c2", "退款还是没到账，多久能退回？")
			h.idle(t)

			var turns []memory.Event
			sink.mu.Lock()
			for _, ev := range sink.got {
				if ev.Name == EventTurn {
					turns = append(turns, memory.Event{ID: ev.ID, CustomerID: ev.CustomerID, Type: ev.Name, Source: ev.Channel, Props: ev.Props, At: ev.At})
				}
			}
			sink.mu.Unlock()
			if len(turns) != 2 {
				t.Fatalf("%d turn events, want 2", len(turns))
			}
			for _, ev := range turns {
				var p struct {
					Tokens, PromptTokens, CompletionTokens *int
					Cost                                   *float64
				}
				var raw map[string]json.RawMessage
				if err := json.Unmarshal(ev.Props, &raw); err != nil {
					t.Fatal(err)
				}
				for k, dst := range map[string]any{"tokens": &p.Tokens, "prompt_tokens": &p.PromptTokens, "completion_tokens": &p.CompletionTokens, "cost": &p.Cost} {
					if v, ok := raw[k]; ok {
						if err := json.Unmarshal(v, dst); err != nil {
							t.Fatal(err)
						}
					}
				}
				switch {
				case !c.llm && (p.Tokens != nil || p.Cost != nil):
					t.Errorf("offline turn records tokens %v cost %v: %s", p.Tokens, p.Cost, ev.Props)
				case c.llm && (p.Tokens == nil || *p.Tokens != prompt+completion || p.PromptTokens == nil || *p.PromptTokens != prompt ||
					p.CompletionTokens == nil || *p.CompletionTokens != completion):
					t.Errorf("turn props %s, want the fake's %d + %d tokens", ev.Props, prompt, completion)
				case math.IsNaN(c.wantCost) && p.Cost != nil:
					t.Errorf("cost %v recorded without prices", *p.Cost)
				case !math.IsNaN(c.wantCost) && (p.Cost == nil || math.Abs(*p.Cost-c.wantCost) > 1e-12):
					t.Errorf("cost %v, want %v", p.Cost, c.wantCost)
				}
			}

			// The report over these turns, once the 72 hours in which a
			// return would undo the resolution have passed.
			if _, err := h.store.AppendEvents(context.Background(), turns); err != nil {
				t.Fatal(err)
			}
			at := turns[0].At
			sc := outcomes.StoreScanner{Store: h.store, Customers: []string{h.sess.CustomerID}}
			rep, err := outcomes.Compute(context.Background(), outcomes.Sources{Events: sc, Profiles: sc},
				outcomes.Params{From: at.Add(-time.Hour), To: at.Add(time.Hour), Now: at.Add(100 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			o := rep.Overall.Operations
			if o.Conversations != 1 || o.BotResolution.K != 1 {
				t.Fatalf("report: %d conversations, %d resolved; want the one, resolved", o.Conversations, o.BotResolution.K)
			}
			if !c.llm {
				if o.TokensPerResolved != nil || o.CostPerResolved != nil || o.TokensRecorded != 0 {
					t.Errorf("offline: tokens %v cost %v per resolved, want no data", o.TokensPerResolved, o.CostPerResolved)
				}
				return
			}
			if o.TokensPerResolved == nil || *o.TokensPerResolved != 2*(prompt+completion) || o.TokensRecorded != 1 {
				t.Errorf("tokens per resolved conversation %v (of %d), want %d", o.TokensPerResolved, o.TokensRecorded, 2*(prompt+completion))
			}
			switch {
			case math.IsNaN(c.wantCost) && (o.CostPerResolved != nil || o.CostRecorded != 0):
				t.Errorf("cost per resolved %v without prices, want no data", *o.CostPerResolved)
			case !math.IsNaN(c.wantCost) && (o.CostPerResolved == nil || math.Abs(*o.CostPerResolved-2*c.wantCost) > 1e-12 || o.CostRecorded != 1):
				t.Errorf("cost per resolved conversation %v, want %v", o.CostPerResolved, 2*c.wantCost)
			}
		})
	}
}
