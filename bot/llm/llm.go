// Package llm is the reasoner backed by an OpenAI-compatible chat API
// (OpenAI, DeepSeek, Qwen compatible mode, Moonshot, vLLM, Ollama). It
// streams the reply as the model writes it.
//
// The customer's words reach the model only inside the "answer" template's
// data framing, and the "system" template tells the model to treat them as
// data: a message cannot rewrite the model's instructions by asking.
package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/prompts"
)

// Config configures a Reasoner.
type Config struct {
	// BaseURL is the API base, including the version path
	// ("https://api.openai.com/v1", "http://localhost:11434/v1").
	BaseURL string
	// APIKey is sent as a bearer token; local servers may not need one.
	APIKey string
	// Model is the chat model name.
	Model string
	// MaxTokens caps the reply length (default 512).
	MaxTokens int
	// Temperature is the sampling temperature (0 means the API default).
	Temperature float32
	// Prompts holds the "system" and "answer" templates.
	Prompts *prompts.Set
	// Logger receives request failures; nil discards them.
	Logger *slog.Logger
}

// Name is the Reply.Reasoner value of LLM replies.
const Name = "llm"

// Reasoner answers with a chat model. It is safe for concurrent use.
type Reasoner struct {
	client *openai.Client
	cfg    Config
	log    *slog.Logger
}

// New checks cfg and returns a Reasoner. It does not contact the API.
func New(cfg Config) (*Reasoner, error) {
	switch {
	case cfg.BaseURL == "":
		return nil, errors.New("llm: config: BaseURL is required")
	case cfg.Model == "":
		return nil, errors.New("llm: config: Model is required")
	case cfg.Prompts == nil:
		return nil, errors.New("llm: config: Prompts is required")
	case cfg.MaxTokens < 0:
		return nil, fmt.Errorf("llm: config: MaxTokens %d is negative", cfg.MaxTokens)
	}
	if cfg.MaxTokens == 0 {
		cfg.MaxTokens = 512
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Reasoner{client: openai.NewClientWithConfig(oc), cfg: cfg, log: log.With("component", "llm", "model", cfg.Model)}, nil
}

// Error is a failure the API reported, with the HTTP status when there was
// one (0 for a broken connection or a malformed stream).
type Error struct {
	Status int
	Code   string // the API's error code, e.g. "rate_limit_exceeded"
	Err    error
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("llm: %v", e.Err)
	}
	if e.Code != "" {
		return fmt.Sprintf("llm: status %d (%s): %v", e.Status, e.Code, e.Err)
	}
	return fmt.Sprintf("llm: status %d: %v", e.Status, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same request may succeed later: rate limits
// and server-side failures.
func (e *Error) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.Status == 0
}

// Answer asks the model, calling emit with each piece of text as it
// streams in. On failure any pieces already emitted are not a reply: the
// caller should replace them.
func (r *Reasoner) Answer(ctx context.Context, req reason.Request, emit func(piece string)) (reason.Reply, error) {
	msgs, err := r.messages(req)
	if err != nil {
		return reason.Reply{}, err
	}
	stream, err := r.client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{
		Model:       r.cfg.Model,
		Messages:    msgs,
		MaxTokens:   r.cfg.MaxTokens,
		Temperature: r.cfg.Temperature,
	})
	if err != nil {
		return reason.Reply{}, r.fail(ctx, "start stream", err)
	}
	defer stream.Close()

	var text strings.Builder
	finished := false
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return reason.Reply{}, r.fail(ctx, "read stream", err)
		}
		for _, c := range chunk.Choices {
			if c.Delta.Content != "" {
				text.WriteString(c.Delta.Content)
				if emit != nil {
					emit(c.Delta.Content)
				}
			}
			if c.FinishReason != "" {
				finished = true
			}
		}
	}
	// go-openai reports a connection closed before "[DONE]" as a plain
	// EOF; without a finish reason the reply is cut off, not complete.
	if !finished {
		return reason.Reply{}, r.fail(ctx, "read stream", io.ErrUnexpectedEOF)
	}
	out := strings.TrimSpace(text.String())
	if out == "" {
		return reason.Reply{}, r.fail(ctx, "read stream", errors.New("the model returned no text"))
	}
	reply := reason.Reply{Text: out, Reasoner: Name}
	for _, p := range req.Passages {
		if p.Relevant {
			reply.Grounded = true
			reply.Sources = append(reply.Sources, p.Title)
		}
	}
	return reply, nil
}

// fail wraps err with the API status it carries and logs it. A done ctx
// wins, so callers see the deadline rather than a read error it caused.
func (r *Reasoner) fail(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("llm: %s: %w", op, ctxErr)
	}
	e := &Error{Err: fmt.Errorf("%s: %w", op, err)}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		e.Status = apiErr.HTTPStatusCode
		e.Code, _ = apiErr.Code.(string)
	case errors.As(err, &reqErr):
		e.Status = reqErr.HTTPStatusCode
	}
	r.log.Warn("chat completion failed", "op", op, "status", e.Status, "code", e.Code, "err", err)
	return e
}

// messages builds the chat: the system prompt with the passages, the
// recent history, then the customer's message framed as data.
func (r *Reasoner) messages(req reason.Request) ([]openai.ChatCompletionMessage, error) {
	lang := req.Lang
	if lang != "zh" {
		lang = "en"
	}
	sys := prompts.SystemData{Lang: lang, Profile: profileLines(req.Profile, lang), Memories: memoryLines(req, lang)}
	for i, p := range req.Passages {
		sys.Passages = append(sys.Passages, prompts.Passage{N: i + 1, Title: p.Title, Heading: p.Heading, Text: p.Text, Relevant: p.Relevant})
	}
	system, err := r.cfg.Prompts.Render("system", sys)
	if err != nil {
		return nil, fmt.Errorf("llm: build prompt: %w", err)
	}
	answer, err := r.cfg.Prompts.Render("answer", prompts.AnswerData{
		Lang: lang, Question: defang(req.Question), Intent: req.Intent, Mood: req.Mood,
	})
	if err != nil {
		return nil, fmt.Errorf("llm: build prompt: %w", err)
	}
	msgs := []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleSystem, Content: system}}
	for _, t := range req.History {
		role := openai.ChatMessageRoleAssistant
		switch t.Role {
		case "customer":
			role = openai.ChatMessageRoleUser
		case "system":
			continue // internal notes are not conversation
		}
		if strings.TrimSpace(t.Text) == "" {
			continue
		}
		msgs = append(msgs, openai.ChatCompletionMessage{Role: role, Content: t.Text})
	}
	return append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: answer}), nil
}

// framingTag matches the prompts' data delimiters in any case and spacing,
// so customer text (a message, a remembered sentence) cannot close its data
// block and write outside it.
var framingTag = regexp.MustCompile(`(?i)<\s*/?\s*(?:customer_message|customer_memory|customer_profile|conversation)\s*>`)

// defang removes the framing tags from customer text.
func defang(s string) string {
	return framingTag.ReplaceAllString(s, "")
}
