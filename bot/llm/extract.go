package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/longterm"
)

// Extractor extracts long-term memories with a chat model, through a forced
// call of the function save_memories whose arguments follow a JSON schema.
// Arguments that are not valid are sent back to the model once with what
// was wrong; when the second answer is no better (or the API fails twice),
// the fallback extractor's result is used. It is safe for concurrent use.
type Extractor struct {
	client   *openai.Client
	cfg      Config
	fallback longterm.Extractor
	log      *slog.Logger
	metrics  *Metrics
}

// NewExtractor returns an extractor using cfg's API, model and "extract"
// template; fallback (the offline rules) is required.
func NewExtractor(cfg Config, fallback longterm.Extractor) (*Extractor, error) {
	r, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if fallback == nil {
		return nil, errors.New("llm: extractor: a fallback extractor is required")
	}
	return &Extractor{client: r.client, cfg: r.cfg, fallback: fallback, log: r.log.With("part", "extract"), metrics: r.metrics}, nil
}

// ToolName is the function the model is made to call.
const ToolName = "save_memories"

// maxExtracted bounds the memories one call may propose.
const maxExtracted = 20

// toolSchema is the JSON schema of save_memories' arguments.
var toolSchema = json.RawMessage(`{
  "type": "object",
  "properties": {
    "memories": {
      "type": "array",
      "maxItems": 20,
      "items": {
        "type": "object",
        "properties": {
          "kind": {"type": "string", "enum": ["fact", "preference", "commitment"]},
          "key": {"type": "string", "description": "lower-case dotted slot, e.g. baby.age; empty when none fits", "pattern": "^([a-z0-9_]+(\\.[a-z0-9_]+)*)?$", "maxLength": 64},
          "text": {"type": "string", "description": "one sentence about the customer, in the conversation's language", "maxLength": 500},
          "value": {"type": "string", "description": "normalised value, e.g. \"8 months\", or empty", "maxLength": 200},
          "importance": {"type": "number", "minimum": 0, "maximum": 1},
          "retract": {"type": "boolean", "description": "true when the customer says this is no longer true"},
          "source_seqs": {"type": "array", "items": {"type": "integer"}}
        },
        "required": ["kind", "key", "text", "value", "importance"]
      }
    }
  },
  "required": ["memories"]
}`)

// extracted is save_memories' arguments.
type extracted struct {
	Memories []struct {
		Kind       string  `json:"kind"`
		Key        string  `json:"key"`
		Text       string  `json:"text"`
		Value      string  `json:"value"`
		Importance float64 `json:"importance"`
		Retract    bool    `json:"retract"`
		SourceSeqs []int64 `json:"source_seqs"`
	} `json:"memories"`
}

// Extract asks the model; see Extractor for retries and the fallback.
func (x *Extractor) Extract(ctx context.Context, in longterm.ExtractInput) ([]longterm.Candidate, error) {
	msgs, err := x.messages(in)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		call, raw, err := x.call(ctx, msgs)
		if err == nil {
			var cands []longterm.Candidate
			if cands, err = parseExtracted(raw, in); err == nil {
				return cands, nil
			}
			// Show the model its call and what was wrong with it.
			msgs = append(msgs,
				openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, ToolCalls: []openai.ToolCall{call}},
				openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, ToolCallID: call.ID,
					Content: "invalid arguments: " + err.Error() + ". Call " + ToolName + " again with arguments that follow the schema."})
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("llm: extract: %w", ctx.Err())
		}
		lastErr = err
		x.log.Warn("memory extraction attempt failed", "attempt", attempt+1, "err", err)
	}
	reason := reasonInvalid
	var apiErr *openai.APIError
	switch {
	case errors.As(lastErr, &apiErr):
		reason = failureReason(&Error{Status: apiErr.HTTPStatusCode, Err: lastErr})
	case lastErr != nil && strings.HasPrefix(lastErr.Error(), "chat completion:"):
		reason = reasonError // the request failed: connection, malformed answer
	}
	x.metrics.fallbacks.WithLabelValues("extract", reason).Inc()
	x.log.Warn("memory extraction falls back to the offline rules", "reason", reason, "err", lastErr)
	return x.fallback.Extract(ctx, in)
}

// call makes one forced tool call and returns it with its arguments.
func (x *Extractor) call(ctx context.Context, msgs []openai.ChatCompletionMessage) (openai.ToolCall, []byte, error) {
	resp, err := x.client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:     x.cfg.Model,
		Messages:  msgs,
		MaxTokens: 1024,
		Tools: []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
			Name: ToolName, Description: "Save what is worth remembering about the customer.", Parameters: toolSchema,
		}}},
		ToolChoice: openai.ToolChoice{Type: openai.ToolTypeFunction, Function: openai.ToolFunction{Name: ToolName}},
	})
	if err != nil {
		return openai.ToolCall{}, nil, fmt.Errorf("chat completion: %w", err)
	}
	for _, c := range resp.Choices {
		for _, tc := range c.Message.ToolCalls {
			if tc.Function.Name == ToolName {
				return tc, []byte(tc.Function.Arguments), nil
			}
		}
	}
	return openai.ToolCall{}, nil, errors.New("the model did not call " + ToolName)
}

