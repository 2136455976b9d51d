package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/kairoscx/kairos/bot/reason"
)

// Answer asks the model, calling emit with each piece of text as it streams
// in, held back by GuardHoldback characters so the output guard sees a leak
// before the customer does. A reply the guard blocks is replaced by the
// safe reply in the customer's language (Reply.Text), counted and logged;
// the pieces already emitted are then not the reply and the caller replaces
// them, as after any failure.
//
// With Slow.Enabled, high-stakes requests (see HighStakes) are answered by
// Deliberate instead, without streaming; when slow thinking cannot verify
// any version, Answer returns ErrUnverified so the caller's offline
// fallback answers.
func (r *Reasoner) Answer(ctx context.Context, req reason.Request, emit func(piece string)) (reason.Reply, error) {
	if r.cfg.Slow.Enabled && HighStakes(req) {
		d, err := r.Deliberate(ctx, req, "")
		if err != nil {
			return reason.Reply{}, err
		}
		if !d.Verified {
			return reason.Reply{}, ErrUnverified
		}
		return d.Reply, nil
	}
	a, err := r.converse(ctx, req, emit)
	if err != nil {
		return reason.Reply{}, err
	}
	reply := a.reply(r, req)
	reply.Usage = a.usage.reply(r.cfg.Price)
	return reply, nil
}

// answered is what one conversation call (with its tool rounds) produced.
type answered struct {
	text    string
	verdict Verdict
	tools   toolState
	tokens  int   // reported or estimated, for slow thinking's budget
	usage   usage // reported
}

// reply is the Reply for a, the safe reply when the guard blocked it.
func (a answered) reply(r *Reasoner, req reason.Request) reason.Reply {
	if a.verdict.Blocked() {
		return reason.Reply{Text: r.guard.SafeReply(req.Lang), Reasoner: Name}
	}
	reply := reason.Reply{Text: a.text, Reasoner: Name}
	for _, p := range req.Passages {
		if p.Relevant {
			reply.Grounded = true
			reply.Sources = append(reply.Sources, p.Title)
		}
	}
	if a.tools.grounded {
		reply.Grounded = true
	}
	for _, s := range a.tools.sources {
		if !contains(reply.Sources, s) {
			reply.Sources = append(reply.Sources, s)
		}
	}
	return reply
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// converse runs the chat with the tool loop, streaming the text through the
// guard to emit (nil: no streaming). Every round asks the API for its
// usage (stream_options.include_usage), which the turn records.
func (r *Reasoner) converse(ctx context.Context, req reason.Request, emit func(string)) (answered, error) {
	msgs, err := r.messages(req)
	if err != nil {
		return answered{}, err
	}
	known := KnownFrom(req)
	st := toolState{known: known}
	defs := r.cfg.Tools.definitions()
	if len(defs) > 0 {
		addendum, err := r.cfg.Prompts.Render("tools", r.toolsData(req.Lang))
		if err != nil {
			return answered{}, fmt.Errorf("llm: build prompt: %w", err)
		}
		msgs[0].Content += "\n\n" + addendum
	}
	gs := &guardStream{g: r.guard, known: known, emit: emit, hold: r.cfg.GuardHoldback}
	start := time.Now()
	toolCtx, cancel := context.WithDeadline(ctx, start.Add(r.cfg.Tools.Budget))
	defer cancel()
	tokens := 0
	var used usage
	for round := 0; ; round++ {
		offer := len(defs) > 0 && round < r.cfg.Tools.MaxRounds && toolCtx.Err() == nil
		creq := openai.ChatCompletionRequest{
			Model: r.cfg.Model, Messages: msgs, MaxTokens: r.cfg.MaxTokens, Temperature: r.cfg.Temperature, Stream: true,
			StreamOptions: &openai.StreamOptions{IncludeUsage: true},
		}
		if len(defs) > 0 && round > 0 {
			// Earlier rounds called tools: keep them defined, but once the
			// rounds or the budget are spent the model must answer.
			creq.Tools = defs
			if !offer {
				creq.ToolChoice = "none"
			}
		} else if offer {
			creq.Tools = defs
		}
		gs.separate()
		calls, n, reported, err := r.round(ctx, creq, gs)
		tokens += n
		used.add(reported)
		if err != nil {
			return answered{}, err
		}
		if gs.verdict.Blocked() {
			break
		}
		if len(calls) == 0 || !offer {
			break
		}
		if len(calls) > maxToolCallsPerRound {
			calls = calls[:maxToolCallsPerRound]
		}
		msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: gs.roundText(), ToolCalls: calls})
		for _, c := range calls {
			msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, ToolCallID: c.ID,
				Content: r.runTool(toolCtx, req, c, &st)})
		}
	}
	v := gs.finish()
	out := answered{text: strings.TrimSpace(gs.text.String()), verdict: v, tools: st, tokens: tokens, usage: used}
	if v.Blocked() {
		r.metrics.guard.WithLabelValues(v.Reason).Inc()
		r.log.Warn("output guard replaced a reply", "reason", v.Reason, "detail", v.Detail, "conversation", req.ConversationID)
		return out, nil
	}
	if out.text == "" {
		return answered{}, r.fail(ctx, "read stream", errors.New("the model returned no text"))
	}
	return out, nil
}

func (r *Reasoner) toolsData(lang string) any {
	t := r.cfg.Tools
	if lang != "zh" {
		lang = "en"
	}
	return toolsData(lang, t)
}

