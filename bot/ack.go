package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// Acks only decide what is replayed after a reconnect, and clients drop
// what they already have by seq, so the engine keeps them in memory and
// writes them to the store in the background, one write per conversation
// per AckFlushEvery however often its clients ack, instead of a durable
// write per ack.
//
// What a client sees is unchanged: an ack is checked when it arrives (one
// beyond the conversation's last seq is refused at once, as before), a
// reconnect to this node is replayed from the newest ack, written or not,
// and a reconnect to another node, or after a crash, within AckFlushEvery of
// an ack may be replayed messages the client already has.

// Ack bookkeeping limits.
const (
	// ackTicks is how many times per AckFlushEvery the flusher checks
	// whether a flush is due.
	ackTicks = 4
	// maxKnownSeqs bounds how many conversations' last seqs are remembered
	// for checking acks without reading the store. When full the memory is
	// cleared; the cost is a store read per conversation on its next ack.
	maxKnownSeqs = 1 << 16
	// ackCloseTimeout bounds the last flush at Close, which runs even when
	// Close's own context has ended.
	ackCloseTimeout = 5 * time.Second
)

// ackBook holds the acks accepted and not yet stored, and what this node
// knows of each conversation's sequence numbers.
type ackBook struct {
	mu sync.Mutex
	// pending is the highest ack per conversation not yet stored.
	pending map[string]int64
	// known is a seq known to exist per conversation (stored by this node
	// or read from the store): an ack up to it is valid without asking the
	// store, because seqs only grow.
	known map[string]int64
	// lastFlush is when pending was last written, by the engine's clock.
	lastFlush time.Time
	// closed is set by Close's flush; later acks go straight to the store.
	closed bool
}

func newAckBook(now time.Time) ackBook {
	return ackBook{pending: map[string]int64{}, known: map[string]int64{}, lastFlush: now}
}

// saw records that seq exists in conversationID.
func (b *ackBook) saw(conversationID string, seq int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sawLocked(conversationID, seq)
}

func (b *ackBook) sawLocked(conversationID string, seq int64) {
	if seq <= b.known[conversationID] {
		return
	}
	if len(b.known) >= maxKnownSeqs {
		clear(b.known)
	}
	b.known[conversationID] = seq
}

// acked returns the ack of conversationID not yet stored, or 0.
func (b *ackBook) acked(conversationID string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending[conversationID]
}

// Ack records that a client received everything up to seq. An ack beyond
// the conversation's last seq is refused with an error wrapping
// memory.ErrInvalid, and one for an unknown conversation with
// memory.ErrNotFound; a valid one is stored within AckFlushEvery (see the
// note on acks above). The store is read only when seq is beyond what this
// node knows of the conversation.
func (e *Engine) Ack(ctx context.Context, conversationID string, seq int64) error {
	if conversationID == "" || seq < 0 {
		return fmt.Errorf("bot: ack %d: conversation id and a non-negative seq are required: %w", seq, errInvalid)
	}
	b := &e.acks
	b.mu.Lock()
	known, ok := b.known[conversationID]
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return e.storeAck(ctx, conversationID, seq)
	}
	if !ok || seq > known {
		conv, err := e.cfg.Store.Conversation(ctx, conversationID)
		if err != nil {
			return fmt.Errorf("bot: ack %d: %w", seq, err)
		}
		if seq > conv.LastSeq {
			return fmt.Errorf("bot: ack %d: beyond the conversation's last seq %d: %w", seq, conv.LastSeq, errInvalid)
		}
		known = conv.LastSeq
	}
	b.mu.Lock()
	b.sawLocked(conversationID, known)
	// Close may have flushed while the store was read; then nothing
	// would write this ack later.
	closed = b.closed
	if !closed && seq > b.pending[conversationID] {
		b.pending[conversationID] = seq
	}
	b.mu.Unlock()
	if closed {
		return e.storeAck(ctx, conversationID, seq)
	}
	return nil
}

// storeAck writes an ack at once.
func (e *Engine) storeAck(ctx context.Context, conversationID string, seq int64) error {
	if err := e.cfg.Store.Ack(ctx, conversationID, seq); err != nil {
		return fmt.Errorf("bot: ack %d: %w", seq, err)
	}
	return nil
}

// flushAcksLoop writes pending acks every AckFlushEvery until stop is
// closed. It checks several times a period whether a flush is due by the
// engine's clock, so tests move the clock instead of sleeping.
func (e *Engine) flushAcksLoop(stop <-chan struct{}) {
	defer close(e.acksDone)
	t := time.NewTicker(max(e.cfg.AckFlushEvery/ackTicks, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			e.flushAcksIfDue(e.ctx)
		}
	}
}

// flushAcksIfDue flushes when there are pending acks and AckFlushEvery has
// passed since the last flush.
func (e *Engine) flushAcksIfDue(ctx context.Context) {
	b := &e.acks
	b.mu.Lock()
	due := len(b.pending) > 0 && e.now().Sub(b.lastFlush) >= e.cfg.AckFlushEvery
	b.mu.Unlock()
	if due {
		e.flushAcks(ctx)
	}
}

// flushAcks writes every pending ack, one Store.Ack per conversation. An
// ack stays pending, visible to Connect, until its write succeeds; one the
// store refuses as invalid or unknown is dropped, and one that failed
// otherwise is tried again at the next flush.
func (e *Engine) flushAcks(ctx context.Context) {
	e.flushMu.Lock()
	defer e.flushMu.Unlock()
	b := &e.acks
	type ack struct {
		conversation string
		seq          int64
	}
	b.mu.Lock()
	batch := make([]ack, 0, len(b.pending))
	for c, s := range b.pending {
		batch = append(batch, ack{c, s})
	}
	b.lastFlush = e.now()
	b.mu.Unlock()
	for _, a := range batch {
		err := e.cfg.Store.Ack(ctx, a.conversation, a.seq)
		if err != nil {
			e.log.Warn("store ack", "conversation", a.conversation, "seq", a.seq, "err", err)
		}
		retry := err != nil && !errors.Is(err, memory.ErrInvalid) && !errors.Is(err, memory.ErrNotFound)
		b.mu.Lock()
		if !retry && b.pending[a.conversation] == a.seq {
			delete(b.pending, a.conversation)
		}
		b.mu.Unlock()
	}
}

// closeAcks stops the flusher and writes what is pending; acks arriving
// later are written at once.
func (e *Engine) closeAcks(ctx context.Context) {
	e.stopAcks.Do(func() { close(e.acksStop) })
	<-e.acksDone
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackCloseTimeout)
	defer cancel()
	e.acks.mu.Lock()
	e.acks.closed = true
	e.acks.mu.Unlock()
	e.flushAcks(ctx)
}
