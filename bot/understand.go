package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/reason"
	"github.com/kairoscx/kairos/memory"
)

// The engine reads each customer turn in light of the conversation so far:
// the mood trajectory needs the earlier turns, their timing, the signals the
// widget reported while they were written and whether the bot's answers
// resolved them. A node keeps that for its recent conversations in memory;
// a conversation that moved to another node (or outlived the cache) is
// rebuilt from its stored history, losing only the composition signals and
// the resolution of the rebuilt turns, which are then taken as resolved so a
// rebuild never raises the escalation risk on its own.

const (
	// trackedTurns is how many customer turns of a conversation are kept
	// for the trajectory.
	trackedTurns = 20
	// trackedConversations bounds the cache; the least recently used
	// conversation is dropped beyond it.
	trackedConversations = 10_000
)

// conversationMood is what the engine knows of a conversation's customer
// turns, oldest first; seqs[i] is the message seq of turns[i].
type conversationMood struct {
	seqs     []int64
	turns    []insight.Turn
	insights []insight.Insight
	used     time.Time
}

// moodBook caches conversations' moods by conversation id.
type moodBook struct {
	mu    sync.Mutex
	convs map[string]*conversationMood
}

// take returns a copy of the conversation's record when its last turn is
// the customer message before seq (nothing was missed), else nil.
func (b *moodBook) take(conversationID string, prevCustomerSeq int64) *conversationMood {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.convs[conversationID]
	if c == nil || len(c.seqs) == 0 || c.seqs[len(c.seqs)-1] != prevCustomerSeq {
		return nil
	}
	return &conversationMood{
		seqs:     append([]int64(nil), c.seqs...),
		turns:    append([]insight.Turn(nil), c.turns...),
		insights: append([]insight.Insight(nil), c.insights...),
	}
}

// put stores c for the conversation, trimming it to trackedTurns and the
// cache to trackedConversations.
func (b *moodBook) put(conversationID string, c *conversationMood, now time.Time) {
	if n := len(c.turns); n > trackedTurns {
		c.seqs, c.turns, c.insights = c.seqs[n-trackedTurns:], c.turns[n-trackedTurns:], c.insights[n-trackedTurns:]
	}
	c.used = now
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.convs == nil {
		b.convs = map[string]*conversationMood{}
	}
	b.convs[conversationID] = c
	if len(b.convs) <= trackedConversations {
		return
	}
	oldest, at := "", now
	for id, x := range b.convs {
		if x.used.Before(at) || oldest == "" {
			oldest, at = id, x.used
		}
	}
	delete(b.convs, oldest)
}

// understand reads the turn's message with the conversation so far. It
// never fails: when the analyzer does, the single-message reading is used.
// It returns the insight and the record to keep once the reply is known
// (see remember).
func (e *Engine) understand(ctx context.Context, log *slog.Logger, j job, history []reason.Turn) (insight.Insight, *conversationMood) {
	msg := j.msg
	var prevAt time.Time
	if n := len(history); n > 0 {
		prevAt = history[n-1].At
	}
	c := e.moods.take(msg.ConversationID, lastCustomerSeq(history))
	if c == nil {
		c = rebuildMood(history)
	}
	cur := insight.Turn{Text: msg.Text, At: msg.CreatedAt, ComposeMS: j.in.ComposeMS, Deletions: j.in.Deletions}
	if !prevAt.IsZero() && msg.CreatedAt.After(prevAt) {
		cur.GapMS = msg.CreatedAt.Sub(prevAt).Milliseconds()
	}
	turns := append(c.turns, cur)
	earlier := c.insights
	if len(earlier) != len(c.turns) {
		earlier = nil
	}
	in, err := e.cfg.Insight.Analyze(ctx, turns, earlier)
	if err != nil {
		log.Warn("insight failed, reading the message alone", "err", err)
		in = insight.Analyze(msg.Text)
	}
	c.seqs = append(c.seqs, msg.Seq)
	c.turns = turns
	if earlier == nil {
		// The earlier turns were rebuilt from history: keep for each the
		// single-message reading with the mood the trajectory gave it, so
		// the next turn need not recompute them.
		c.insights = make([]insight.Insight, len(c.turns)-1, len(c.turns))
		for i := range c.insights {
			c.insights[i] = insight.Analyze(c.turns[i].Text)
			if i < len(in.Trajectory.Moods) {
				p := in.Trajectory.Moods[i]
				c.insights[i].Mood, c.insights[i].Valence, c.insights[i].Arousal = p.Label, p.Valence, p.Arousal
			}
		}
	}
	c.insights = append(c.insights, in)
	return in, c
}

// remember records how the bot answered the turn and keeps the record.
func (e *Engine) remember(conversationID string, c *conversationMood, reply reason.Reply, intent string) {
	if c == nil || len(c.turns) == 0 {
		return
	}
	last := &c.turns[len(c.turns)-1]
	last.BotReply = reply.Text
	last.Resolved = reply.Grounded || insight.SmallTalk(intent)
	e.moods.put(conversationID, c, e.now())
}

// rebuildMood turns stored history into customer turns: gaps from the
// message times, the bot's following message as the reply, every turn
// taken as resolved (the resolution is not stored).
func rebuildMood(history []reason.Turn) *conversationMood {
	c := &conversationMood{}
	var prev time.Time
	for i, t := range history {
		if t.Role == string(memory.RoleCustomer) {
			turn := insight.Turn{Text: t.Text, At: t.At, Resolved: true}
			if !prev.IsZero() && t.At.After(prev) {
				turn.GapMS = t.At.Sub(prev).Milliseconds()
			}
			for _, n := range history[i+1:] {
				if n.Role == string(memory.RoleBot) || n.Role == string(memory.RoleAgent) {
					turn.BotReply = n.Text
					break
				}
				if n.Role == string(memory.RoleCustomer) {
					break
				}
			}
			c.turns = append(c.turns, turn)
			c.seqs = append(c.seqs, -1)
		}
		prev = t.At
	}
	return c
}

// lastCustomerSeq is the seq of the last customer message in history, or 0.
func lastCustomerSeq(history []reason.Turn) int64 {
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Role == string(memory.RoleCustomer) {
			return history[i].Seq
		}
	}
	return 0
}
