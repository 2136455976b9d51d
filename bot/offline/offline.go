// Package offline is the reasoner that needs no language model: it answers
// small talk from templates, phrases the best knowledge passage as a reply,
// and says honestly when it does not know.
//
// It is the default when no LLM is configured and the engine's fallback when
// the LLM fails, so it must never invent anything: every fact it gives comes
// from a passage the knowledge base judged relevant, or, when the customer
// asks what they told us before ("我上次说宝宝多大了？"), from a recalled
// memory, quoted with when they said it. A returning customer's greeting
// mentions what they asked about last time. Memory text is only ever quoted:
// nothing in it changes what the reasoner does.
package offline

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/memory/longterm"
	"github.com/kairoscx/kairos/prompts"
)

// Reasoner is the offline reasoner. It is safe for concurrent use.
type Reasoner struct {
	prompts *prompts.Set
}

// New returns an offline reasoner that phrases its replies with p's
// templates: greeting, thanks, human_request, offline_answer and no_answer.
func New(p *prompts.Set) *Reasoner {
	return &Reasoner{prompts: p}
}

// Name is the Reply.Reasoner value of offline replies.
const Name = "offline"

// Answer picks the template for req and, when emit is not nil, emits the
// reply in a few pieces so a caller that streams can show it the same way as
// an LLM reply. The dialogue engine does not stream it (see Instant).
func (r *Reasoner) Answer(ctx context.Context, req reason.Request, emit func(piece string)) (reason.Reply, error) {
	if err := ctx.Err(); err != nil {
		return reason.Reply{}, fmt.Errorf("offline: answer: %w", err)
	}
	lang := req.Lang
	if lang != "zh" {
		lang = "en"
	}
	data := prompts.ReplyData{Lang: lang, Apology: negative(req.Mood) || req.Intervene, Need: req.Need}
	reply := reason.Reply{Reasoner: Name}
	name := "no_answer"
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	switch {
	case req.Intent == insight.IntentGreeting:
		name = req.Intent
		if ep, ok := lastEpisode(req); ok {
			name = "greeting_back"
			data.LastTopics = topics(ep.Value)
			data.LastAgo = longterm.Ago(ep.SaidAt, now, lang)
			if lang != "zh" {
				data.LastAgo = capitalize(data.LastAgo)
			}
		}
	case IsRecallQuestion(req.Question) && req.Intent != insight.IntentGreeting && req.Intent != insight.IntentThanks:
		// Before the human-request case: "do you remember the best time
		// to call me?" asks what we know, not for a call.
		name = "memory_none"
		if m, ok := answerMemory(req.Question, req.Memories); ok {
			name = "memory_answer"
			data.Memory = describe(m, now, lang)
			reply.Grounded = true
			reply.Sources = []string{"memory:" + m.Key}
		}
	case insight.SmallTalk(req.Intent):
		name = req.Intent
	default:
		if p, ok := bestPassage(req.Passages, lang); ok {
			name = "offline_answer"
			data.Title, data.Heading = p.Title, p.Heading
			data.Text = excerpt(req.Question, p.Text)
			reply.Grounded = true
			reply.Sources = []string{p.Title}
		}
	}
	text, err := r.prompts.Render(name, data)
	if err != nil {
		return reason.Reply{}, fmt.Errorf("offline: answer: %w", err)
	}
	if req.Intervene && name != "human_request" && name != "no_answer" {
		// The customer is heading for anger: acknowledge it and offer a
		// person before they have to ask. (no_answer and human_request
		// already offer one.)
		extra, err := r.prompts.Render("intervene", data)
		if err != nil {
			return reason.Reply{}, fmt.Errorf("offline: answer: %w", err)
		}
		text = joinReply(text, extra, lang)
	}
	if offerable(name, req) {
		data.Action = req.NextAction
		extra, err := r.prompts.Render("offer", data)
		if err != nil {
			return reason.Reply{}, fmt.Errorf("offline: answer: %w", err)
		}
		if extra != "" {
			text = joinReply(text, extra, lang)
			reply.Offered = req.NextAction
		}
	}
	reply.Text = text
	if emit == nil {
		return reply, nil
	}
	for _, piece := range pieces(text, 4) {
		if err := ctx.Err(); err != nil {
			return reason.Reply{}, fmt.Errorf("offline: answer: %w", err)
		}
		emit(piece)
	}
	return reply, nil
}

// Instant reports that a reply is complete the moment Answer returns, with
// no model to wait for: streaming it would show the customer nothing
// sooner, so the dialogue engine sends it as one message, without the
// deltas and the sequence number reserved for them.
func (r *Reasoner) Instant() bool { return true }

// offerable reports whether the reply rendered with template name may end
// with an offer of req.NextAction: after a real answer or thanks, never
// after "I don't know" or a request for a human, and a human is not offered
// twice when the intervention already offers one.
func offerable(name string, req reason.Request) bool {
	switch req.NextAction {
	case "", "answer_only", "do_nothing":
		return false
	case "human_agent":
		if req.Intervene {
			return false
		}
	}
	return name == "offline_answer" || name == "memory_answer" || name == "thanks"
}

// joinReply appends extra to text as a new sentence.
func joinReply(text, extra, lang string) string {
	if lang == "zh" {
		return text + extra
	}
	return text + " " + extra
}

func negative(mood string) bool {
	return mood == insight.MoodFrustrated || mood == insight.MoodAngry || mood == insight.MoodAnxious
}

// bestPassage returns the first relevant passage (passages come best
// first), preferring one in the reply language (or of unknown language) over
// a better ranked one the customer may not read.
func bestPassage(ps []reason.Passage, lang string) (reason.Passage, bool) {
	var other reason.Passage
	var foundOther bool
	for _, p := range ps {
		if !p.Relevant {
			continue
		}
		if p.Lang == lang || p.Lang == "" {
			return p, true
		}
		if !foundOther {
			other, foundOther = p, true
		}
	}
	return other, foundOther
}

// pieces cuts s into about n pieces on rune boundaries, preferring to cut
// after white space or punctuation so streamed words stay whole.
func pieces(s string, n int) []string {
	size := utf8.RuneCountInString(s)/n + 1
	var out []string
	var b strings.Builder
	count := 0
	for _, r := range s {
		b.WriteRune(r)
		count++
		if count >= size && breakAfter(r) {
			out = append(out, b.String())
			b.Reset()
			count = 0
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

func breakAfter(r rune) bool {
	return r == ' ' || r == '\n' || strings.ContainsRune("，。！？；：,.!?;:", r) || r > 0x2E80
}
