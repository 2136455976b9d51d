package seed_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/kairoscx/kairos/memory/postgres"
	"github.com/kairoscx/kairos/memory/postgres/pgtest"
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

// BenchmarkWritePostgres is BenchmarkWrite into PostgreSQL, with one
// writer (the default kairos demo seed uses) and with eight. Run it once:
//
//	go test ./memory/seed -run '^$' -bench WritePostgres -benchtime 1x -timeout 30m
func BenchmarkWritePostgres(b *testing.B) {
	for _, writers := range []int{1, 8} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) { benchWritePostgres(b, writers) })
	}
}

func benchWritePostgres(b *testing.B, writers int) {
	cfg := seed.Config{Customers: 10_000, Days: 90, Seed: 1, End: end}
	for b.Loop() {
		store, err := postgres.Open(context.Background(), postgres.Options{URL: pgtest.URL(b), Dim: 8, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := seed.Write(context.Background(), store, cfg, seed.Options{Writers: writers})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s")
		b.ReportMetric(float64(res.Stats.Events), "events")
		b.ReportMetric(float64(res.Stats.Messages), "messages")
		store.Close()
	}
}
