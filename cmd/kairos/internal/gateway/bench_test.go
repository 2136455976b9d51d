package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kairoscx/kairos/cmd/kairos/internal/config"
	"github.com/kairoscx/kairos/memory/postgres/pgtest"
)

// BenchmarkTurn measures the server's overhead of one whole turn with the
// offline reasoner, as a client sees it over loopback: from writing a
// message frame to reading the complete bot reply. It includes the
// WebSocket, storing both messages, retrieval over the sample knowledge base,
// the reasoner, and delivery through NATS — everything but LLM time.
//
//	go test ./cmd/kairos/internal/gateway -run '^$' -bench Turn -benchtime 2000x -count 5
func BenchmarkTurn(b *testing.B) {
	for _, store := range []string{"embedded", "postgres"} {
		b.Run(store, func(b *testing.B) {
			cfg := config.Default()
			cfg.Addr = "127.0.0.1:0"
			cfg.Data = b.TempDir()
			if store == "postgres" {
				cfg.PostgresURL = pgtest.URL(b)
			}
			ctx, cancel := context.WithCancel(context.Background())
			g, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- g.Serve(ctx) }()
			defer func() { cancel(); <-done }()

			conn, _, err := websocket.DefaultDialer.Dial("ws://"+g.Addr()+"/ws", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			questions := []string{"How long does shipping take?", "退货政策是什么？", "滤芯多久换一次？", "What size should I order?"}
			turn := func(i int) time.Duration {
				start := time.Now()
				msg := fmt.Sprintf(`{"type":"message","id":"b%d","text":%q}`, i, questions[i%len(questions)])
				if err := conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
					b.Fatal(err)
				}
				for {
					_, data, err := conn.ReadMessage()
					if err != nil {
						b.Fatal(err)
					}
					if strings.Contains(string(data), `"type":"message"`) {
						d := time.Since(start)
						// Ack so the server's replay cursor keeps up, as the widget does.
						if seq := seqOf(data); seq > 0 {
							conn.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"type":"ack","seq":%d}`, seq)))
						}
						return d
					}
				}
			}
			for i := range 20 { // warm up caches and connections
				turn(-1 - i)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lat = append(lat, turn(i))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

func seqOf(frame []byte) int64 {
	s := string(frame)
	i := strings.Index(s, `"seq":`)
	if i < 0 {
		return 0
	}
	var seq int64
	fmt.Sscanf(s[i+len(`"seq":`):], "%d", &seq)
	return seq
}
