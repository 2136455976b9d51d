package web_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BenchmarkIdleConnMemory reports heap+stack per idle connection for the web
// channel and for a bare gorilla echo server, with the same clients in the
// same process (so client memory is in both figures and the difference is
// the server's). Run with -benchtime=1x:
//
//	go test -run '^$' -bench IdleConnMemory -benchtime=1x ./channels/web/
func BenchmarkIdleConnMemory(b *testing.B) {
	const conns = 2000
	b.Run("echo", func(b *testing.B) {
		up := websocket.Upgrader{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			for {
				t, m, err := c.ReadMessage()
				if err != nil {
					return
				}
				if err := c.WriteMessage(t, m); err != nil {
					return
				}
			}
		}))
		defer srv.Close()
		measureIdle(b, "ws"+strings.TrimPrefix(srv.URL, "http")+"/", conns, false)
	})
	b.Run("kairos", func(b *testing.B) {
		e := newEnv(b, nil)
		measureIdle(b, e.wsURL(nil), conns, true)
	})
}

func measureIdle(b *testing.B, url string, n int, hello bool) {
	d := websocket.Dialer{ReadBufferSize: 512, WriteBufferSize: 512, HandshakeTimeout: 10 * time.Second}
	before := memUse()
	clients := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for range n {
		c, _, err := d.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		if hello {
			if _, _, err := c.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		} else {
			if err := c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)); err != nil {
				b.Fatal(err)
			}
			if _, _, err := c.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		}
		clients = append(clients, c)
	}
	time.Sleep(200 * time.Millisecond) // let handshakes' garbage become collectable
	after := memUse()
	b.ReportMetric(float64(after-before)/float64(n), "B/conn")
}

func memUse() uint64 {
	var m runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
