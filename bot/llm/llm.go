// Package llm is the reasoner backed by an OpenAI-compatible chat API
// (OpenAI, DeepSeek, Qwen compatible mode, Moonshot, vLLM, Ollama). It
// streams the reply as the model writes it.
//
// The customer's words reach the model only inside the "answer" template's
// data framing, and the "system" template tells the model to treat them as
// data: a message cannot rewrite the model's instructions by asking.
package llm

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"

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

	// Metrics counts fallbacks, guard blocks, tool calls and slow thinking;
	// nil counts without exporting. Share one between the Reasoner,
	// Analyzer and Extractor.
	Metrics *Metrics
	// InsightTimeout bounds one insight analysis, its retry included
	// (default 4s); past it the offline result is used.
	InsightTimeout time.Duration
	// Tools are the functions the model may call while answering; the zero
	// value offers none.
	Tools Tools
	// Slow configures slow thinking for high-stakes replies.
	Slow SlowConfig
	// GuardHoldback is how many characters of a streamed reply are held
	// back until the output guard has read past them (default 16), so a
	// leak is caught before it is shown.
	GuardHoldback int
	// Price is what the model's tokens cost; a reply's Usage carries its
	// cost when it is set.
	Price Price
}

// Name is the Reply.Reasoner value of LLM replies.
const Name = "llm"

// Reasoner answers with a chat model. Every reply passes the output guard
// (see Guard); high-stakes replies are drafted, checked and revised (see
// Deliberate); the model may call the configured Tools. It is safe for
// concurrent use.
type Reasoner struct {
	client  *openai.Client
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	guard   *Guard
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
	case cfg.InsightTimeout < 0 || cfg.Tools.Budget < 0 || cfg.Slow.Timeout < 0:
		return nil, errors.New("llm: config: timeouts must not be negative")
	case cfg.Tools.MaxRounds < 0 || cfg.Slow.MaxTokens < 0 || cfg.Slow.MaxRevisions < 0 || cfg.GuardHoldback < 0:
		return nil, errors.New("llm: config: limits must not be negative")
	case !(cfg.Price.Input >= 0 && cfg.Price.Output >= 0) || math.IsInf(cfg.Price.Input, 0) || math.IsInf(cfg.Price.Output, 0):
		return nil, errors.New("llm: config: prices must be finite and not negative")
	}
	if cfg.Tools.Orders != nil {
		if err := cfg.Tools.Orders.Check(); err != nil {
			return nil, err
		}
	}
	defaults(&cfg)
	guard, err := NewGuard(cfg.Prompts)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	metrics := cfg.Metrics
	if metrics == nil {
		metrics = unexported()
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Reasoner{client: openai.NewClientWithConfig(oc), cfg: cfg, metrics: metrics, guard: guard,
		log: log.With("component", "llm", "model", cfg.Model)}, nil
}

// defaults fills the zero settings.
func defaults(cfg *Config) {
	set := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	set(&cfg.MaxTokens, 512)
	set(&cfg.GuardHoldback, 16)
	set(&cfg.Tools.MaxRounds, 3)
	set(&cfg.Slow.MaxTokens, 6000)
	set(&cfg.Slow.MaxRevisions, 1)
	setD(&cfg.InsightTimeout, 4*time.Second)
	setD(&cfg.Tools.Budget, 8*time.Second)
	setD(&cfg.Slow.Timeout, 20*time.Second)
}

// Guard returns the reasoner's output guard.
func (r *Reasoner) Guard() *Guard { return r.guard }

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
var framingTag = regexp.MustCompile(`(?i)<\s*/?\s*(?:customer_message|customer_memory|customer_profile|conversation|tool_result|draft_reply|knowledge|review_issues|transcript)\b[^<>]{0,40}>`)

// defang removes the framing tags from customer text.
func defang(s string) string {
	return framingTag.ReplaceAllString(s, "")
}
