package seed_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/seed"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func TestWriteSmallShop(t *testing.T) {
	ctx := context.Background()
	store, dir := openStore(t)
	cfg := seed.Config{Customers: 120, Days: 365, Seed: 5, End: end}
	res, err := seed.Write(ctx, store, cfg, seed.Options{Chunk: 50, EventBatch: 700})
	if err != nil {
		t.Fatal(err)
	}
	st := res.Stats
	if st.Customers != 120 || st.NewCustomers != 120 || len(res.Truth) != 120 {
		t.Fatalf("stats %+v, %d truths; want 120 new customers", st, len(res.Truth))
	}
	if st.NewEvents != st.Events || st.Events == 0 || st.Conversations == 0 || st.Messages == 0 {
		t.Fatalf("stats %+v", st)
	}
	path, err := seed.WriteTruth(dir, seed.NewTruthFile(cfg, res))
	if err != nil {
		t.Fatal(err)
	}
	truth, err := seed.ReadTruth(dir)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(truth.Customers) != 120 || truth.Seed != 5 || truth.Churned != st.Churned || !truth.End.Equal(end) {
		t.Fatalf("truth file: seed %d, %d customers, %d churned, end %v", truth.Seed, len(truth.Customers), truth.Churned, truth.End)
	}

	checkedCycles := 0
	for id, tr := range truth.Customers {
		c, err := store.Customer(ctx, id)
		if err != nil || c.ID != id {
			t.Fatalf("truth names customer %s: %v", id, err)
		}
		p, err := store.Profile(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Business.Orders != tr.Orders {
			t.Errorf("customer %s: profile counts %d orders, %d generated", tr.Key, p.Business.Orders, tr.Orders)
		}
		if tr.Orders > 0 && p.Business.Refunds == 0 && p.Business.LifetimeValue <= 0 {
			t.Errorf("customer %s: %d orders but lifetime value %v", tr.Key, tr.Orders, p.Business.LifetimeValue)
		}
		if p.Behaviour.PageViews == 0 {
			t.Errorf("customer %s: no page views in the profile", tr.Key)
		}
		if (tr.Segment == seed.SegmentWater || tr.Segment == seed.SegmentBaby) && tr.Orders >= 4 {
			got := p.Business.ReorderIntervalDays
			if math.Abs(got-tr.CycleDays)/tr.CycleDays > 0.1 {
				t.Errorf("customer %s (%s): reorder interval %.1f days, cycle %.1f", tr.Key, tr.Segment, got, tr.CycleDays)
			}
			checkedCycles++
		}
		ids, err := store.Identities(ctx, id)
		if err != nil || len(ids) == 0 || ids[0].Kind == "" {
			t.Fatalf("customer %s identities %v, %v", tr.Key, ids, err)
		}
	}
	if checkedCycles < 10 {
		t.Errorf("only %d customers with enough orders to check their cycle", checkedCycles)
	}

	// Seeding again adds nothing.
	again, err := seed.Write(ctx, store, cfg, seed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Stats.NewCustomers != 0 || again.Stats.NewEvents != 0 || again.Stats.Conversations != 0 {
		t.Fatalf("second run stats %+v, want nothing new", again.Stats)
	}
	for id := range truth.Customers {
		if _, ok := again.Truth[id]; !ok {
			t.Fatalf("second run lost customer %s", id)
		}
	}
}

// TestWriteSameSeedSameHistory writes one config into two stores: the
// stored histories are the same, customer by customer (ids aside).
func TestWriteSameSeedSameHistory(t *testing.T) {
	ctx := context.Background()
	cfg := seed.Config{Customers: 30, Days: 90, Seed: 9, End: end}
	histories := make([]map[string][]string, 2)
	for run := range 2 {
		store, _ := openStore(t)
		res, err := seed.Write(ctx, store, cfg, seed.Options{})
		if err != nil {
			t.Fatal(err)
		}
		histories[run] = map[string][]string{}
		for id, tr := range res.Truth {
			evs, err := store.Events(ctx, id, memory.EventQuery{Limit: memory.MaxEventLimit})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				histories[run][tr.Key] = append(histories[run][tr.Key], ev.ID+"|"+ev.At.String()+"|"+string(ev.Props))
			}
		}
	}
	if len(histories[0]) != cfg.Customers {
		t.Fatalf("%d customers stored", len(histories[0]))
	}
	for key, h := range histories[0] {
		other := histories[1][key]
		if len(h) != len(other) {
			t.Fatalf("customer %s: %d events vs %d", key, len(h), len(other))
		}
		for i := range h {
			if h[i] != other[i] {
				t.Fatalf("customer %s event %d: %s vs %s", key, i, h[i], other[i])
			}
		}
	}
}
