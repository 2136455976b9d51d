package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/memory"
)

const (
	// historyTurns is how many earlier messages reasoners see.
	historyTurns = 10
	// searchK is how many passages a turn retrieves.
	searchK = 5
	// shortQuery is the length (in characters) below which a message like
	// "那运费呢" or "and shipping?" is searched together with the customer's
	// previous message, which carries the topic.
	shortQuery = 8
)

// turn answers one customer message. It runs on the engine's context, never
// the request's, and reports its outcome in metrics and logs.
func (e *Engine) turn(j job) {
	start := e.now()
	log := e.log.With("conversation", j.msg.ConversationID, "seq", j.msg.Seq)
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.TurnTimeout)
	defer cancel()

	outcome, err := e.answer(ctx, log, j)
	if err != nil {
		outcome = outcomeError
		log.Error("turn failed", "err", err)
	}
	e.metrics.turns.WithLabelValues(outcome).Inc()
	e.metrics.duration.Observe(e.now().Sub(start).Seconds())
}

// answer runs the pipeline and returns the outcome label.
func (e *Engine) answer(ctx context.Context, log *slog.Logger, j job) (string, error) {
	msg := j.msg
	if j.resend {
		// Between Receive's check and now the original turn may have
		// finished; answering again would send the customer two replies.
		if done, err := e.answered(ctx, msg); err != nil || done {
			return outcomeSkipped, err
		}
	}
	e.publish(ctx, log, channels.Outbound{Kind: channels.OutTyping, Role: string(memory.RoleBot)}, msg.ConversationID)

	history, err := e.history(ctx, msg)
	if err != nil {
		return "", err
	}
	in, mood := e.understand(ctx, log, j, history)
	// Knowledge and the customer's memory and profile are fetched side by
	// side: the turn waits for the slower, not for both in a row.
	var who customer
	fetched := make(chan struct{})
	go func() {
		defer close(fetched)
		who = e.customer(ctx, log, msg)
	}()
	passages := e.retrieve(ctx, log, searchQuery(msg.Text, history))
	<-fetched
	next, _ := e.decideNext(ctx, log, msg.ConversationID, who, in, msg.Text)
	req := reason.Request{
		ConversationID: msg.ConversationID,
		Question:       msg.Text,
		Lang:           replyLang(in.Lang, j.in.Lang),
		Intent:         in.Intent,
		Mood:           in.Mood,
		Need:           in.Need,
		NeedReason:     in.NeedReason,
		EscalationRisk: in.Trajectory.EscalationRisk,
		Intervene:      in.Trajectory.Escalate() && in.Intent != insight.IntentHumanRequest,
		NextAction:     next.Action,
		History:        history,
		Passages:       passages,
		CustomerID:     who.id,
		Now:            e.now(),
		Profile:        who.profile,
		Memories:       who.memories,
	}
	reply, seq, outcome, err := e.reason(ctx, log, req)
	if err != nil {
		return "", err
	}
	// seq is 0 when nothing was streamed: the store assigns the next one.
	stored, _, err := e.cfg.Store.AppendMessage(ctx, memory.Message{
		ConversationID: msg.ConversationID, Seq: seq, Role: memory.RoleBot,
		Text: reply.Text, ReplyTo: msg.Seq, CreatedAt: e.now(),
	})
	if err != nil {
		return "", fmt.Errorf("record reply: %w", err)
	}
	e.remember(msg.ConversationID, mood, reply, in.Intent)
	if offered(next.Action) && reply.Offered != next.Action {
		// The reply did not show the offer: there is nothing to respond to.
		e.offers.swap(msg.ConversationID, nil)
	}
	e.acks.saw(stored.ConversationID, stored.Seq)
	out := messageOut(stored)
	if err := e.cfg.Outbox.Publish(ctx, out); err != nil {
		// The reply is stored: the client gets it by replay on reconnect.
		log.Warn("deliver reply", "err", err)
	}
	if req.Intervene {
		e.metrics.interventions.Inc()
	}
	log.Debug("turn answered", "intent", req.Intent, "mood", req.Mood, "need", req.Need, "risk", req.EscalationRisk, "lang", req.Lang,
		"reasoner", reply.Reasoner, "grounded", reply.Grounded, "outcome", outcome, "memories", len(req.Memories))
	e.mem.turnDone(e.ctx, who.id, msg, in, req.Lang, firstCustomerTurn(history))
	e.publishTurn(ctx, log, j.in.CustomerID, j.in.Channel, msg, in, req.Lang, req.Intervene, reply)
	return outcome, nil
}

