package bot

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/memory"
)

// OptOuts records a customer's choice about proactive suggestions
// (bot/proactive's Engine).
type OptOuts interface {
	OptOut(ctx context.Context, customerID string, out bool) error
}

// Event names the engine understands from channels: the widget's "stop
// suggestions" control and the messaging channels' opt-out keywords
// ("TD", "退订").
const (
	eventWidgetOptOut  = "proactive_opt_out" // props {"opted_out": bool}
	eventChannelOptOut = "opt_out"
	// EventTurn is published after every answered turn with the turn's
	// insight, so triggers can act on mood and repetition.
	EventTurn = "conversation.turn"
)

// SetOptOuts makes the engine pass opt-out events to o. Call it before
// serving.
func (e *Engine) SetOptOuts(o OptOuts) { e.optOuts = o }

// optOut applies an opt-out event; other events are left alone.
func (e *Engine) optOut(ctx context.Context, ev channels.Event) error {
	if e.optOuts == nil {
		return nil
	}
	switch ev.Name {
	case eventChannelOptOut:
		return e.optOuts.OptOut(ctx, ev.CustomerID, true)
	case eventWidgetOptOut:
		var p struct {
			OptedOut *bool `json:"opted_out"`
		}
		if err := json.Unmarshal(ev.Props, &p); err != nil || p.OptedOut == nil {
			return nil // validated as an object already; nothing to apply
		}
		return e.optOuts.OptOut(ctx, ev.CustomerID, *p.OptedOut)
	}
	return nil
}

// turnProps are the props of a conversation.turn event.
type turnProps struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	Channel        string `json:"channel,omitempty"`
	// ResponseMS is how long the customer waited for the reply, from
	// their message being stored to the reply being stored.
	ResponseMS     int64   `json:"response_ms"`
	Intent         string  `json:"intent"`
	Need           string  `json:"need,omitempty"`
	Mood           string  `json:"mood"`
	Valence        float64 `json:"valence"`
	Trend          string  `json:"trend,omitempty"`
	EscalationRisk float64 `json:"escalation_risk"`
	// Repeats is how many times the customer asked this before (0: first).
	Repeats int    `json:"repeats"`
	Lang    string `json:"lang,omitempty"`
	// Intervened is true when the reply already apologised and offered a
	// human, so triggers need not do it again.
	Intervened bool `json:"intervened,omitempty"`
	Grounded   bool `json:"grounded"`
	// Tokens (PromptTokens + CompletionTokens) are the language-model
	// tokens the reply took, as the API reported them, and Cost what they
	// cost at the configured prices (llm.price_input, llm.price_output).
	// Absent when no model was asked (the offline reasoner); Cost absent
	// without prices. The outcome reports sum them per conversation.
	Tokens           *int     `json:"tokens,omitempty"`
	PromptTokens     *int     `json:"prompt_tokens,omitempty"`
	CompletionTokens *int     `json:"completion_tokens,omitempty"`
	Cost             *float64 `json:"cost,omitempty"`
}

// publishTurn sends the turn's insight as an event. Failures are logged:
// the customer has their answer either way.
func (e *Engine) publishTurn(ctx context.Context, log *slog.Logger, customerID, channel string, msg memory.Message, in insight.Insight, lang string, intervened bool, reply reason.Reply) {
	if e.cfg.Events == nil || customerID == "" {
		return
	}
	tp := turnProps{
		ConversationID: msg.ConversationID, Seq: msg.Seq, Channel: channel,
		ResponseMS: max(0, e.now().Sub(msg.CreatedAt).Milliseconds()), Intent: in.Intent, Need: in.Need, Mood: in.Mood,
		Valence: in.Valence, Trend: in.Trajectory.Trend, EscalationRisk: in.Trajectory.EscalationRisk,
		Repeats: max(0, in.Trajectory.Signals.Asked-1), Lang: lang, Intervened: intervened, Grounded: reply.Grounded,
	}
	if u := reply.Usage; u != nil {
		total := u.PromptTokens + u.CompletionTokens
		tp.Tokens, tp.PromptTokens, tp.CompletionTokens, tp.Cost = &total, &u.PromptTokens, &u.CompletionTokens, u.Cost
	}
	props, _ := json.Marshal(tp)
	ev := channels.Event{V: channels.Version, ID: "turn-" + msg.ConversationID + "-" + itoa(msg.Seq), Name: EventTurn,
		CustomerID: customerID, Channel: "engine", Props: props, At: e.now()}
	if err := e.cfg.Events.PublishEvent(ctx, ev); err != nil {
		log.Warn("publish turn event", "err", err)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
