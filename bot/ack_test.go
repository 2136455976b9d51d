package bot

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/memory"
)

// countingStore counts the calls acks make and can fail Store.Ack.
type countingStore struct {
	memory.Store
	mu            sync.Mutex
	acks          []int64 // seqs passed to Ack, in order
	conversations int     // Conversation calls
	failAcks      int     // how many Ack calls fail before they succeed again
}

var errTransient = errors.New("connection reset")

func (s *countingStore) Ack(ctx context.Context, id string, seq int64) error {
	s.mu.Lock()
	s.acks = append(s.acks, seq)
	fail := s.failAcks > 0
	if fail {
		s.failAcks--
	}
	s.mu.Unlock()
	if fail {
		return errTransient
	}
	return s.Store.Ack(ctx, id, seq)
}

func (s *countingStore) Conversation(ctx context.Context, id string) (memory.Conversation, error) {
	s.mu.Lock()
	s.conversations++
	s.mu.Unlock()
	return s.Store.Conversation(ctx, id)
}

func (s *countingStore) counts() (acks []int64, conversations int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.acks...), s.conversations
}

// ackHarness is an engine on a counting store and a clock that moves only
// when the test says; AckFlushEvery is long enough that the flusher's
// ticker never finds a flush due unless the clock is moved.
func ackHarness(t *testing.T) (*harness, *countingStore, *clock) {
	t.Helper()
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	cs := &countingStore{Store: openStore(t, clk.Now)}
	h := start(t, func(c *Config) { c.Store = cs; c.Now = clk.Now; c.AckFlushEvery = time.Second })
	return h, cs, clk
}

// turns sends n questions and returns the seq of the last reply.
func (h *harness) turns(t *testing.T, n int) int64 {
	t.Helper()
	var last int64
	for i := range n {
		h.send(t, string(rune('a'+i)), "退款多久到账")
		msg, _ := h.out.next(t, channels.OutMessage)
		last = msg.Seq
	}
	h.idle(t)
	return last
}

