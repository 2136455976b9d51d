package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/prompts"
)

// SlowConfig bounds slow thinking: draft → self-check against policy, facts
// and tone → revise.
type SlowConfig struct {
	// Enabled makes Answer deliberate on high-stakes requests (see
	// HighStakes); Deliberate works when called either way.
	Enabled bool
	// MaxTokens is the budget of one deliberation, prompt and completion
	// tokens of all its calls together (default 6000).
	MaxTokens int
	// Timeout bounds one deliberation (default 20s).
	Timeout time.Duration
	// MaxRevisions is how many times a rejected draft is revised and checked
	// again (default 1).
	MaxRevisions int
}

// ErrUnverified is returned by Answer when slow thinking produced no version
// that passed its self-check within the budget: the caller should answer
// with its safe fallback (the offline reasoner).
var ErrUnverified = errors.New("llm: no reply passed the self-check within the budget")

// errBudget is a deliberation running out of tokens.
var errBudget = errors.New("token budget spent")

// HighStakes reports whether a reply deserves slow thinking: a complaint,
// a refund or a cancellation, an angry customer, or a conversation whose
// escalation risk reached insight.EscalateAt.
func HighStakes(req reason.Request) bool {
	switch req.Intent {
	case insight.IntentComplaint, insight.IntentRefund, insight.IntentCancelSubscription:
		return true
	}
	return req.Mood == insight.MoodAngry || req.Intervene || req.EscalationRisk >= insight.EscalateAt
}

// Deliberation is the outcome of slow thinking.
type Deliberation struct {
	// Reply is what to send. When Verified it is the draft or its revision
	// that passed the self-check (and the output guard). Otherwise, for a
	// reply to a question it holds the safe reply; for a proactive message
	// (a request without a Question) its Text is empty: nothing is sent
	// rather than an unchecked message.
	Reply    reason.Reply
	Verified bool
	Revised  bool
	// Draft is the first draft and Issues what the self-check found in it.
	Draft  string
	Issues []string
	// Tokens is what the deliberation spent, as the API reported it (or
	// estimated when it did not).
	Tokens int
	// Outcome is draft_passed, revised or unverified.
	Outcome string
}

// Deliberation outcomes, the "outcome" label of deliberations_total.
const (
	OutcomeDraftPassed = "draft_passed"
	OutcomeRevised     = "revised"
	OutcomeUnverified  = "unverified"
)

// ReviewToolName is the function the self-check makes the model call.
const ReviewToolName = "review_reply"

const (
	maxIssues     = 8
	maxIssueRunes = 300
	reviewTokens  = 400
	// minCallTokens is the least budget worth starting a call with.
	minCallTokens = 64
)

var reviewSchema = json.RawMessage(`{
  "type": "object",
  "properties": {
    "pass": {"type": "boolean", "description": "true when policy, facts and tone all hold"},
    "issues": {"type": "array", "maxItems": 8, "items": {"type": "string", "maxLength": 300}}
  },
  "required": ["pass", "issues"],
  "additionalProperties": false
}`)

// Deliberate drafts (unless draft is given: a proactive message's template
// text), checks the draft against policy, the facts given (passages,
// memories, tool results) and tone, and revises it while the checks fail and
// the budget (SlowConfig) lasts. Only a version that passed the check and
// the output guard is returned as Verified: when the budget runs out first,
// the reply is the safe fallback (see Deliberation.Reply). An error means
// the model could not be asked at all (the API failed while drafting); the
// caller falls back as after any reasoner failure.
func (r *Reasoner) Deliberate(ctx context.Context, req reason.Request, draft string) (Deliberation, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Slow.Timeout)
	defer cancel()
	proactive := strings.TrimSpace(req.Question) == ""
	b := &tokenBudget{left: r.cfg.Slow.MaxTokens}
	st := toolState{known: KnownFrom(req)}
	var d Deliberation
	if strings.TrimSpace(draft) == "" {
		if proactive {
			return d, errors.New("llm: deliberate: a proactive message needs a draft")
		}
		a, err := r.converse(ctx, req, nil)
		if err != nil {
			return d, err
		}
		b.spend(a.tokens)
		b.used.merge(a.usage)
		st = a.tools
		if a.verdict.Blocked() {
			return r.settle(req, d, b, nil, false), nil
		}
		d.Reply = a.reply(r, req)
		draft = a.text
	} else {
		d.Reply = reason.Reply{Text: draft, Reasoner: Name}
	}
	d.Draft = draft

	pass, issues, err := r.review(ctx, b, req, draft, st)
	d.Issues = issues
	if err != nil {
		r.log.Warn("slow thinking: the draft could not be checked", "err", err)
		return r.settle(req, d, b, nil, false), nil
	}
	if pass && !r.guard.Check(draft, st.known).Blocked() {
		return r.settle(req, d, b, &draft, false), nil
	}
	current := draft
	for range r.cfg.Slow.MaxRevisions {
		revised, err := r.revise(ctx, b, req, current, issues, st)
		if err != nil {
			r.log.Warn("slow thinking: revision failed", "err", err)
			break
		}
		if v := r.guard.Check(revised, st.known); v.Blocked() {
			r.metrics.guard.WithLabelValues(v.Reason).Inc()
			r.log.Warn("output guard rejected a revision", "reason", v.Reason, "detail", v.Detail)
			break
		}
		pass, more, err := r.review(ctx, b, req, revised, st)
		if err != nil {
			r.log.Warn("slow thinking: the revision could not be checked", "err", err)
			break
		}
		if pass {
			return r.settle(req, d, b, &revised, true), nil
		}
		current, issues = revised, more
	}
	return r.settle(req, d, b, nil, false), nil
}

