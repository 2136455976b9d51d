package stream

import (
	"encoding/json"
	"testing"
)

// BenchmarkDecodeChannelEvent: the router's envelope parse, fast path
// against json.Unmarshal, on the shape channels publish.
func BenchmarkDecodeChannelEvent(b *testing.B) {
	in := []byte(`{"v":1,"id":"b-123456","name":"page_view","customer_id":"cus_b4711","channel":"web","props":{"url":"https://shop.example.com/p17/item.html","ref":"search"},"at":"2026-11-21T10:00:00.123456789Z"}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var ce channelEvent
			if decodeChannelEvent(in, &ce) != nil {
				b.Fatal("decode")
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var ce channelEvent
			if json.Unmarshal(in, &ce) != nil {
				b.Fatal("decode")
			}
		}
	})
}
