package bot

import (
	"context"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kairoscx/kairos/bot/handoff"
	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/offline"
	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/memory"
)

// Handoff is the human side of the engine (bot/handoff.Service): who owns
// a conversation, forwarding customer messages to its agent, and opening a
// handoff.
type Handoff interface {
	Owner(conversationID string) (handoff.Record, bool)
	// Latest is the conversation's newest handoff, whatever its status.
	Latest(conversationID string) (handoff.Record, bool)
	Forward(ctx context.Context, r handoff.Record, m memory.Message, channel, lang string) error
	Open(ctx context.Context, req handoff.OpenRequest) (handoff.Record, error)
	Policy() handoff.Policy
}

// HandoffSummarizer writes the conversation summary agents see (bot/llm
// when a model is configured); without one the summary is extractive.
type HandoffSummarizer interface {
	SummarizeHandoff(ctx context.Context, msgs []memory.Message, lang string) (string, error)
}

// handoffHook is an engine's handoff wiring. It lives beside the engine
// rather than in it so the turn pipeline's files stay untouched; it moves
// into Config once the gateway sets it there.
type handoffHook struct {
	h          Handoff
	summarizer HandoffSummarizer
	// stripes order a conversation's store-and-forward: customer messages
	// reach the agent in seq order.
	stripes [64]sync.Mutex
	seed    maphash.Seed
}

var handoffHooks sync.Map // *Engine → *handoffHook

// SetHandoff connects the engine to human agents: from then on the
// engine escalates by h's policy, and a conversation a human owns has its
// customer messages recorded and forwarded instead of answered. Call it
// once, after New and before serving; summarizer may be nil.
func (e *Engine) SetHandoff(h Handoff, summarizer HandoffSummarizer) {
	if h == nil {
		handoffHooks.Delete(e)
		return
	}
	handoffHooks.Store(e, &handoffHook{h: h, summarizer: summarizer, seed: maphash.MakeSeed()})
}

func (e *Engine) handoff() *handoffHook {
	v, ok := handoffHooks.Load(e)
	if !ok {
		return nil
	}
	return v.(*handoffHook)
}

func (k *handoffHook) lock(conversationID string) *sync.Mutex {
	return &k.stripes[maphash.String(k.seed, conversationID)%uint64(len(k.stripes))]
}

// receiveForHuman records a customer message of a conversation a human
// owns and forwards it to the agent; the bot does not answer.
func (e *Engine) receiveForHuman(ctx context.Context, k *handoffHook, r handoff.Record, in channels.Inbound, msg memory.Message) (channels.Receipt, error) {
	mu := k.lock(in.ConversationID)
	mu.Lock()
	defer mu.Unlock()
	stored, created, err := e.cfg.Store.AppendMessage(ctx, msg)
	if err != nil {
		return channels.Receipt{}, err
	}
	e.acks.saw(stored.ConversationID, stored.Seq)
	// A resend is forwarded again: the first forward may have failed, and
	// the stream drops a repeat of the same seq.
	if err := k.h.Forward(ctx, r, stored, in.Channel, replyLang(insight.Lang(stored.Text), in.Lang)); err != nil {
		// Stored: the agent reads it in the transcript.
		e.log.Warn("forward to agent", "conversation", stored.ConversationID, "seq", stored.Seq, "err", err)
	}
	return channels.Receipt{ClientID: in.ClientID, Seq: stored.Seq, Duplicate: !created}, nil
}

// handoffBefore runs before a queued turn. It forwards the message when a
// human took the conversation over since it was queued, and hands over
// before answering when the message asks for a human, touches a sensitive
// topic, or follows answers that did not help. It reports whether the
// turn is done.
func (e *Engine) handoffBefore(j job) bool {
	k := e.handoff()
	if k == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.TurnTimeout)
	defer cancel()
	log := e.log.With("conversation", j.msg.ConversationID, "seq", j.msg.Seq)
	if r, ok := k.h.Owner(j.msg.ConversationID); ok {
		mu := k.lock(j.msg.ConversationID)
		mu.Lock()
		err := k.h.Forward(ctx, r, j.msg, j.in.Channel, replyLang(insight.Lang(j.msg.Text), j.in.Lang))
		mu.Unlock()
		if err != nil {
			log.Warn("forward to agent", "err", err)
		}
		return true
	}
	p := k.h.Policy()
	in := insight.Analyze(j.msg.Text)
	if in.Intent == insight.IntentHumanRequest && offline.IsRecallQuestion(j.msg.Text) {
		// "Do you remember the best time to call me?" asks what we know,
		// not for a person.
		in.Intent = insight.IntentOther
	}
	// Answers from before the last handoff were the humans' concern: they
	// do not count towards handing over again.
	var since time.Time
	if r, ok := k.h.Latest(j.msg.ConversationID); ok {
		since = r.CreatedAt
	}
	prev, unresolved := e.moods.lastOf(j.msg.ConversationID, since)
	if prev != nil {
		in.Trajectory = prev.Trajectory
	}
	s := handoff.Signals{Text: j.msg.Text, Insight: in, Unresolved: unresolved}
	d := p.Decide(s)
	var who *customerTier
	if !d.Escalate && (p.VIPAlways || (p.VIPUnresolved > 0 && unresolved >= p.VIPUnresolved)) {
		who = e.tierOf(ctx, log, j.msg.ConversationID)
		s.Tier = who.tier
		d = p.Decide(s)
	}
	if !d.Escalate || unattended(k, d) {
		return false
	}
	e.openHandoff(ctx, log, k, j, in, d, who)
	return true
}

