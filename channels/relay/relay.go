// Package relay carries messages between Kairos gateway nodes over NATS:
// outbound messages per conversation on core NATS subjects, and behaviour
// events into a JetStream stream.
//
// Subjects and payloads are a versioned contract (every payload has "v": 1):
//
//	kairos.conv.<conversation_id>.out   channels.Outbound, core NATS
//	kairos.events.<channel>.<name>      channels.Event, stream KAIROS_EVENTS
//
// A node that holds a customer's connection subscribes to the conversation's
// subject; whichever node produced the reply publishes on it. A node's
// subscriptions all feed one Dispatcher, so a node holds one NATS
// subscription per conversation with local receivers and one goroutine in
// all, however many connections it serves.
package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels"
)

// ErrInvalid is wrapped by errors about payloads or names that can never be
// published or decoded as they are.
var ErrInvalid = errors.New("invalid")

// maxToken bounds subject tokens we build from ids and names.
const maxToken = 128

// Relay publishes and subscribes Kairos payloads on one NATS connection.
// It is safe for concurrent use.
type Relay struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	logger   *slog.Logger
	dispatch *Dispatcher
}

// New returns a Relay using nc. The caller keeps ownership of nc and closes
// it after the Relay is no longer used.
func New(nc *nats.Conn, logger *slog.Logger) (*Relay, error) {
	if nc == nil {
		return nil, errors.New("relay: new: nil connection")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("relay: new: jetstream: %w", err)
	}
	logger = logger.With("component", "relay")
	return &Relay{nc: nc, js: js, logger: logger, dispatch: NewDispatcher(nc, DispatcherOptions{Logger: logger})}, nil
}

// Subscribe adds rc as a receiver of a conversation's outbound messages
// through the relay's Dispatcher; see Dispatcher.Subscribe.
func (r *Relay) Subscribe(ctx context.Context, conversationID string, rc Receiver) (*Subscription, error) {
	return r.dispatch.Subscribe(ctx, conversationID, rc)
}

// Dispatcher is the relay's Dispatcher.
func (r *Relay) Dispatcher() *Dispatcher { return r.dispatch }

// JetStream returns the JetStream context of the relay's connection, for
// EnsureStreams and for consumers of the event stream.
func (r *Relay) JetStream() jetstream.JetStream { return r.js }

// ConversationSubject is the subject outbound messages of a conversation
// are published on.
func ConversationSubject(conversationID string) string {
	return "kairos.conv." + conversationID + ".out"
}

// Publish sends out to every node subscribed to its conversation. Delivery
// is at most once: the message itself is already stored, so a node that
// drops it tells its receivers (Receiver.Lost) to replay, and a client that
// misses it gets it by replay when it reconnects.
func (r *Relay) Publish(ctx context.Context, out channels.Outbound) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("relay: publish: %w", err)
	}
	if out.V == 0 {
		out.V = channels.Version
	}
	if err := validateOutbound(out); err != nil {
		return fmt.Errorf("relay: publish: %w", err)
	}
	data, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("relay: publish to %s: encode: %w", out.ConversationID, err)
	}
	if err := r.nc.Publish(ConversationSubject(out.ConversationID), data); err != nil {
		return fmt.Errorf("relay: publish to %s: %w", out.ConversationID, err)
	}
	return nil
}

// Decode parses an outbound payload received on a conversation subject. It
// rejects payloads of another version, unknown kinds, and payloads whose
// conversation does not match the subject they arrived on.
func Decode(m *nats.Msg) (channels.Outbound, error) {
	var out channels.Outbound
	if m == nil {
		return out, fmt.Errorf("relay: decode: nil message: %w", ErrInvalid)
	}
	if err := json.Unmarshal(m.Data, &out); err != nil {
		return channels.Outbound{}, fmt.Errorf("relay: decode %s: %w: %w", m.Subject, ErrInvalid, err)
	}
	if err := validateOutbound(out); err != nil {
		return channels.Outbound{}, fmt.Errorf("relay: decode %s: %w", m.Subject, err)
	}
	if m.Subject != "" && m.Subject != ConversationSubject(out.ConversationID) {
		return channels.Outbound{}, fmt.Errorf("relay: decode %s: conversation %q does not match subject: %w",
			m.Subject, out.ConversationID, ErrInvalid)
	}
	return out, nil
}

func validateOutbound(out channels.Outbound) error {
	if out.V != channels.Version {
		return fmt.Errorf("unsupported version %d: %w", out.V, ErrInvalid)
	}
	switch out.Kind {
	case channels.OutMessage, channels.OutDelta, channels.OutTyping:
	default:
		return fmt.Errorf("unknown kind %q: %w", out.Kind, ErrInvalid)
	}
	if !safeToken(out.ConversationID) {
		return fmt.Errorf("conversation id %q is not a safe subject token: %w", out.ConversationID, ErrInvalid)
	}
	return nil
}

// safeToken reports whether s can be used as one NATS subject token without
// changing the subject's meaning: no dots, wildcards, spaces or controls.
func safeToken(s string) bool {
	if s == "" || len(s) > maxToken {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