// parseExtracted decodes and validates the arguments; any invalid memory
// makes the whole answer invalid, so the model is asked again rather than
// half its answer kept silently.
func parseExtracted(raw []byte, in longterm.ExtractInput) ([]longterm.Candidate, error) {
	var args extracted
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&args); err != nil {
		return nil, fmt.Errorf("arguments are not the expected JSON: %w", err)
	}
	if len(args.Memories) > maxExtracted {
		return nil, fmt.Errorf("%d memories, at most %d allowed", len(args.Memories), maxExtracted)
	}
	bySeq := map[int64]memory.Message{}
	for _, m := range in.Messages {
		bySeq[m.Seq] = m
	}
	var out []longterm.Candidate
	for i, m := range args.Memories {
		where := "memories[" + strconv.Itoa(i) + "]"
		switch {
		case m.Kind != memory.MemoryFact && m.Kind != memory.MemoryPreference && m.Kind != memory.MemoryCommitment:
			return nil, fmt.Errorf("%s.kind %q is not fact, preference or commitment", where, m.Kind)
		case strings.TrimSpace(m.Text) == "" || utf8.RuneCountInString(m.Text) > longterm.MaxText:
			return nil, fmt.Errorf("%s.text must be 1-%d characters", where, longterm.MaxText)
		case !longterm.ValidKey(m.Key):
			return nil, fmt.Errorf("%s.key %q is not a lower-case dotted slot", where, m.Key)
		case len(m.Value) > longterm.MaxValue:
			return nil, fmt.Errorf("%s.value is longer than %d bytes", where, longterm.MaxValue)
		case m.Importance != m.Importance || m.Importance < 0 || m.Importance > 1:
			return nil, fmt.Errorf("%s.importance %v is outside 0..1", where, m.Importance)
		case m.Retract && m.Key == "":
			return nil, fmt.Errorf("%s retracts without a key", where)
		case !utf8.ValidString(m.Text + m.Value):
			return nil, fmt.Errorf("%s is not valid UTF-8", where)
		}
		c := longterm.Candidate{Kind: m.Kind, Key: m.Key, Text: strings.TrimSpace(m.Text), Value: strings.TrimSpace(m.Value),
			Importance: m.Importance, Retract: m.Retract}
		for _, seq := range m.SourceSeqs {
			src, ok := bySeq[seq]
			if !ok {
				return nil, fmt.Errorf("%s.source_seqs names message %d, which is not in the conversation", where, seq)
			}
			c.Sources = append(c.Sources, memory.MessageRef{ConversationID: src.ConversationID, Seq: seq})
			if src.CreatedAt.After(c.At) {
				c.At = src.CreatedAt
			}
		}
		if len(c.Sources) == 0 {
			if last, ok := lastCustomer(in.Messages); ok {
				c.Sources = []memory.MessageRef{{ConversationID: last.ConversationID, Seq: last.Seq}}
				c.At = last.CreatedAt
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func lastCustomer(ms []memory.Message) (memory.Message, bool) {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Role == memory.RoleCustomer {
			return ms[i], true
		}
	}
	return memory.Message{}, false
}

// messages frames the transcript as data between <conversation> tags, each
// message on one line with its sequence number and who wrote it.
func (x *Extractor) messages(in longterm.ExtractInput) ([]openai.ChatCompletionMessage, error) {
	lang := in.Lang
	if lang != "zh" {
		lang = "en"
	}
	var known []string
	for _, m := range in.Known {
		if m.Current() && m.Kind != memory.MemoryEpisode {
			known = append(known, strings.Join(strings.Fields(defang(m.Text)), " "))
		}
	}
	system, err := x.cfg.Prompts.Render("extract", extractData(lang, known))
	if err != nil {
		return nil, fmt.Errorf("llm: extract: build prompt: %w", err)
	}
	var b strings.Builder
	b.WriteString("<conversation>\n")
	for _, m := range in.Messages {
		fmt.Fprintf(&b, "[%d] %s: %s\n", m.Seq, m.Role, strings.Join(strings.Fields(defang(m.Text)), " "))
	}
	b.WriteString("</conversation>")
	return []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: system},
		{Role: openai.ChatMessageRoleUser, Content: b.String()},
	}, nil
}
