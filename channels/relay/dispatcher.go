package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/channels"
)

// Receiver gets the outbound messages of one conversation. The dispatcher
// calls both methods from its single goroutine, for every receiver of every
// conversation on the node, so they must return at once: queue the work,
// never write to a network connection.
type Receiver interface {
	// Deliver hands over a message published on the conversation's subject
	// after the receiver subscribed.
	Deliver(out channels.Outbound)
	// Lost says that messages published for the conversation were dropped
	// because the node fell behind; the receiver must catch up from the
	// store (every message is stored before it is published).
	Lost()
}

// DispatcherOptions configures a Dispatcher.
type DispatcherOptions struct {
	// Buffer is the capacity of the channel NATS delivers every
	// conversation's messages into (default DefaultDispatchBuffer). When it
	// is full NATS drops messages, and their receivers are told by Lost.
	Buffer int
	// Logger receives undecodable payloads; nil discards them.
	Logger *slog.Logger
}

// DefaultDispatchBuffer is the default Dispatcher buffer: room for a burst
// of streamed deltas to thousands of conversations, at 8 bytes a slot.
const DefaultDispatchBuffer = 16 << 10

// subscribeTimeout bounds the round trip that confirms a subscription.
const subscribeTimeout = 5 * time.Second

// Dispatcher delivers the outbound messages of the conversations a node has
// receivers for. It holds one NATS subscription per conversation with at
// least one receiver (so NATS routes a message only to the nodes that want
// it), and every subscription writes into one shared channel read by one
// goroutine, which runs only while there are subscriptions. An idle
// receiver therefore costs no goroutine and no channel.
//
// It is safe for concurrent use.
type Dispatcher struct {
	nc     *nats.Conn
	logger *slog.Logger
	ch     chan *nats.Msg
	wake   chan struct{} // capacity 1: the last subscription went away

	mu      sync.Mutex
	convs   map[string]*convSub // by conversation id
	bySub   map[*nats.Subscription]*convSub
	running bool // a dispatch goroutine is reading ch
}

// convSub is the node's interest in one conversation.
type convSub struct {
	id    string
	sub   *nats.Subscription
	ready chan struct{} // closed once the subscription is confirmed or failed
	err   error         // why it failed; set before ready is closed
	// rcs is replaced, never modified, so the dispatch goroutine can read
	// a snapshot without holding the lock while it calls receivers.
	rcs     []*Subscription
	dropped int // NATS drops already reported to the receivers
}

// Subscription is one receiver's interest in a conversation.
type Subscription struct {
	d    *Dispatcher
	cs   *convSub
	rc   Receiver
	once sync.Once
}

// NewDispatcher returns a Dispatcher on nc. The caller keeps ownership of
// nc.
func NewDispatcher(nc *nats.Conn, o DispatcherOptions) *Dispatcher {
	if o.Buffer <= 0 {
		o.Buffer = DefaultDispatchBuffer
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{
		nc:     nc,
		logger: o.Logger,
		ch:     make(chan *nats.Msg, o.Buffer),
		wake:   make(chan struct{}, 1),
		convs:  make(map[string]*convSub),
		bySub:  make(map[*nats.Subscription]*convSub),
	}
}

// Subscribe adds rc as a receiver of conversationID's outbound messages.
// It returns once the NATS server has the node's subscription, so every
// message published after Subscribe returns (from any node) reaches rc;
// callers rely on that to replay stored messages without a gap. Messages
// published before may or may not reach rc.
func (d *Dispatcher) Subscribe(ctx context.Context, conversationID string, rc Receiver) (*Subscription, error) {
	if !safeToken(conversationID) {
		return nil, fmt.Errorf("relay: subscribe: conversation id %q is not a safe subject token: %w",
			conversationID, ErrInvalid)
	}
	if rc == nil {
		return nil, errors.New("relay: subscribe: nil receiver")
	}
	// Until the subscription is confirmed the caller holds a placeholder
	// (nil) reference, so a concurrent Close of another receiver of the
	// conversation does not unsubscribe under it.
	d.mu.Lock()
	cs, ok := d.convs[conversationID]
	if !ok {
		var err error
		if cs, err = d.subscribeLocked(conversationID); err != nil {
			d.mu.Unlock()
			return nil, err
		}
	}
	cs.rcs = append(slices.Clip(cs.rcs), nil)
	d.mu.Unlock()
	if !ok {
		d.confirm(ctx, cs)
	}
	select {
	case <-cs.ready:
	case <-ctx.Done():
	}
	// A done context wins even when the confirmation finished too (a
	// select between two ready cases picks either).
	if err := ctx.Err(); err != nil {
		d.settle(cs, nil)
		return nil, fmt.Errorf("relay: subscribe to %s: %w", conversationID, err)
	}
	if cs.err != nil {
		d.settle(cs, nil)
		return nil, cs.err
	}
	s := &Subscription{d: d, cs: cs, rc: rc}
	d.settle(cs, s)
	return s, nil
}

// subscribeLocked creates the NATS subscription of a conversation no
// receiver on this node had.
func (d *Dispatcher) subscribeLocked(conversationID string) (*convSub, error) {
	sub, err := d.nc.ChanSubscribe(ConversationSubject(conversationID), d.ch)
	if err != nil {
		return nil, fmt.Errorf("relay: subscribe to %s: %w", conversationID, err)
	}
	cs := &convSub{id: conversationID, sub: sub, ready: make(chan struct{})}
	d.convs[conversationID] = cs
	d.bySub[sub] = cs
	if !d.running {
		d.running = true
		go d.run()
	}
	return cs, nil
}

// confirm waits for the server to acknowledge cs's subscription and lets
// the receivers waiting for it go on. A subscription that could not be
// confirmed is forgotten at once, so the next Subscribe starts afresh.
func (d *Dispatcher) confirm(ctx context.Context, cs *convSub) {
	ctx, cancel := context.WithTimeout(ctx, subscribeTimeout)
	defer cancel()
	err := d.nc.FlushWithContext(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		cs.err = fmt.Errorf("relay: subscribe to %s: confirm: %w", cs.id, err)
		if d.convs[cs.id] == cs {
			delete(d.convs, cs.id)
		}
	}
	close(cs.ready)
}

// settle replaces one placeholder reference of cs with s, or drops it when
// s is nil.
func (d *Dispatcher) settle(cs *convSub, s *Subscription) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.Index(cs.rcs, nil)
	if i < 0 {
		return
	}
	if s != nil {
		rcs := slices.Clone(cs.rcs)
		rcs[i] = s
		cs.rcs = rcs
		return
	}
	d.removeLocked(cs, i)
}