// round streams one completion into gs and returns the tool calls it made,
// the tokens it used (reported, or estimated when the API reports none)
// and the usage the API reported.
func (r *Reasoner) round(ctx context.Context, creq openai.ChatCompletionRequest, gs *guardStream) ([]openai.ToolCall, int, openai.Usage, error) {
	var reported openai.Usage
	stream, err := r.client.CreateChatCompletionStream(ctx, creq)
	if err != nil {
		return nil, 0, reported, r.fail(ctx, "start stream", err)
	}
	defer stream.Close()
	var calls []openai.ToolCall
	finished, tokens := false, 0
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, reported, r.fail(ctx, "read stream", err)
		}
		if chunk.Usage != nil {
			tokens, reported = chunk.Usage.TotalTokens, *chunk.Usage
		}
		for _, c := range chunk.Choices {
			if c.Delta.Content != "" && !gs.verdict.Blocked() {
				gs.write(c.Delta.Content)
			}
			for _, tc := range c.Delta.ToolCalls {
				calls = mergeToolCall(calls, tc)
			}
			if c.FinishReason != "" {
				finished = true
			}
		}
	}
	// go-openai reports a connection closed before "[DONE]" as a plain
	// EOF; without a finish reason the reply is cut off, not complete.
	if !finished {
		return nil, 0, reported, r.fail(ctx, "read stream", io.ErrUnexpectedEOF)
	}
	if tokens == 0 && creq.StreamOptions != nil {
		tokens = estimateTokens(creq.Messages) + utf8.RuneCountInString(gs.roundText())/3
	}
	for i := range calls {
		if calls[i].ID == "" {
			calls[i].ID = fmt.Sprintf("call_%d", i)
		}
		calls[i].Type = openai.ToolTypeFunction
	}
	return calls, tokens, reported, nil
}

// mergeToolCall adds a streamed tool-call fragment to calls: the first
// fragment of a call carries its id and name, the rest its arguments.
func mergeToolCall(calls []openai.ToolCall, frag openai.ToolCall) []openai.ToolCall {
	i := len(calls) - 1
	if frag.Index != nil {
		i = *frag.Index
	} else if frag.ID != "" || i < 0 {
		i = len(calls)
	}
	if i < 0 || i > 64 {
		return calls
	}
	for len(calls) <= i {
		calls = append(calls, openai.ToolCall{})
	}
	c := &calls[i]
	if frag.ID != "" {
		c.ID = frag.ID
	}
	if frag.Function.Name != "" {
		c.Function.Name = frag.Function.Name
	}
	c.Function.Arguments += frag.Function.Arguments
	return calls
}

// estimateTokens guesses a prompt's size when the API reports no usage:
// about three characters a token across English and Chinese.
func estimateTokens(msgs []openai.ChatCompletionMessage) int {
	n := 0
	for _, m := range msgs {
		n += 4 + utf8.RuneCountInString(m.Content)/3
	}
	return n
}

// fail wraps err with the API status it carries and logs it.
func (r *Reasoner) fail(ctx context.Context, op string, err error) error {
	return failure(ctx, r.log, op, err)
}

// guardStream passes streamed text to emit once the guard has read past it.
type guardStream struct {
	g     *Guard
	known *Known
	emit  func(string)
	hold  int // runes held back

	text      strings.Builder
	roundFrom int // byte offset where the current round's text starts
	released  int // bytes emitted
	checked   int // bytes checked incrementally
	verdict   Verdict
}

// guardOverlap is how far (in bytes) an incremental check reaches back
// before the new text, so a match spanning pieces is seen whole.
const guardOverlap = 256

// separate starts a new round: its text follows the previous round's after
// a blank line.
func (s *guardStream) separate() {
	s.roundFrom = s.text.Len()
}

func (s *guardStream) roundText() string {
	return s.text.String()[s.roundFrom:]
}

func (s *guardStream) write(piece string) {
	if s.roundFrom > 0 && s.text.Len() == s.roundFrom && strings.TrimSpace(s.text.String()) != "" {
		s.text.WriteString("\n\n")
		s.roundFrom = s.text.Len()
	}
	s.text.WriteString(piece)
	all := s.text.String()
	from := max(0, s.checked-guardOverlap)
	for from > 0 && !utf8.RuneStart(all[from]) {
		from--
	}
	s.checked = len(all)
	if s.verdict = s.g.Check(all[from:], s.known); s.verdict.Blocked() {
		return
	}
	s.release(all, false)
}

// release emits the text the guard has seen enough of: all but the last
// hold runes, and never part of a word or number still being written.
func (s *guardStream) release(all string, final bool) {
	if s.emit == nil {
		return
	}
	upto := len(all)
	if !final {
		for n := 0; n < s.hold && upto > s.released; n++ {
			_, size := utf8.DecodeLastRuneInString(all[:upto])
			upto -= size
		}
		for upto > s.released {
			r, size := utf8.DecodeLastRuneInString(all[:upto])
			if !tokenRune(r) {
				break
			}
			upto -= size
		}
	}
	if upto > s.released {
		s.emit(all[s.released:upto])
		s.released = upto
	}
}

func tokenRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("@._+-#/", r))
}

// finish checks the whole reply and, when it passes, emits the rest.
func (s *guardStream) finish() Verdict {
	if s.verdict.Blocked() {
		return s.verdict
	}
	all := s.text.String()
	if s.verdict = s.g.Check(all, s.known); !s.verdict.Blocked() {
		s.release(all, true)
	}
	return s.verdict
}
