package llm

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/kairoscx/kairos/bot/reason"
)

// The back-ends of the tools the model may call while answering. The engine
// passes them in, so this package needs neither the knowledge base nor the
// memory store.
type (
	// SearchFunc searches the knowledge base; lang is the reply language.
	SearchFunc func(ctx context.Context, query, lang string) ([]reason.Passage, error)
	// RecallFunc recalls the customer's long-term memories for query.
	RecallFunc func(ctx context.Context, customerID, query string) ([]reason.Memory, error)
	// HandoffFunc asks for a human agent to take the conversation over.
	HandoffFunc func(ctx context.Context, conversationID, why string) error
)

// Tools are the functions offered to the model. A nil back-end is not
// offered; the zero Tools offers none and Answer makes one plain call.
type Tools struct {
	Search  SearchFunc
	Recall  RecallFunc
	Orders  *OrderWebhook
	Handoff HandoffFunc
	// MaxRounds bounds the model's tool-calling rounds per reply (default
	// 3); after the last one, or once Budget is spent, the model must
	// answer with what it has.
	MaxRounds int
	// Budget bounds the time from the first call to the last tool result
	// (default 8s); a tool still running when it ends is cancelled.
	Budget time.Duration
}

// Tool names, as the model sees them and as metrics label them.
const (
	ToolSearch  = "search_knowledge"
	ToolRecall  = "recall_memory"
	ToolOrder   = "lookup_order"
	ToolHandoff = "handoff"
)

// Bounds on what one tool call takes and gives.
const (
	maxToolCallsPerRound = 4
	maxToolPassages      = 5
	maxToolPassageRunes  = 1200
	maxToolArgRunes      = 300
	maxOrderResult       = 16 << 10
)

func (t Tools) any() bool {
	return t.Search != nil || t.Recall != nil || t.Orders != nil || t.Handoff != nil
}

// definitions are the function definitions offered to the model.
func (t Tools) definitions() []openai.Tool {
	def := func(name, desc, params string) openai.Tool {
		return openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
			Name: name, Description: desc, Parameters: json.RawMessage(params)}}
	}
	var out []openai.Tool
	if t.Search != nil {
		out = append(out, def(ToolSearch, "Search the knowledge base (policies, products, shipping, returns).",
			`{"type":"object","properties":{"query":{"type":"string","maxLength":300}},"required":["query"],"additionalProperties":false}`))
	}
	if t.Recall != nil {
		out = append(out, def(ToolRecall, "Recall what this customer told us in earlier conversations.",
			`{"type":"object","properties":{"query":{"type":"string","maxLength":300}},"required":["query"],"additionalProperties":false}`))
	}
	if t.Orders != nil {
		out = append(out, def(ToolOrder, "Look up one of this customer's orders: its order number, or \"latest\" for the most recent.",
			`{"type":"object","properties":{"order_id":{"type":"string","pattern":"^(latest|[A-Za-z0-9][A-Za-z0-9_#-]{0,63})$"}},"required":["order_id"],"additionalProperties":false}`))
	}
	if t.Handoff != nil {
		out = append(out, def(ToolHandoff, "Hand the conversation to a human agent, with a short reason.",
			`{"type":"object","properties":{"reason":{"type":"string","maxLength":300}},"required":["reason"],"additionalProperties":false}`))
	}
	return out
}

// toolState is what tool calls of one reply gathered.
type toolState struct {
	known    *Known
	sources  []string
	grounded bool
	results  []string // framed results, for slow thinking's review
	handoff  bool
}

// run executes one call and returns its result framed as data. Errors are
// results too: the model is told the lookup failed and answers without it.
func (r *Reasoner) runTool(ctx context.Context, req reason.Request, call openai.ToolCall, st *toolState) string {
	name := call.Function.Name
	result, err := r.execTool(ctx, req, call, st)
	outcome := "ok"
	switch {
	case errors.Is(err, errRefused):
		outcome = "refused"
	case err != nil:
		outcome = "error"
	}
	r.metrics.tools.WithLabelValues(toolLabel(name), outcome).Inc()
	if err != nil {
		r.log.Warn("tool call failed", "tool", name, "err", err)
		result = "error: " + err.Error()
	}
	framed := frameToolResult(name, result)
	st.results = append(st.results, framed)
	return framed
}

