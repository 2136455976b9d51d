package proactive_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/memory"
)

// countingHistory counts the history loads per customer.
type countingHistory struct {
	mu    sync.Mutex
	loads map[string]int
}

func (h *countingHistory) Events(_ context.Context, customer string, _ memory.EventQuery) ([]memory.Event, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.loads[customer]++
	return nil, nil
}

func (h *countingHistory) Profile(context.Context, string) (memory.Profile, error) {
	return memory.Profile{}, memory.ErrNotFound
}

// TestForgetRebuildsWindows: after Forget, the windows of the customers
// it selects are read from the store again on their next event (as when a
// partition comes back to a node), and the others are kept.
func TestForgetRebuildsWindows(t *testing.T) {
	h := &countingHistory{loads: map[string]int{}}
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	m, err := proactive.Compile(map[string][]byte{"t.yaml": []byte("id: t\non: [page_view]\ncondition: 'false'\nactions:\n  - type: tag\n    tag: x\n")})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := proactive.New(proactive.Config{State: proactive.NewMemState(), History: h, Now: func() time.Time { return now }}, m)
	if err != nil {
		t.Fatal(err)
	}
	view := func(id, customer string) {
		props, _ := json.Marshal(map[string]any{"url": "/p/1"})
		if err := eng.HandleEvent(context.Background(), memory.Event{ID: id, CustomerID: customer, Type: "page_view", Props: props, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	view("a1", "cus_a")
	view("b1", "cus_b")
	view("a2", "cus_a")
	eng.Forget(func(c string) bool { return c == "cus_a" })
	view("a3", "cus_a")
	view("b2", "cus_b")
	if h.loads["cus_a"] != 2 || h.loads["cus_b"] != 1 {
		t.Fatalf("history loads %v, want cus_a twice (forgotten) and cus_b once", h.loads)
	}
	// A forgotten window no longer knows the events it held: a
	// redelivered one is evaluated again (its claims stop a second send).
	before := eng.Evaluated.Load()
	view("a1", "cus_a")
	if eng.Evaluated.Load() != before+1 {
		t.Fatalf("the forgotten event was not evaluated again")
	}
}