// removeLocked removes the i-th reference of cs and unsubscribes when it
// was the last. Messages still in the shared channel for that subscription
// are then skipped.
func (d *Dispatcher) removeLocked(cs *convSub, i int) {
	cs.rcs = slices.Delete(slices.Clone(cs.rcs), i, i+1)
	if len(cs.rcs) > 0 {
		return
	}
	if d.convs[cs.id] == cs {
		delete(d.convs, cs.id)
	}
	delete(d.bySub, cs.sub)
	if err := cs.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) &&
		!errors.Is(err, nats.ErrBadSubscription) {
		d.logger.Warn("unsubscribe conversation", "conversation", cs.id, "err", err)
	}
	if len(d.convs) == 0 {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

// Close removes the receiver; the node unsubscribes from the conversation
// when it was the last one. A delivery already under way may still reach
// the receiver. Closing twice is not an error.
func (s *Subscription) Close() error {
	s.once.Do(func() {
		s.d.mu.Lock()
		defer s.d.mu.Unlock()
		if i := slices.Index(s.cs.rcs, s); i >= 0 {
			s.d.removeLocked(s.cs, i)
		}
	})
	return nil
}

// Subscriptions is how many conversations the node is subscribed to.
func (d *Dispatcher) Subscriptions() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.convs)
}

// run reads the shared channel until the node has no subscriptions left.
//
// NATS drops a message, and counts it on its subscription, only when the
// shared channel is full. After such a moment the channel holds at least
// cap-1 messages just after the next receive, so seeing that is the cue to
// look at every subscription's drop count once the backlog is worked off.
func (d *Dispatcher) run() {
	pressure := false
	for {
		select {
		case m := <-d.ch:
			if len(d.ch) >= cap(d.ch)-1 {
				pressure = true
			}
			d.dispatch(m)
			if pressure && len(d.ch) == 0 {
				pressure = false
				d.reportDrops()
			}
		case <-d.wake:
			// Whatever is still in the channel belongs to subscriptions
			// that are gone: Unsubscribe returned before wake was sent.
			d.mu.Lock()
			if len(d.convs) == 0 {
				d.running = false
				d.mu.Unlock()
				return
			}
			d.mu.Unlock()
		}
	}
}

func (d *Dispatcher) dispatch(m *nats.Msg) {
	d.mu.Lock()
	cs := d.bySub[m.Sub]
	var rcs []*Subscription
	if cs != nil {
		rcs = cs.rcs
	}
	d.mu.Unlock()
	if len(rcs) == 0 {
		return // unsubscribed meanwhile
	}
	out, err := Decode(m)
	if err != nil {
		d.logger.Warn("skip relay payload", "subject", m.Subject, "err", err)
		return
	}
	for _, s := range rcs {
		if s != nil {
			s.rc.Deliver(out)
		}
	}
}

// reportDrops tells the receivers of every conversation NATS dropped
// messages for since the last look.
func (d *Dispatcher) reportDrops() {
	d.mu.Lock()
	var lost []*Subscription
	for _, cs := range d.convs {
		n, err := cs.sub.Dropped()
		if err != nil || n <= cs.dropped {
			continue
		}
		cs.dropped = n
		lost = append(lost, cs.rcs...)
		d.logger.Warn("relay fell behind; receivers resynchronise", "conversation", cs.id, "dropped", n)
	}
	d.mu.Unlock()
	for _, s := range lost {
		if s != nil {
			s.rc.Lost()
		}
	}
}

// ResyncAll tells every local receiver that messages may have been missed,
// so each catches up from the store. Call it when the NATS connection comes
// back after a disconnect: core NATS does not keep what was published while
// this node was away.
func (d *Dispatcher) ResyncAll() {
	d.mu.Lock()
	var all []*Subscription
	for _, cs := range d.convs {
		all = append(all, cs.rcs...)
	}
	d.mu.Unlock()
	for _, s := range all {
		if s != nil {
			s.rc.Lost()
		}
	}
}