func storedAck(t *testing.T, h *harness) int64 {
	t.Helper()
	conv, err := h.store.Conversation(context.Background(), h.sess.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	return conv.AckedSeq
}

func TestAcksAreBatchedPerConversation(t *testing.T) {
	h, cs, clk := ackHarness(t)
	last := h.turns(t, 3)
	ctx := context.Background()
	_, readsBefore := cs.counts()
	for seq := int64(1); seq <= last; seq++ {
		if err := h.e.Ack(ctx, h.sess.ConversationID, seq); err != nil {
			t.Fatalf("Ack(%d): %v", seq, err)
		}
	}
	if err := h.e.Ack(ctx, h.sess.ConversationID, 1); err != nil {
		t.Fatalf("an ack behind the newest: %v", err)
	}
	acks, reads := cs.counts()
	if len(acks) != 0 || reads != readsBefore {
		t.Fatalf("acking seqs this node stored wrote %v and read the conversation %d times, want neither", acks, reads-readsBefore)
	}

	// Not yet due: the flusher leaves it; a reconnect here sees it anyway.
	h.e.flushAcksIfDue(ctx)
	if got := storedAck(t, h); got != 0 {
		t.Fatalf("stored ack %d before a flush was due", got)
	}
	s, err := h.e.Connect(ctx, "web", channels.Identity{Kind: "web_visitor", Value: "v1"})
	if err != nil || s.AckedSeq != last {
		t.Fatalf("session = %+v, %v; want AckedSeq %d from memory", s, err, last)
	}

	clk.Add(time.Second)
	h.e.flushAcksIfDue(ctx)
	if acks, _ := cs.counts(); len(acks) != 1 || acks[0] != last {
		t.Fatalf("store acks %v, want one write of %d", acks, last)
	}
	if got := storedAck(t, h); got != last {
		t.Fatalf("stored ack %d, want %d", got, last)
	}
	// Nothing pending: the next due flush writes nothing.
	clk.Add(time.Second)
	h.e.flushAcksIfDue(ctx)
	if acks, _ := cs.counts(); len(acks) != 1 {
		t.Fatalf("store acks %v after an empty flush", acks)
	}
}

func TestAckIsCheckedWhenItArrives(t *testing.T) {
	h, cs, _ := ackHarness(t)
	last := h.turns(t, 1)
	ctx := context.Background()
	tests := []struct {
		name string
		conv string
		seq  int64
		want error
	}{
		{"beyond the last seq", h.sess.ConversationID, last + 1, memory.ErrInvalid},
		{"far beyond", h.sess.ConversationID, 1 << 40, channels.ErrInvalid},
		{"negative", h.sess.ConversationID, -1, memory.ErrInvalid},
		{"no conversation id", "", 1, memory.ErrInvalid},
		{"unknown conversation", "conv_nope", 1, memory.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := h.e.Ack(ctx, tt.conv, tt.seq); !errors.Is(err, tt.want) {
				t.Fatalf("Ack = %v, want %v", err, tt.want)
			}
		})
	}
	if n := h.e.acks.acked(h.sess.ConversationID); n != 0 {
		t.Errorf("a refused ack is pending as %d", n)
	}

	// A seq this node did not store (another node's reply) is checked
	// against the store once, then known.
	other, _, err := h.store.AppendMessage(ctx, memory.Message{ConversationID: h.sess.ConversationID, Role: memory.RoleAgent, Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	_, before := cs.counts()
	for range 3 {
		if err := h.e.Ack(ctx, h.sess.ConversationID, other.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if _, after := cs.counts(); after-before != 1 {
		t.Errorf("%d store reads for acks of a seq stored elsewhere, want 1", after-before)
	}
}

func TestAckFlushRetriesTransientFailures(t *testing.T) {
	h, cs, clk := ackHarness(t)
	last := h.turns(t, 1)
	ctx := context.Background()
	cs.mu.Lock()
	cs.failAcks = 1
	cs.mu.Unlock()
	if err := h.e.Ack(ctx, h.sess.ConversationID, last); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	h.e.flushAcksIfDue(ctx)
	if got := storedAck(t, h); got != 0 || h.e.acks.acked(h.sess.ConversationID) != last {
		t.Fatalf("after a failed write: stored %d, pending %d; want it still pending", got, h.e.acks.acked(h.sess.ConversationID))
	}
	clk.Add(time.Second)
	h.e.flushAcksIfDue(ctx)
	if got := storedAck(t, h); got != last || h.e.acks.acked(h.sess.ConversationID) != 0 {
		t.Fatalf("after the retry: stored %d, pending %d", got, h.e.acks.acked(h.sess.ConversationID))
	}
}

func TestAckFlusherRunsByTheClock(t *testing.T) {
	h, _, clk := ackHarness(t)
	last := h.turns(t, 1)
	if err := h.e.Ack(context.Background(), h.sess.ConversationID, last); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	// The background flusher finds the flush due at its next tick.
	deadline := time.Now().Add(guard)
	for storedAck(t, h) != last {
		if time.Now().After(deadline) {
			t.Fatal("the flusher never wrote the ack")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCloseFlushesAcks(t *testing.T) {
	h, cs, _ := ackHarness(t)
	last := h.turns(t, 2)
	ctx := context.Background()
	if err := h.e.Ack(ctx, h.sess.ConversationID, last-2); err != nil {
		t.Fatal(err)
	}
	if err := h.e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := storedAck(t, h); got != last-2 {
		t.Fatalf("stored ack after Close = %d, want %d", got, last-2)
	}
	// Later acks (connections closing after the engine) are written at
	// once, and still checked.
	if err := h.e.Ack(ctx, h.sess.ConversationID, last); err != nil {
		t.Fatal(err)
	}
	if got := storedAck(t, h); got != last {
		t.Fatalf("ack after Close stored as %d, want %d", got, last)
	}
	if err := h.e.Ack(ctx, h.sess.ConversationID, last+1); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("ack beyond the end after Close: %v", err)
	}
	if acks, _ := cs.counts(); len(acks) != 3 {
		t.Errorf("store acks %v, want the flush, the late ack and the refused one", acks)
	}
}

func TestInstantReplyIsNotStreamed(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(*Config)
		wantDeltas bool
	}{
		{"offline primary", nil, false},
		{"streaming primary", func(c *Config) { g := newGate(); close(g.release); c.Reasoner = g }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, tt.edit)
			h.kb.all = true
			receipt := h.send(t, "c1", "退款多久到账")
			msg, before := h.out.next(t, channels.OutMessage)
			deltas := 0
			for _, o := range before {
				if o.Kind == channels.OutDelta {
					deltas++
					if o.Seq != msg.Seq {
						t.Errorf("delta seq %d, final message seq %d", o.Seq, msg.Seq)
					}
				}
			}
			if (deltas > 0) != tt.wantDeltas {
				t.Fatalf("%d deltas before the final message, want deltas: %v", deltas, tt.wantDeltas)
			}
			if msg.ReplyTo != receipt.Seq || msg.Text == "" {
				t.Errorf("final message = %+v", msg)
			}
			// No seq is reserved when nothing streams: the reply follows
			// the question with no gap.
			if !tt.wantDeltas && msg.Seq != receipt.Seq+1 {
				t.Errorf("reply seq %d after question %d: a seq was reserved", msg.Seq, receipt.Seq)
			}
		})
	}
}
