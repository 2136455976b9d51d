package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/memory"
)

// Connect finds or creates the customer behind id and their current
// conversation on channel; a conversation idle longer than IdleAfter is
// left behind and a new one started.
func (e *Engine) Connect(ctx context.Context, channel string, id channels.Identity) (channels.Session, error) {
	if channel == "" || id.Kind == "" || id.Value == "" {
		return channels.Session{}, fmt.Errorf("bot: connect: channel, identity kind and value are required: %w", errInvalid)
	}
	c, _, err := e.cfg.Store.CustomerByIdentity(ctx, memory.Identity{Kind: id.Kind, Value: id.Value})
	if err != nil {
		return channels.Session{}, fmt.Errorf("bot: connect: customer: %w", err)
	}
	conv, err := e.cfg.Store.CurrentConversation(ctx, c.ID, channel, e.now().Add(-e.cfg.IdleAfter))
	if err != nil {
		return channels.Session{}, fmt.Errorf("bot: connect: conversation: %w", err)
	}
	e.acks.saw(conv.ID, conv.LastSeq)
	// An ack this node has not written yet is newer than the stored one.
	acked := max(conv.AckedSeq, e.acks.acked(conv.ID))
	return channels.Session{CustomerID: c.ID, ConversationID: conv.ID, LastSeq: conv.LastSeq, AckedSeq: acked}, nil
}

// Replay limits.
const (
	defaultReplay = 100
	maxReplay     = 500
)

// Replay returns up to limit stored messages with Seq > afterSeq, oldest
// first, for a client catching up. The customer's own messages are included
// (role "customer"), so a new tab or device can show the whole transcript;
// a client that has them matches them by seq. limit ≤ 0 means 100; it is
// capped at 500.
func (e *Engine) Replay(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]channels.Outbound, error) {
	if conversationID == "" || afterSeq < 0 {
		return nil, fmt.Errorf("bot: replay: conversation id and a non-negative seq are required: %w", errInvalid)
	}
	if limit <= 0 {
		limit = defaultReplay
	}
	limit = min(limit, maxReplay)
	page, err := e.cfg.Store.Messages(ctx, conversationID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("bot: replay: %w", err)
	}
	out := make([]channels.Outbound, 0, len(page))
	for _, m := range page {
		out = append(out, messageOut(m))
	}
	return out, nil
}

// Event limits.
const (
	maxEventName  = 64
	maxEventProps = 4 << 10
)

// Observe validates a behaviour event, fills in its id, time and version,
// and passes it to the event sink. A name must be 1–64 characters of
// [a-z0-9_.]; props, when present, a JSON object of at most 4 KiB.
func (e *Engine) Observe(ctx context.Context, ev channels.Event) error {
	if err := validEvent(ev); err != nil {
		return fmt.Errorf("bot: observe: %w", err)
	}
	if ev.ID == "" {
		ev.ID = memory.NewID("evt_")
	}
	if ev.At.IsZero() {
		ev.At = e.now()
	}
	ev.V = channels.Version
	if err := e.optOut(ctx, ev); err != nil {
		return fmt.Errorf("bot: observe %s: %w", ev.Name, err)
	}
	if e.cfg.Events == nil {
		return nil
	}
	if err := e.cfg.Events.PublishEvent(ctx, ev); err != nil {
		return fmt.Errorf("bot: observe %s: %w", ev.Name, err)
	}
	return nil
}

func validEvent(ev channels.Event) error {
	if ev.CustomerID == "" {
		return fmt.Errorf("customer id is required: %w", errInvalid)
	}
	if n := len(ev.Name); n == 0 || n > maxEventName {
		return fmt.Errorf("event name must be 1-%d characters: %w", maxEventName, errInvalid)
	}
	for _, r := range ev.Name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return fmt.Errorf("event name %q: only a-z, 0-9, _ and . are allowed: %w", ev.Name, errInvalid)
		}
	}
	if len(ev.Props) > maxEventProps {
		return fmt.Errorf("event props are %d bytes, more than %d: %w", len(ev.Props), maxEventProps, errInvalid)
	}
	if props := bytes.TrimSpace(ev.Props); len(props) > 0 {
		var obj map[string]json.RawMessage
		if props[0] != '{' || json.Unmarshal(props, &obj) != nil {
			return fmt.Errorf("event props must be a JSON object: %w", errInvalid)
		}
	}
	return nil
}