// settle fills the outcome: text is the verified version, nil when none.
func (r *Reasoner) settle(req reason.Request, d Deliberation, b *tokenBudget, text *string, revised bool) Deliberation {
	d.Tokens = b.spent
	switch {
	case text != nil:
		d.Verified, d.Revised = true, revised
		d.Reply.Text, d.Reply.Reasoner = *text, Name
		d.Outcome = OutcomeDraftPassed
		if revised {
			d.Outcome = OutcomeRevised
		}
	case strings.TrimSpace(req.Question) == "":
		d.Reply = reason.Reply{Reasoner: Name}
		d.Outcome = OutcomeUnverified
	default:
		d.Reply = reason.Reply{Text: r.guard.SafeReply(req.Lang), Reasoner: Name}
		d.Outcome = OutcomeUnverified
	}
	d.Reply.Usage = b.used.reply(r.cfg.Price)
	r.metrics.deliberations.WithLabelValues(d.Outcome).Inc()
	return d
}

// tokenBudget is what a deliberation may still spend; used is what the
// API reported of its calls.
type tokenBudget struct {
	left, spent int
	used        usage
}

func (b *tokenBudget) spend(n int) {
	b.left -= n
	b.spent += n
}

// allow returns the completion tokens a call may use, or errBudget when the
// prompt alone would not fit.
func (b *tokenBudget) allow(msgs []openai.ChatCompletionMessage, want int) (int, error) {
	room := b.left - estimateTokens(msgs)
	if room < minCallTokens {
		return 0, errBudget
	}
	return min(want, room), nil
}

// review asks the model to check text; it returns whether it passed and the
// issues found, retrying once when the verdict is malformed.
func (r *Reasoner) review(ctx context.Context, b *tokenBudget, req reason.Request, text string, st toolState) (bool, []string, error) {
	system, err := r.cfg.Prompts.Render("review", r.reviewData(req))
	if err != nil {
		return false, nil, fmt.Errorf("llm: build prompt: %w", err)
	}
	msgs := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: system},
		{Role: openai.ChatMessageRoleUser, Content: evidence(req, st, text, nil)},
	}
	tool := openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: ReviewToolName, Description: "Report whether the draft passes the policy, facts and tone checks.", Parameters: reviewSchema}}
	for attempt := 0; ; attempt++ {
		limit, err := b.allow(msgs, reviewTokens)
		if err != nil {
			return false, nil, err
		}
		call, u, err := forcedCall(ctx, r.client, r.cfg.Model, msgs, tool, limit)
		b.used.add(u)
		used := u.TotalTokens
		if used == 0 {
			used = estimateTokens(msgs) + limit/2
		}
		b.spend(used)
		verr := err
		var pass bool
		var issues []string
		switch {
		case err != nil && !errors.Is(err, errInvalid):
			return false, nil, failure(ctx, r.log, "review", err)
		case err == nil:
			pass, issues, verr = parseReview([]byte(call.Function.Arguments))
		}
		if verr == nil {
			return pass, issues, nil
		}
		if attempt == 1 {
			return false, nil, fmt.Errorf("review: %w: %v", errInvalid, verr)
		}
		msgs = append(msgs, retryMessages(call, ReviewToolName, verr)...)
	}
}

