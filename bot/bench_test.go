package bot

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kairoscx/kairos/channels"
)

// BenchmarkTurnOffline measures one turn end to end with the offline
// reasoner and the embedded store: from Receive to the final message being
// published. Turns run one after another in one conversation, as a single
// customer's do.
func BenchmarkTurnOffline(b *testing.B) {
	h := start(b, nil)
	questions := []string{"退款多久到账？", "When will my refund arrive?", "你好", "Do you sell rockets?"}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		h.send(b, fmt.Sprint("c", i), questions[i%len(questions)])
		h.out.next(b, channels.OutMessage)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkTurnOfflineWithMemory is BenchmarkTurnOffline with long-term
// memory on: each turn also resolves the customer, loads the profile and
// recalls from 20 stored memories; profile updates and extraction run off
// the reply path (timers never fire here).
func BenchmarkTurnOfflineWithMemory(b *testing.B) {
	h := startMemory(b, nil)
	for i, s := range []string{"宝宝8个月了", "我穿L码", "喜欢顺丰", "我在杭州", "I'm allergic to peanuts"} {
		h.send(b, fmt.Sprint("seed", i), s)
		h.out.next(b, channels.OutMessage)
	}
	h.settle(b)
	questions := []string{"退款多久到账？", "When will my refund arrive?", "你好", "我上次说宝宝多大了？"}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		h.send(b, fmt.Sprint("c", i), questions[i%len(questions)])
		h.out.next(b, channels.OutMessage)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}
