package relay

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Subscription delivers the outbound messages of one conversation into a
// buffered channel. The NATS client writes into the channel directly, so an
// idle subscription costs its buffer and no goroutine. When the buffer is
// full, NATS drops messages for this subscription only; Dropped reports it so
// the owner can resynchronise (a web connection closes and the client
// replays).
type Subscription struct {
	sub *nats.Subscription
	ch  chan *nats.Msg
}

// subscribeTimeout bounds the round trip that confirms a subscription.
const subscribeTimeout = 5 * time.Second

// Subscribe starts delivering conversationID's outbound messages; buf is the
// channel's capacity (at least 1). It returns once the server has the
// subscription, so a message published after Subscribe returns (from any
// node) is delivered; callers rely on that to replay stored messages without
// a gap.
func (r *Relay) Subscribe(conversationID string, buf int) (*Subscription, error) {
	if !safeToken(conversationID) {
		return nil, fmt.Errorf("relay: subscribe: conversation id %q is not a safe subject token: %w",
			conversationID, ErrInvalid)
	}
	if buf < 1 {
		buf = 1
	}
	ch := make(chan *nats.Msg, buf)
	sub, err := r.nc.ChanSubscribe(ConversationSubject(conversationID), ch)
	if err != nil {
		return nil, fmt.Errorf("relay: subscribe to %s: %w", conversationID, err)
	}
	if err := r.nc.FlushTimeout(subscribeTimeout); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("relay: subscribe to %s: confirm: %w", conversationID, err)
	}
	return &Subscription{sub: sub, ch: ch}, nil
}

// C is the channel messages arrive on. It is never closed; stop reading
// after Close.
func (s *Subscription) C() <-chan *nats.Msg { return s.ch }

// Dropped is how many messages NATS discarded because the channel was full.
func (s *Subscription) Dropped() int {
	n, err := s.sub.Dropped()
	if err != nil {
		return 0
	}
	return n
}

// Close stops delivery. Closing twice is not an error.
func (s *Subscription) Close() error {
	err := s.sub.Unsubscribe()
	if err != nil && !errors.Is(err, nats.ErrBadSubscription) && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("relay: unsubscribe %s: %w", s.sub.Subject, err)
	}
	return nil
}
