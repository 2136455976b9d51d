package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// EventBatch is the batch size BenchAppendEvents appends, the size a
// business system's POST /api/v1/events batch is expected to have.
const EventBatch = 500

// BenchAppendEvents measures AppendEvents throughput with batches of 500
// events spread over 1,000 customers (page views, cart adds and orders with
// realistic props), one batch per iteration from 4 concurrent callers, and
// reports events/s. Every event is new; ids are unique across runs.
func BenchAppendEvents(b *testing.B, open func(b *testing.B) memory.Store) {
	ctx := context.Background()
	s := open(b)
	b.Cleanup(func() { s.Close() })
	customers := make([]string, 1000)
	for i := range customers {
		c, _, err := s.CustomerByIdentity(ctx, memory.Identity{Kind: memory.IdentityWebVisitor, Value: fmt.Sprintf("bench-%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		customers[i] = c.ID
	}
	run := memory.NewID("")
	start := time.Now()
	var total int64
	b.SetParallelism(2) // 2 x GOMAXPROCS callers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 0))
		worker := memory.NewID("")
		batch := make([]memory.Event, EventBatch)
		n := 0
		for pb.Next() {
			for i := range batch {
				batch[i] = benchEvent(r, fmt.Sprintf("%s-%s-%d-%d", run, worker[:8], n, i), customers[r.IntN(len(customers))])
			}
			n++
			created, err := s.AppendEvents(ctx, batch)
			if err != nil {
				b.Error(err)
				return
			}
			for _, c := range created {
				if !c {
					b.Error("a new event was taken for a duplicate")
					return
				}
			}
		}
	})
	b.StopTimer()
	total = int64(b.N) * EventBatch
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
}

func benchEvent(r *rand.Rand, id, customer string) memory.Event {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24*3600)) * time.Second)
	var typ string
	var props any
	switch r.IntN(10) {
	case 0:
		typ, props = "order_placed", map[string]any{"order_id": id, "items": []map[string]any{{"sku": fmt.Sprintf("SKU-%04d", r.IntN(5000)), "qty": 1 + r.IntN(3), "price": 9.9 + float64(r.IntN(500))}}}
	case 1, 2:
		typ, props = "cart_add", map[string]any{"sku": fmt.Sprintf("SKU-%04d", r.IntN(5000)), "qty": 1}
	default:
		typ, props = "page_view", map[string]any{"url": fmt.Sprintf("https://shop.example.com/p/%d", r.IntN(5000)), "title": "婴儿奶粉 900g 3段", "dwell_ms": r.IntN(60000)}
	}
	data, _ := json.Marshal(props)
	return memory.Event{ID: id, CustomerID: customer, Type: typ, Source: "bench", Props: data, At: at}
}

// ProfileBatch is how many customers BenchUpdateProfiles updates per call:
// what a 500-event consumer batch spread over many customers touches.
const ProfileBatch = 400

// BenchUpdateProfiles measures UpdateProfiles with one caller, each call
// changing ProfileBatch random profiles of 2,000, each profile the size a
// regular visitor's is (a full recent path of 20 pages, 30 active days,
// recent orders, sentiment), and reports profiles/s: the per-profile cost
// of the ingest consumer's one write per batch.
func BenchUpdateProfiles(b *testing.B, open func(b *testing.B) memory.Store) {
	ctx := context.Background()
	s := open(b)
	b.Cleanup(func() { s.Close() })
	cs, ok := s.(memory.CustomerStore)
	if !ok {
		b.Skip("not a CustomerStore")
	}
	ids := make([]string, 2000)
	for i := range ids {
		c, _, err := s.CustomerByIdentity(ctx, memory.Identity{Kind: memory.IdentityWebVisitor, Value: fmt.Sprintf("bench-p-%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	visit := func(p *memory.Profile, n int) {
		at := t0.Add(time.Duration(n) * time.Minute)
		p.Behaviour.PageViews++
		p.Behaviour.LastSeen = at
		p.Behaviour.RecentPath = append(p.Behaviour.RecentPath, memory.PageVisit{URL: fmt.Sprintf("https://shop.example.com/p/%d", n%5000), Title: "婴儿奶粉 900g 3段", At: at, DwellMS: 12000})
		if len(p.Behaviour.RecentPath) > 20 {
			p.Behaviour.RecentPath = p.Behaviour.RecentPath[1:]
		}
	}
	for i := 0; i < len(ids); i += ProfileBatch {
		err := cs.UpdateProfiles(ctx, ids[i:min(i+ProfileBatch, len(ids))], func(_ string, p *memory.Profile) error {
			for n := range 20 {
				visit(p, n)
			}
			for d := range 30 {
				p.Behaviour.ActiveDays = append(p.Behaviour.ActiveDays, t0.AddDate(0, 0, d).Format(time.DateOnly))
			}
			for o := range 5 {
				p.Business.RecentOrders = append(p.Business.RecentOrders, t0.AddDate(0, 0, 7*o))
			}
			p.Interaction.Sentiment = []memory.SentimentPoint{{At: t0, Mood: "neutral"}, {At: t0, Mood: "happy", Valence: 0.6}}
			p.Interaction.QuestionTypes = map[string]int{"shipping": 2, "refund": 1}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	batch := make([]string, ProfileBatch)
	b.ResetTimer()
	start := time.Now()
	for n := range b.N {
		for i, k := range r.Perm(len(ids))[:ProfileBatch] {
			batch[i] = ids[k]
		}
		if err := cs.UpdateProfiles(ctx, batch, func(_ string, p *memory.Profile) error { visit(p, 100+n); return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*ProfileBatch)/time.Since(start).Seconds(), "profiles/s")
}