// errRefused marks calls that were not made: an unknown function or
// arguments outside the schema.
var errRefused = errors.New("refused")

// toolLabel keeps unknown names (chosen by the model) out of metric labels.
func toolLabel(name string) string {
	switch name {
	case ToolSearch, ToolRecall, ToolOrder, ToolHandoff:
		return name
	}
	return "unknown"
}

var orderIDRe = regexp.MustCompile(`^(latest|[A-Za-z0-9][A-Za-z0-9_#-]{0,63})$`)

func (r *Reasoner) execTool(ctx context.Context, req reason.Request, call openai.ToolCall, st *toolState) (string, error) {
	t := r.cfg.Tools
	var args struct {
		Query   string `json:"query"`
		OrderID string `json:"order_id"`
		Reason  string `json:"reason"`
	}
	if err := json.Unmarshal([]byte(call.Function.Arguments), &args); err != nil {
		return "", fmt.Errorf("%w: arguments are not a JSON object", errRefused)
	}
	text := func(s string) (string, error) {
		s = strings.TrimSpace(s)
		if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxToolArgRunes {
			return "", fmt.Errorf("%w: the argument must be 1-%d characters of text", errRefused, maxToolArgRunes)
		}
		return s, nil
	}
	switch {
	case call.Function.Name == ToolSearch && t.Search != nil:
		q, err := text(args.Query)
		if err != nil {
			return "", err
		}
		ps, err := t.Search(ctx, q, req.Lang)
		if err != nil {
			return "", fmt.Errorf("search: %w", err)
		}
		return passagesResult(ps, st), nil
	case call.Function.Name == ToolRecall && t.Recall != nil:
		q, err := text(args.Query)
		if err != nil {
			return "", err
		}
		if req.CustomerID == "" {
			return "nothing is on record: the customer is not known", nil
		}
		ms, err := t.Recall(ctx, req.CustomerID, q)
		if err != nil {
			return "", fmt.Errorf("recall: %w", err)
		}
		return memoriesResult(ms, req, st), nil
	case call.Function.Name == ToolOrder && t.Orders != nil:
		id := strings.TrimSpace(args.OrderID)
		if !orderIDRe.MatchString(id) {
			return "", fmt.Errorf("%w: order_id must be an order number or \"latest\"", errRefused)
		}
		if req.CustomerID == "" {
			return "no orders can be looked up: the customer is not identified", nil
		}
		res, err := t.Orders.Lookup(ctx, req.CustomerID, req.ConversationID, id)
		if err != nil {
			return "", err
		}
		st.known.Add(res)
		return res, nil
	case call.Function.Name == ToolHandoff && t.Handoff != nil:
		why, err := text(args.Reason)
		if err != nil {
			return "", err
		}
		if err := t.Handoff(ctx, req.ConversationID, why); err != nil {
			return "", fmt.Errorf("handoff: %w", err)
		}
		st.handoff = true
		return "a human colleague has been asked to join; tell the customer so, without promising a time", nil
	}
	return "", fmt.Errorf("%w: no function named %q", errRefused, call.Function.Name)
}

func passagesResult(ps []reason.Passage, st *toolState) string {
	if len(ps) == 0 {
		return "no passages found"
	}
	var b strings.Builder
	for i, p := range ps {
		if i == maxToolPassages {
			break
		}
		st.known.Add(p.Title, p.Heading, p.Text)
		if p.Relevant {
			st.grounded = true
			st.sources = append(st.sources, p.Title)
		}
		fmt.Fprintf(&b, "[%d] %q", i+1, oneLine(p.Title, 200))
		if p.Heading != "" {
			b.WriteString(" " + oneLine(p.Heading, 200))
		}
		b.WriteString("\n" + oneLine(p.Text, maxToolPassageRunes) + "\n")
	}
	return strings.TrimSpace(b.String())
}

