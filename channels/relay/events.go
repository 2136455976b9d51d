package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels"
)

// Event stream settings.
const (
	// EventStream is the JetStream stream behaviour events are kept in.
	EventStream = "KAIROS_EVENTS"
	// EventSubjects is the subject filter of EventStream.
	EventSubjects = "kairos.events.>"
	// EventMaxAge is how long events are kept; long enough for triggers
	// that look back a month, short enough that the stream stays small.
	EventMaxAge = 30 * 24 * time.Hour
	// EventDedupeWindow is how long a published event id is remembered, so
	// a retried publish is stored once.
	EventDedupeWindow = 2 * time.Minute
)

// EventSubject is the subject an event is published on.
func EventSubject(channel, name string) string {
	return "kairos.events." + channel + "." + name
}

// EnsureStreams creates the streams Kairos uses, or updates their settings
// when they exist. Safe to call from every node at start-up.
func EnsureStreams(ctx context.Context, js jetstream.JetStream) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        EventStream,
		Description: "Kairos behaviour events (page views, business events)",
		Subjects:    []string{EventSubjects},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      EventMaxAge,
		Duplicates:  EventDedupeWindow,
	})
	if err != nil {
		return fmt.Errorf("relay: ensure stream %s: %w", EventStream, err)
	}
	return nil
}

// PublishEvent stores ev in the event stream and waits for the stream to
// acknowledge it. The event id is the deduplication key: publishing the same
// id again within the dedupe window stores nothing new.
func (r *Relay) PublishEvent(ctx context.Context, ev channels.Event) error {
	if ev.V == 0 {
		ev.V = channels.Version
	}
	if err := validateEvent(ev); err != nil {
		return fmt.Errorf("relay: publish event: %w", err)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("relay: publish event %s: encode: %w", ev.ID, err)
	}
	if _, err := r.js.Publish(ctx, EventSubject(ev.Channel, ev.Name), data, jetstream.WithMsgID(ev.ID)); err != nil {
		return fmt.Errorf("relay: publish event %s: %w", ev.ID, err)
	}
	return nil
}

// DecodeEvent parses an event payload read from the event stream.
func DecodeEvent(data []byte) (channels.Event, error) {
	var ev channels.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return channels.Event{}, fmt.Errorf("relay: decode event: %w: %w", ErrInvalid, err)
	}
	if err := validateEvent(ev); err != nil {
		return channels.Event{}, fmt.Errorf("relay: decode event: %w", err)
	}
	return ev, nil
}

func validateEvent(ev channels.Event) error {
	if ev.V != channels.Version {
		return fmt.Errorf("unsupported version %d: %w", ev.V, ErrInvalid)
	}
	if ev.ID == "" || len(ev.ID) > 256 {
		return fmt.Errorf("event id must be 1-256 bytes: %w", ErrInvalid)
	}
	if !safeToken(ev.Channel) {
		return fmt.Errorf("channel %q is not a safe subject token: %w", ev.Channel, ErrInvalid)
	}
	if !safeToken(ev.Name) {
		return fmt.Errorf("event name %q is not a safe subject token: %w", ev.Name, ErrInvalid)
	}
	if len(ev.Props) > 0 && !json.Valid(ev.Props) {
		return fmt.Errorf("event props are not JSON: %w", ErrInvalid)
	}
	return nil
}
