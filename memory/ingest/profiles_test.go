package ingest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// profileFake holds profiles in memory; "gone" is an erased customer.
type profileFake struct {
	Store
	mu       sync.Mutex // the fallback updates customers in parallel, as a real store allows
	profiles map[string]memory.Profile
	calls    int
}

func (f *profileFake) UpdateProfiles(ctx context.Context, ids []string, update func(string, *memory.Profile) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if slices.Contains(ids, "gone") {
		return fmt.Errorf("fake: customer gone: %w", memory.ErrNotFound)
	}
	for _, id := range ids {
		p := f.profiles[id]
		if err := update(id, &p); err != nil {
			return err
		}
		f.profiles[id] = p
	}
	return nil
}

func (f *profileFake) Events(ctx context.Context, id string, q memory.EventQuery) ([]memory.Event, error) {
	return nil, nil
}

// One customer erased mid-batch must not cost the others their profile
// updates, though a batch's profiles are written in one transaction.
func TestUpdateAllFallsBackToEachCustomer(t *testing.T) {
	f := &profileFake{profiles: make(map[string]memory.Profile)}
	in := &Ingest{store: f, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	view := func(id string) memory.Event {
		return memory.Event{ID: "e-" + id, CustomerID: id, Type: "page_view", At: now.Add(-time.Hour),
			Props: []byte(`{"url":"/"}`)}
	}
	cs := []*customerEvents{
		{id: "a", evs: []memory.Event{view("a")}},
		{id: "gone", evs: []memory.Event{view("gone")}},
		{id: "b", evs: []memory.Event{view("b")}},
	}
	lost := in.updateProfiles(context.Background(), cs, now)
	if len(lost) != 1 || lost["gone"] == nil {
		t.Fatalf("lost %v, want only gone", lost)
	}
	for _, id := range []string{"a", "b"} {
		if p := f.profiles[id]; p.Behaviour.PageViews != 1 || !p.Behaviour.LastSeen.Equal(now.Add(-time.Hour)) {
			t.Fatalf("%s: %+v", id, p.Behaviour)
		}
	}
}
