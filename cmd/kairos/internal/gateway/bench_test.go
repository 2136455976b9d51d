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

			// Many visitors, each with its own conversation, taking turns:
			// one connection alone would hit the per-connection rate limit,
			// which is there to stop a flood, not to be measured.
			const visitors = 300
			conns := make([]*websocket.Conn, visitors)
			for i := range conns {
				c, _, err := websocket.DefaultDialer.Dial("ws://"+g.Addr()+"/ws", nil)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				conns[i] = c
			}
			questions := []string{"How long does shipping take?", "退货政策是什么？", "滤芯多久换一次？", "What size should I order?"}
			turn := func(id string, i int) time.Duration {
				conn := conns[i%visitors]
				start := time.Now()
				msg := fmt.Sprintf(`{"type":"message","id":%q,"text":%q}`, id, questions[i%len(questions)])
				if err := conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
					b.Fatal(err)
				}
				conn.SetReadDeadline(time.Now().Add(30 * time.Second))
				for {
					_, data, err := conn.ReadMessage()
					if err != nil {
						b.Fatal(err)
					}
					if strings.Contains(string(data), `"type":"error"`) {
						b.Fatalf("server answered %s", data)
					}
					if strings.Contains(string(data), `"type":"message"`) && strings.Contains(string(data), `"role":"bot"`) {
						d := time.Since(start)
						// Ack so the server's replay cursor keeps up, as the widget does.
						if seq := seqOf(data); seq > 0 {
							conn.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"type":"ack","seq":%d}`, seq)))
						}
						return d
					}
				}
			}
			for i := range visitors { // warm up caches and every connection
				turn(fmt.Sprintf("warm%d", i), i)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lat = append(lat, turn(fmt.Sprintf("b%d", i), i))
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
