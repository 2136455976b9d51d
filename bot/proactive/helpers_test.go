package proactive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/memory"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// deliverer records messages.
type deliverer struct {
	mu   sync.Mutex
	msgs []proactive.Message
	err  error
}

func (d *deliverer) Deliver(_ context.Context, m proactive.Message) (proactive.Delivery, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return proactive.Delivery{}, d.err
	}
	d.msgs = append(d.msgs, m)
	return proactive.Delivery{Channel: "web", ConversationID: "conv_" + m.Customer}, nil
}

func (d *deliverer) sent() []proactive.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.msgs)
}

// history is a History over an in-memory list of events.
type history struct {
	mu       sync.Mutex
	events   map[string][]memory.Event
	profiles map[string]memory.Profile
}

func newHistory() *history {
	return &history{events: map[string][]memory.Event{}, profiles: map[string]memory.Profile{}}
}

func (h *history) add(ev memory.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events[ev.CustomerID] = append(h.events[ev.CustomerID], ev)
}

func (h *history) Events(_ context.Context, id string, q memory.EventQuery) ([]memory.Event, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []memory.Event
	for _, ev := range h.events[id] {
		if (q.Since.IsZero() || !ev.At.Before(q.Since)) && (q.Until.IsZero() || ev.At.Before(q.Until)) &&
			(len(q.Types) == 0 || slices.Contains(q.Types, ev.Type)) {
			out = append(out, ev)
		}
	}
	slices.SortFunc(out, func(a, b memory.Event) int { return a.At.Compare(b.At) })
	return out, nil
}

func (h *history) Profile(_ context.Context, id string) (memory.Profile, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.profiles[id]
	p.CustomerID = id
	return p, nil
}

func event(t *testing.T, id, customer, typ string, at time.Time, props map[string]any) memory.Event {
	t.Helper()
	b, err := json.Marshal(props)
	if err != nil {
		t.Fatal(err)
	}
	return memory.Event{ID: id, CustomerID: customer, Type: typ, Source: "web", Props: b, At: at}
}

// treated returns a customer id outside trigger's holdout.
func treated(trigger string, share float64, n int) string {
	for i := n; ; i++ {
		id := fmt.Sprintf("cus_%04d", i)
		if !proactive.InHoldout(trigger, id, share) {
			return id
		}
	}
}

// held returns a customer id inside trigger's holdout.
func held(trigger string, share float64) string {
	for i := 0; ; i++ {
		id := fmt.Sprintf("cus_h%04d", i)
		if proactive.InHoldout(trigger, id, share) {
			return id
		}
	}
}