// handoffAfter runs after a turn was answered: when the turn's mood
// trajectory crossed the policy's threshold (or a model read a request for
// a human the lexicon missed), the conversation is handed over.
func (e *Engine) handoffAfter(j job) {
	k := e.handoff()
	if k == nil {
		return
	}
	if _, ok := k.h.Owner(j.msg.ConversationID); ok {
		return
	}
	in, ok := e.moods.insightOf(j.msg.ConversationID, j.msg.Seq)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.TurnTimeout)
	defer cancel()
	log := e.log.With("conversation", j.msg.ConversationID, "seq", j.msg.Seq)
	p := k.h.Policy()
	// Unresolved answers were weighed before the turn. Right after an agent
	// handed back, the trajectory still carries the mood that led to the
	// handoff: it does not send the customer back by itself.
	s := handoff.Signals{Text: j.msg.Text, Insight: in, HasTrajectory: true}
	if r, ok := k.h.Latest(j.msg.ConversationID); ok && r.ResolvedAt != nil && e.now().Sub(*r.ResolvedAt) < handoffCooldown {
		s.HasTrajectory = false
	}
	d := p.Decide(s)
	var who *customerTier
	if !d.Escalate && p.VIPRiskThreshold > 0 && in.Trajectory.EscalationRisk >= p.VIPRiskThreshold {
		who = e.tierOf(ctx, log, j.msg.ConversationID)
		s.Tier = who.tier
		d = p.Decide(s)
	}
	if d.Escalate && !unattended(k, d) {
		e.openHandoff(ctx, log, k, j, in, d, who)
	}
}

type customerTier struct {
	id, channel, tier string
}

// tierOf loads the conversation's customer and tier (empty when unknown).
func (e *Engine) tierOf(ctx context.Context, log *slog.Logger, conversationID string) *customerTier {
	c := &customerTier{}
	conv, err := e.cfg.Store.Conversation(ctx, conversationID)
	if err != nil {
		log.Warn("handoff: load conversation", "err", err)
		return c
	}
	c.id, c.channel = conv.CustomerID, conv.Channel
	if p, err := e.cfg.Store.Profile(ctx, conv.CustomerID); err == nil {
		c.tier = p.Business.Tier
	}
	return c
}

// staffed is implemented by handoff services that know whether any agent
// is online (handoff.Service).
type staffed interface{ AgentsOnline() int }

// unattended reports whether d is an automatic escalation (mood, low
// confidence, tier) while no agent is online: the customer would only wait
// in an empty queue, so the bot keeps answering (offering a human when the
// mood calls for it). A customer's own request and sensitive topics always
// hand over: they are queued and the customer is told the wait.
func unattended(k *handoffHook, d handoff.Decision) bool {
	st, ok := k.h.(staffed)
	if !ok || st.AgentsOnline() > 0 {
		return false
	}
	return d.Reason != handoff.ReasonHumanRequest && !strings.HasPrefix(d.Reason, handoff.ReasonSensitive)
}

func (e *Engine) openHandoff(ctx context.Context, log *slog.Logger, k *handoffHook, j job, in insight.Insight, d handoff.Decision, who *customerTier) {
	if who == nil {
		who = e.tierOf(ctx, log, j.msg.ConversationID)
	}
	channel := j.in.Channel
	if channel == "" {
		channel = who.channel
	}
	r, err := k.h.Open(ctx, handoff.OpenRequest{
		ConversationID: j.msg.ConversationID, CustomerID: who.id, Channel: channel,
		Lang: replyLang(in.Lang, j.in.Lang), Decision: d, Insight: &in,
		Question: j.msg.Text, ReplyTo: j.msg.Seq, Tier: who.tier,
	})
	if err != nil {
		// The bot keeps answering; the next message tries again.
		log.Error("open handoff", "err", err)
		return
	}
	log.Info("handed over", "handoff", r.HandoffID, "reason", d.Reason, "queue", r.Queue)
}

// handoffCooldown is how long after an agent handed a conversation back
// the mood trajectory alone does not hand it over again.
const handoffCooldown = 10 * time.Minute

// lastOf returns the conversation's last analysed turn and how many bot
// answers in a row, up to it and after since, were not grounded.
func (b *moodBook) lastOf(conversationID string, since time.Time) (*insight.Insight, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.convs[conversationID]
	if c == nil || len(c.insights) == 0 {
		return nil, 0
	}
	n := 0
	for i := len(c.turns) - 1; i >= 0; i-- {
		t := c.turns[i]
		if t.BotReply == "" || t.Resolved || !t.At.After(since) {
			break
		}
		n++
	}
	in := c.insights[len(c.insights)-1]
	return &in, n
}

// insightOf returns the insight of the customer message seq, when it is
// the conversation's last analysed turn.
func (b *moodBook) insightOf(conversationID string, seq int64) (insight.Insight, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.convs[conversationID]
	if c == nil || len(c.seqs) == 0 || c.seqs[len(c.seqs)-1] != seq || len(c.insights) != len(c.seqs) {
		return insight.Insight{}, false
	}
	return c.insights[len(c.insights)-1], true
}