func memoriesResult(ms []reason.Memory, req reason.Request, st *toolState) string {
	lines := memoryLines(reason.Request{Memories: ms, Now: req.Now}, req.Lang)
	if len(lines) == 0 {
		return "nothing relevant is on record"
	}
	var b strings.Builder
	for _, l := range lines {
		st.known.Add(l.Text)
		fmt.Fprintf(&b, "- [%s] %s", l.Kind, l.Text)
		if l.Ago != "" {
			b.WriteString(" (" + l.Ago + ")")
		}
		b.WriteString("\n")
	}
	return strings.TrimSpace(b.String())
}

// frameToolResult puts a result between <tool_result> tags, with any tag
// inside it that could close the frame removed.
func frameToolResult(name, result string) string {
	return "<tool_result name=\"" + toolLabel(name) + "\">\n" + defang(result) + "\n</tool_result>"
}

// OrderWebhook looks orders up in the business's own system: an HTTP POST of
// a JSON body signed with HMAC-SHA256.
//
// The request body is
//
//	{"v":1,"type":"order_lookup","customer_id":"…","conversation_id":"…","order_id":"…" or "latest","request_id":"…"}
//
// with the headers X-Kairos-Timestamp (Unix seconds) and X-Kairos-Signature
// ("sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>" keyed with Secret).
// The business should check the signature, reject a timestamp more than five
// minutes old or a request_id it has seen, and answer only orders of
// customer_id. A 200 answer is a JSON object given to the model as data; a
// 404 means no such order.
type OrderWebhook struct {
	URL    string
	Secret string
	// Timeout bounds one lookup (default 3s).
	Timeout time.Duration
	// Client makes the request (default http.DefaultClient).
	Client *http.Client
	// Now is the clock for the timestamp (default time.Now).
	Now func() time.Time
}

// Signature returns the X-Kairos-Signature value for body sent at ts.
func Signature(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Check validates the webhook's settings.
func (w *OrderWebhook) Check() error {
	switch {
	case !strings.HasPrefix(w.URL, "https://") && !strings.HasPrefix(w.URL, "http://"):
		return fmt.Errorf("llm: order webhook: URL %q is not http(s)", w.URL)
	case len(w.Secret) < 16:
		return errors.New("llm: order webhook: Secret must be at least 16 characters")
	}
	return nil
}

// Lookup asks the webhook for the customer's order and returns its answer
// as compact JSON.
func (w *OrderWebhook) Lookup(ctx context.Context, customerID, conversationID, orderID string) (string, error) {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	body, err := json.Marshal(map[string]any{"v": 1, "type": "order_lookup", "customer_id": customerID,
		"conversation_id": conversationID, "order_id": orderID, "request_id": hex.EncodeToString(nonce[:])})
	if err != nil {
		return "", fmt.Errorf("order lookup: %w", err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := now().Unix()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("order lookup: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("X-Kairos-Timestamp", strconv.FormatInt(ts, 10))
	hreq.Header.Set("X-Kairos-Signature", Signature(w.Secret, ts, body))
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(hreq)
	if err != nil {
		return "", fmt.Errorf("order lookup: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxOrderResult+1))
	if err != nil {
		return "", fmt.Errorf("order lookup: read answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return `{"found":false}`, nil
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("order lookup: status %d", resp.StatusCode)
	case len(raw) > maxOrderResult:
		return "", fmt.Errorf("order lookup: answer larger than %d bytes", maxOrderResult)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", fmt.Errorf("order lookup: answer is not a JSON object: %w", err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return "", fmt.Errorf("order lookup: %w", err)
	}
	return strings.ToValidUTF8(out.String(), "\uFFFD"), nil
}