// customer is who asks, with what we know of them.
type customer struct {
	id       string
	profile  *reason.ProfileSummary
	memories []reason.Memory
	full     *memory.Profile // nil when not loaded
}

// customer resolves the conversation's customer (from the store, not the
// channel's say-so, so a merge is followed) and loads their profile and
// memories for the question. Without memory it returns nothing.
func (e *Engine) customer(ctx context.Context, log *slog.Logger, msg memory.Message) customer {
	if e.mem == nil {
		return customer{}
	}
	conv, err := e.cfg.Store.Conversation(ctx, msg.ConversationID)
	if err != nil {
		log.Warn("load conversation for memory", "err", err)
		return customer{}
	}
	p, ms, full := e.mem.customerContext(ctx, log, conv.CustomerID, msg.Text)
	return customer{id: conv.CustomerID, profile: p, memories: ms, full: full}
}

// firstCustomerTurn reports whether no customer message precedes this one
// in the history: the turn starts a conversation.
func firstCustomerTurn(history []reason.Turn) bool {
	for _, t := range history {
		if t.Role == string(memory.RoleCustomer) {
			return false
		}
	}
	return true
}

// reason gets the reply: from the primary reasoner unless there is nothing
// relevant to answer from; from the fallback when the primary fails or runs
// out of time. A primary that streams (see instant) has its pieces published
// as deltas under a sequence number reserved for the final message, which
// reason returns; otherwise the returned seq is 0.
func (e *Engine) reason(ctx context.Context, log *slog.Logger, req reason.Request) (reason.Reply, int64, string, error) {
	if !insight.SmallTalk(req.Intent) && !anyRelevant(req.Passages) && !anyRelevantMemory(req.Memories) {
		// Without knowledge or a memory to go on the LLM could only guess
		// at policy; the fallback says honestly that we don't know.
		reply, err := e.fallback(ctx, req)
		return reply, 0, outcomeNoAnswer, err
	}
	var seq int64
	var emit func(piece string)
	if e.streams {
		var err error
		if seq, err = e.cfg.Store.ReserveSeq(ctx, req.ConversationID); err != nil {
			return reason.Reply{}, 0, "", fmt.Errorf("reserve seq: %w", err)
		}
		emit = func(piece string) {
			e.publish(ctx, log, channels.Outbound{Kind: channels.OutDelta, Seq: seq, Role: string(memory.RoleBot), Text: piece}, req.ConversationID)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, e.cfg.ReasonerTimeout)
	reply, err := e.cfg.Reasoner.Answer(rctx, req, emit)
	cancel()
	if err == nil && strings.TrimSpace(reply.Text) != "" {
		return reply, seq, outcomePrimary, nil
	}
	if err == nil {
		err = errors.New("empty reply")
	}
	if ctx.Err() != nil {
		return reason.Reply{}, 0, "", fmt.Errorf("reasoner: %w", err)
	}
	log.Warn("primary reasoner failed, using fallback", "err", err)
	e.metrics.fallbacks.Inc()
	// The final message replaces whatever the primary streamed, so the
	// fallback does not stream: its pieces would append to the partial text.
	reply, err = e.fallback(ctx, req)
	return reply, seq, outcomeFallback, err
}

// instant is implemented by reasoners whose reply is complete as soon as
// Answer returns (bot/offline): there is no model to wait for, so streaming
// would show the customer nothing sooner. When the primary reasoner reports
// Instant, the engine calls it with a nil emit, reserves no sequence number
// and stores the reply under the next one: a turn saves a store write and
// the deltas' frames. The channel gets just the final message.
type instant interface {
	Instant() bool
}

// streams reports whether r's pieces are worth streaming.
func streams(r reason.Reasoner) bool {
	i, ok := r.(instant)
	return !ok || !i.Instant()
}

func (e *Engine) fallback(ctx context.Context, req reason.Request) (reason.Reply, error) {
	reply, err := e.cfg.Fallback.Answer(ctx, req, nil)
	if err != nil {
		return reason.Reply{}, fmt.Errorf("fallback reasoner: %w", err)
	}
	return reply, nil
}

// history returns up to historyTurns messages before msg, oldest first.
func (e *Engine) history(ctx context.Context, msg memory.Message) ([]reason.Turn, error) {
	// Later customer messages may already be stored (they wait in the
	// queue, or are being received), so the tail fetched is a little
	// longer than the history. Most turns have nothing waiting: the first
	// fetch is sized for what is queued now, and only when it is full yet
	// short of history is the longest tail a full queue allows fetched.
	most := historyTurns + e.cfg.MaxQueue + 1
	n := min(most, historyTurns+1+e.queued(msg.ConversationID)+historySlack)
	last, err := e.cfg.Store.LastMessages(ctx, msg.ConversationID, n)
	if err == nil && len(last) == n && n < most && countBefore(last, msg.Seq) < historyTurns {
		last, err = e.cfg.Store.LastMessages(ctx, msg.ConversationID, most)
	}
	if err != nil {
		return nil, fmt.Errorf("load history: %w", err)
	}
	turns := make([]reason.Turn, 0, min(len(last), historyTurns))
	for _, m := range last {
		if m.Seq < msg.Seq {
			turns = append(turns, reason.Turn{Role: string(m.Role), Text: m.Text, At: m.CreatedAt, Seq: m.Seq})
		}
	}
	if len(turns) > historyTurns {
		turns = turns[len(turns)-historyTurns:]
	}
	if len(turns) == 0 {
		return nil, nil
	}
	return turns, nil
}

// historySlack covers customer messages stored but not yet queued when
// history is fetched.
const historySlack = 2

func countBefore(ms []memory.Message, seq int64) int {
	n := 0
	for _, m := range ms {
		if m.Seq < seq {
			n++
		}
	}
	return n
}

// queued returns how many turns of a conversation wait behind the running
// one.
func (e *Engine) queued(conversationID string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if q := e.queues[conversationID]; q != nil {
		return len(q.jobs)
	}
	return 0
}

// retrieve searches the knowledge base. A failing search is logged and the
// turn goes on without passages: an honest "I don't know" beats silence.
func (e *Engine) retrieve(ctx context.Context, log *slog.Logger, query string) []reason.Passage {
	if e.cfg.Knowledge == nil {
		return nil
	}
	hits, err := e.cfg.Knowledge.Search(ctx, query, searchK)
	if err != nil {
		log.Warn("knowledge search failed", "err", err)
		return nil
	}
	ps := make([]reason.Passage, 0, len(hits))
	for _, h := range hits {
		ps = append(ps, reason.Passage{
			Title: h.Title, Heading: h.Heading, Text: h.Text, Lang: h.Lang, Score: h.Score, Relevant: h.Relevant,
		})
	}
	return ps
}

// searchQuery is the text searched for msg: the message itself, with the
// previous customer message added when the message is too short to carry
// its topic.
func searchQuery(text string, history []reason.Turn) string {
	if utf8.RuneCountInString(text) >= shortQuery {
		return text
	}
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Role == string(memory.RoleCustomer) {
			return text + " " + history[i].Text
		}
	}
	return text
}

