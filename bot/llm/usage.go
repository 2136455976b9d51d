package llm

import (
	openai "github.com/sashabaranov/go-openai"

	"github.com/kairoscx/kairos/bot/reason"
)

// Price is what a model's tokens cost, per 1,000,000 tokens, in one
// currency of the operator's choice. The zero Price is "not configured":
// replies record their tokens and no cost.
type Price struct {
	Input  float64 // per 1M prompt tokens
	Output float64 // per 1M completion tokens
}

// usage adds up the usage the API reported for the calls of one reply.
type usage struct {
	prompt, completion int
	reported           bool
}

func (u *usage) add(x openai.Usage) {
	if x.PromptTokens <= 0 && x.CompletionTokens <= 0 {
		return // not reported
	}
	u.prompt += max(0, x.PromptTokens)
	u.completion += max(0, x.CompletionTokens)
	u.reported = true
}

func (u *usage) merge(x usage) {
	u.prompt += x.prompt
	u.completion += x.completion
	u.reported = u.reported || x.reported
}

// reply is u as a Reply's Usage, priced by p; nil when nothing was
// reported.
func (u usage) reply(p Price) *reason.Usage {
	if !u.reported {
		return nil
	}
	out := &reason.Usage{PromptTokens: u.prompt, CompletionTokens: u.completion}
	if p != (Price{}) {
		cost := (float64(u.prompt)*p.Input + float64(u.completion)*p.Output) / 1e6
		out.Cost = &cost
	}
	return out
}