func parseReview(raw []byte) (bool, []string, error) {
	var v struct {
		Pass   *bool    `json:"pass"`
		Issues []string `json:"issues"`
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&v); err != nil {
		return false, nil, fmt.Errorf("arguments are not the expected JSON object: %w", err)
	}
	if v.Pass == nil {
		return false, nil, errors.New("missing required field pass")
	}
	if len(v.Issues) > maxIssues {
		return false, nil, fmt.Errorf("%d issues, at most %d allowed", len(v.Issues), maxIssues)
	}
	var issues []string
	for i, s := range v.Issues {
		s = strings.TrimSpace(s)
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxIssueRunes {
			return false, nil, fmt.Errorf("issues[%d] must be text of at most %d characters", i, maxIssueRunes)
		}
		if s != "" {
			issues = append(issues, s)
		}
	}
	if !*v.Pass && len(issues) == 0 {
		return false, nil, errors.New("pass is false but no issue is listed")
	}
	return *v.Pass, issues, nil
}

// revise asks the model to rewrite text so the issues are solved.
func (r *Reasoner) revise(ctx context.Context, b *tokenBudget, req reason.Request, text string, issues []string, st toolState) (string, error) {
	system, err := r.cfg.Prompts.Render("revise", r.reviewData(req))
	if err != nil {
		return "", fmt.Errorf("llm: build prompt: %w", err)
	}
	msgs := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: system},
		{Role: openai.ChatMessageRoleUser, Content: evidence(req, st, text, issues)},
	}
	limit, err := b.allow(msgs, r.cfg.MaxTokens)
	if err != nil {
		return "", err
	}
	resp, err := r.client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model: r.cfg.Model, Messages: msgs, MaxTokens: limit, Temperature: r.cfg.Temperature,
	})
	if err != nil {
		return "", r.fail(ctx, "revise", err)
	}
	b.used.add(resp.Usage)
	used := resp.Usage.TotalTokens
	if used == 0 {
		used = estimateTokens(msgs) + limit/2
	}
	b.spend(used)
	for _, c := range resp.Choices {
		if out := strings.TrimSpace(c.Message.Content); out != "" && c.FinishReason != openai.FinishReasonLength {
			return out, nil
		}
	}
	return "", errors.New("revise: the model returned no complete text")
}

func (r *Reasoner) reviewData(req reason.Request) prompts.ReviewData {
	lang := req.Lang
	if lang != "zh" {
		lang = "en"
	}
	return prompts.ReviewData{Lang: lang, Proactive: strings.TrimSpace(req.Question) == "", Intervene: req.Intervene}
}

// evidence frames what the check may rely on, the customer's message and
// the text under review as data blocks.
func evidence(req reason.Request, st toolState, text string, issues []string) string {
	var b strings.Builder
	b.WriteString("<knowledge>\n")
	for i, p := range req.Passages {
		fmt.Fprintf(&b, "[%d] %q %s\n%s\n", i+1, oneLine(p.Title, 200), oneLine(p.Heading, 200), oneLine(p.Text, maxToolPassageRunes))
	}
	b.WriteString("</knowledge>\n")
	lang := req.Lang
	if lang != "zh" {
		lang = "en"
	}
	if lines := memoryLines(req, lang); len(lines) > 0 {
		b.WriteString("<customer_memory>\n")
		for _, l := range lines {
			fmt.Fprintf(&b, "- [%s] %s %s\n", l.Kind, l.Text, l.Ago)
		}
		b.WriteString("</customer_memory>\n")
	}
	for _, res := range st.results {
		b.WriteString(res + "\n")
	}
	if q := strings.TrimSpace(req.Question); q != "" {
		b.WriteString("<customer_message>\n" + oneLine(q, insightLastRunes) + "\n</customer_message>\n")
	}
	b.WriteString("<draft_reply>\n" + defang(text) + "\n</draft_reply>")
	if len(issues) > 0 {
		b.WriteString("\n<review_issues>\n")
		for _, s := range issues {
			b.WriteString("- " + oneLine(s, maxIssueRunes) + "\n")
		}
		b.WriteString("</review_issues>")
	}
	return b.String()
}

func toolsData(lang string, t Tools) prompts.ToolsData {
	return prompts.ToolsData{Lang: lang, Search: t.Search != nil, Recall: t.Recall != nil, Orders: t.Orders != nil, Handoff: t.Handoff != nil}
}
