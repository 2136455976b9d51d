package ingest_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/ingest"
	"github.com/kairoscx/kairos/memory/postgres"
)

// Traffic spread over few customers, consumed by two nodes on PostgreSQL
// (each writes the profiles it keeps in one round trip, and finds the
// other's writes in its way), with batches sent twice and customers merged
// while their events are in flight: every profile counts each of its
// customer's stored page views exactly once.
func TestSpreadTrafficStaysExact(t *testing.T) {
	e := newEnvOn(t, "postgres")
	e.start(nil)
	second, err := postgres.Open(context.Background(), postgres.Options{URL: e.url, Dim: 8, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	in2, err := ingest.New(ingest.Config{JS: e.js, Store: second, Logger: slog.New(slog.DiscardHandler),
		Batch: 40, Appliers: 3, Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := in2.Run(ctx); err != nil {
			t.Errorf("second node: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })

	const customers, batches, perBatch = 12, 30, 60
	ids := make([]string, customers)
	for i := range ids {
		ids[i] = e.customer("site_user", fmt.Sprint("spread-", i))
	}
	r := rand.New(rand.NewPCG(3, 4))
	var sent [][]any
	for b := range batches {
		var evs []any
		for k := range perBatch {
			n := b*perBatch + k
			at := e.now.Add(-time.Duration(n) * time.Second)
			evs = append(evs, map[string]any{"id": fmt.Sprint("s-", n), "type": "page_view",
				"customer": map[string]string{"id": ids[r.IntN(customers)]}, "at": at.Format(time.RFC3339Nano),
				"props": map[string]any{"url": fmt.Sprintf("https://shop/p/%d", n)}})
		}
		sent = append(sent, evs)
		e.postEvents(evs...)
		if b%4 == 3 { // a batch again: nothing new in it
			for _, res := range e.postEvents(sent[b-1]...) {
				if res.Status == ingest.StatusInvalid {
					t.Fatalf("resent event %s: %+v", res.ID, res)
				}
			}
		}
		if b == batches/2 { // merges while events of both are in flight
			for i := 0; i+1 < 6; i += 2 {
				if _, err := e.real.LinkIdentity(context.Background(), ids[i], memory.Identity{Kind: "site_user", Value: fmt.Sprint("spread-", i+1)}, ids[i], "test"); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	e.drain()
	total := 0
	for i, id := range ids {
		c, err := e.real.Customer(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID != id {
			if i%2 == 0 || i >= 6 {
				t.Fatalf("customer %d merged into %s", i, c.ID)
			}
			continue // merged: counted with its survivor
		}
		evs, err := e.real.Events(context.Background(), id, memory.EventQuery{Limit: memory.MaxEventLimit})
		if err != nil {
			t.Fatal(err)
		}
		total += len(evs)
		if p := e.profile(id); p.Behaviour.PageViews != len(evs) {
			t.Errorf("customer %d: %d page views counted, %d stored", i, p.Behaviour.PageViews, len(evs))
		}
	}
	if total != batches*perBatch {
		t.Fatalf("%d events stored, want %d", total, batches*perBatch)
	}
}