// replyLang picks the reply language: the language the customer wrote in;
// when the text shows none (numbers, emoji), the channel's hint (the
// browser's language); else English.
func replyLang(detected, hint string) string {
	if detected == "zh" || detected == "en" {
		return detected
	}
	if hint == "zh" || hint == "en" {
		return hint
	}
	return "en"
}

func anyRelevantMemory(ms []reason.Memory) bool {
	for _, m := range ms {
		if m.Relevant && m.Kind != memory.MemoryEpisode {
			return true
		}
	}
	return false
}

func anyRelevant(ps []reason.Passage) bool {
	for _, p := range ps {
		if p.Relevant {
			return true
		}
	}
	return false
}

// publish sends out, logging failures: deltas and typing are best effort,
// and stored messages can be replayed.
func (e *Engine) publish(ctx context.Context, log *slog.Logger, out channels.Outbound, conversationID string) {
	out.V = channels.Version
	out.ConversationID = conversationID
	if out.At.IsZero() {
		out.At = e.now()
	}
	if err := e.cfg.Outbox.Publish(ctx, out); err != nil {
		log.Warn("publish", "kind", out.Kind, "err", err)
	}
}

// messageOut turns a stored message into its outbound form.
func messageOut(m memory.Message) channels.Outbound {
	return channels.Outbound{
		V: channels.Version, Kind: channels.OutMessage, ConversationID: m.ConversationID,
		Seq: m.Seq, Role: string(m.Role), Text: m.Text, ReplyTo: m.ReplyTo, At: m.CreatedAt,
	}
}
