package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
)

// BenchmarkPageViewToWidget measures what a visitor of the demo shop feels:
// the time from the widget sending the page_view that completes the sample
// refund-policy trigger (the third view within 30 minutes) to the proactive
// message arriving on that widget's WebSocket. The path is the whole node
// with the embedded defaults: WebSocket → KAIROS_EVENTS → trigger router →
// partition → engine (window, guardrails, claim in KV) → deliverer →
// conversation subject → WebSocket. Each iteration is a new visitor, since a
// visitor gets the refund chat once.
//
//	go test ./cmd/kairos/internal/gateway -run '^$' -bench PageViewToWidget -benchtime 300x -count 3
func BenchmarkPageViewToWidget(b *testing.B) {
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.Data = b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	g, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx) }()
	defer func() { cancel(); <-done }()

	url := "http://" + g.Addr() + "/demo/refund-policy.html"
	connect := func() *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial("ws://"+g.Addr()+"/ws?lang=en", nil)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	view := func(c *websocket.Conn, id string) {
		f := map[string]any{"type": "event", "id": id, "name": "page_view",
			"props": map[string]any{"url": url, "title": "Refund policy", "dwell_ms": 0}}
		if err := c.WriteJSON(f); err != nil {
			b.Fatal(err)
		}
	}
	// waitProactive reads frames until the bot speaks unasked and returns
	// when it did; any error frame fails the run.
	waitProactive := func(c *websocket.Conn, patience time.Duration) {
		c.SetReadDeadline(time.Now().Add(patience))
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				b.Fatalf("no proactive message: %v", err)
			}
			var f struct {
				Type, Role, Code string
				Seq              int64
				ReplyTo          int64 `json:"reply_to"`
			}
			if err := json.Unmarshal(data, &f); err != nil {
				b.Fatal(err)
			}
			if f.Type == "error" {
				b.Fatalf("server answered %s", data)
			}
			if f.Type == "message" && f.Role == "bot" && f.ReplyTo == 0 {
				c.WriteJSON(map[string]any{"type": "ack", "seq": f.Seq})
				return
			}
		}
	}

	// Warm up: the engine's partitions start in the background, so the
	// first visitor waits for them.
	w := connect()
	defer w.Close()
	for i := range 3 {
		view(w, fmt.Sprintf("w%d", i))
	}
	waitProactive(w, 120*time.Second)

	// Every visitor is connected and has read the policy twice before the
	// clock starts, so each measured view is the one that fires.
	visitors := make([]*websocket.Conn, b.N)
	for i := range visitors {
		visitors[i] = connect()
		defer visitors[i].Close()
		view(visitors[i], "v1")
		view(visitors[i], "v2")
	}
	time.Sleep(2 * time.Second) // let the first two views of all of them settle

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for _, c := range visitors {
		start := time.Now()
		view(c, "v3")
		waitProactive(c, 30*time.Second)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
}
