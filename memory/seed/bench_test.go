package seed_test

import (
	"context"
	"testing"

	"github.com/kairoscx/kairos/memory/seed"
)

// BenchmarkWrite seeds the embedded store with 10,000 customers × 90 days,
// the size the demo and the benchmarks use. Run it once:
//
//	go test ./memory/seed -run '^$' -bench Write -benchtime 1x
func BenchmarkWrite(b *testing.B) {
	cfg := seed.Config{Customers: 10_000, Days: 90, Seed: 1, End: end}
	for b.Loop() {
		store, _ := openStore(b)
		res, err := seed.Write(context.Background(), store, cfg, seed.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Stats.Events), "events")
		b.ReportMetric(float64(res.Stats.Messages), "messages")
	}
}
