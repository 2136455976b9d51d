package proactive_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/internal/benchdata"
)

// BenchmarkEngine is the engine alone: events evaluated against 50
// triggers (no NATS, in-memory state) on GOMAXPROCS goroutines. It
// reports the wall-clock rate and the process CPU per event (GC
// included), which a shared machine disturbs far less.
func BenchmarkEngine(b *testing.B) {
	now := time.Now()
	m, err := benchdata.Matrix50()
	if err != nil {
		b.Fatal(err)
	}
	eng, err := proactive.New(proactive.Config{State: proactive.NewMemState(), Now: func() time.Time { return now }, MaxLag: -1}, m)
	if err != nil {
		b.Fatal(err)
	}
	evs := benchdata.Events(b.N, max(b.N/10, 1), now.Add(-time.Hour), "b")
	var i atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchdata.CPUTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := eng.HandleEvent(context.Background(), evs[i.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	cpu = benchdata.CPUTime() - cpu
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
	if eng.Evaluated.Load() != int64(b.N) {
		b.Fatalf("evaluated %d of %d", eng.Evaluated.Load(), b.N)
	}
}
