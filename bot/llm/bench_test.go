package llm

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/llm/llmtest"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/prompts"
)

// The LLM path's own cost around the API call, against the fake with a
// realistic pace: 300 ms to the first token, then a token every 30 ms.
// Each call's overhead is its duration minus the latency the fake scripted;
// "baseline" sub-benchmarks make the bare go-openai call the path wraps, so
// the path's extra cost is the difference within one run. Calls run 16 at a
// time (they mostly wait), so a run of -benchtime 64x takes a few seconds.
//
//	go test ./bot/llm -run '^$' -bench LLMPath -benchtime 64x -count 3

const (
	benchFirst = 300 * time.Millisecond
	benchToken = 30 * time.Millisecond
	benchReply = "Approved refunds reach your original payment method within 3-5 working days. " +
		"If it has been longer than that, send me your order number and I will check where it is, " +
		"or I can bring in a colleague."
)

func BenchmarkLLMPath(b *testing.B) {
	answerResp := llmtest.Response{Text: benchReply, FirstDelay: benchFirst, TokenDelay: benchToken}
	insightResp := insightCall(goodInsight)
	insightResp.FirstDelay = benchFirst
	s := llmtest.NewServer(b, llmtest.WithResponder(func(req *llmtest.ChatRequest) llmtest.Response {
		if len(req.Tools) > 0 {
			return insightResp
		}
		return answerResp
	}))
	p, err := prompts.Load("")
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{BaseURL: s.URL(), APIKey: s.Key(), Model: "gpt-4o-mini", Prompts: p}
	r, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	a, err := NewAnalyzer(cfg, insight.NewOffline(), nil)
	if err != nil {
		b.Fatal(err)
	}
	req := complaint
	req.Intent, req.Mood = "refund", "frustrated"
	req.History = []reason.Turn{{Role: "customer", Text: "hi"}, {Role: "bot", Text: "Hello! How can I help?"}}
	turns := []insight.Turn{{Text: "where is my refund"}, {Text: "it has been two weeks!!", GapMS: 3000, BotReply: "Refunds take 3-5 days."}}
	raw := openai.NewClientWithConfig(func() openai.ClientConfig {
		c := openai.DefaultConfig(s.Key())
		c.BaseURL = s.URL()
		return c
	}())
	msgs, err := r.messages(req)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	sink := func(string) {}

	run := func(b *testing.B, scripted time.Duration, call func() error) {
		var mu sync.Mutex
		var over []time.Duration
		b.ReportAllocs()
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				start := time.Now()
				if err := call(); err != nil {
					b.Error(err)
					return
				}
				d := time.Since(start) - scripted
				mu.Lock()
				over = append(over, d)
				mu.Unlock()
			}
		})
		b.StopTimer()
		slices.Sort(over)
		q := func(f float64) float64 { return float64(over[int(f*float64(len(over)-1))].Microseconds()) / 1000 }
		b.ReportMetric(q(0.5), "overhead-p50-ms")
		b.ReportMetric(q(0.99), "overhead-p99-ms")
	}

	b.Run("answer/baseline", func(b *testing.B) {
		run(b, llmtest.Delay(answerResp), func() error {
			st, err := raw.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{Model: "gpt-4o-mini", Messages: msgs, MaxTokens: 512, Stream: true})
			if err != nil {
				return err
			}
			defer st.Close()
			var text strings.Builder
			for {
				c, err := st.Recv()
				if err != nil {
					break
				}
				for _, ch := range c.Choices {
					text.WriteString(ch.Delta.Content)
				}
			}
			return nil
		})
	})
	b.Run("answer/guarded", func(b *testing.B) {
		run(b, llmtest.Delay(answerResp), func() error {
			_, err := r.Answer(ctx, req, sink)
			return err
		})
	})
	insightScripted := benchFirst
	b.Run("insight/baseline", func(b *testing.B) {
		tool := openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: InsightToolName, Parameters: insightSchema}}
		im := []openai.ChatCompletionMessage{{Role: "system", Content: "x"}, {Role: "user", Content: transcript(turns)}}
		run(b, insightScripted, func() error {
			_, _, err := forcedCall(ctx, raw, "gpt-4o-mini", im, tool, 400)
			return err
		})
	})
	b.Run("insight/analyzer", func(b *testing.B) {
		run(b, insightScripted, func() error {
			_, err := a.Analyze(ctx, turns, nil)
			return err
		})
	})
}

// BenchmarkGuardCheck is the output guard on a whole reply.
func BenchmarkGuardCheck(b *testing.B) {
	p, err := prompts.Load("")
	if err != nil {
		b.Fatal(err)
	}
	g, err := NewGuard(p)
	if err != nil {
		b.Fatal(err)
	}
	known := KnownFrom(ownContext)
	reply := strings.Repeat(benchReply+" 您的订单已于6月3日发出，预计3-5个工作日送达。 ", 3)
	b.ReportAllocs()
	b.SetBytes(int64(len(reply)))
	for b.Loop() {
		if g.Check(reply, known).Blocked() {
			b.Fatal("blocked")
		}
	}
}
