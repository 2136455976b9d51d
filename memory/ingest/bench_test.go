package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embedded"
	"github.com/kairoscx/kairos/memory/ingest"
	"github.com/kairoscx/kairos/memory/postgres"
	"github.com/kairoscx/kairos/memory/postgres/pgtest"
)

// BenchmarkIngest measures events/s from publish until every event is
// stored and applied, through HTTP batches of 500 and through direct NATS
// publishes, into each store, beside a bare JetStream publish+consume loop
// (publish, pull, ack; no decoding, no store) on the same server.
//
// Workload: 2,000 customers; 80% page_view, 10% product_view, 5% search,
// 4% cart_add, 1% order_placed; "spread" sends each event to a random
// customer (a 500-event batch touches ~400 customers), "sessions" sends
// runs of 25 events per customer (20 customers per batch).
//
//	go test -run '^$' -bench Ingest -benchtime 20000x ./memory/ingest
func BenchmarkIngest(b *testing.B) {
	var bare float64
	b.Run("bare-jetstream", func(b *testing.B) { bare = benchBare(b) })
	for _, store := range []string{"embedded", "postgres"} {
		for _, via := range []string{"http", "nats"} {
			for _, shape := range []string{"sessions", "spread"} {
				b.Run(fmt.Sprintf("%s/%s/%s", store, via, shape), func(b *testing.B) {
					rate := benchPipeline(b, store, via, shape)
					if bare > 0 {
						b.ReportMetric(rate/bare, "x_bare")
					}
				})
			}
		}
	}
}

// stallWait lets a publisher wait for acknowledgements on a loaded
// machine instead of failing the run.
var stallWait = jetstream.WithStallWait(time.Minute)

type benchEnv struct {
	nc *nats.Conn
	js jetstream.JetStream
}

func newBenchNATS(b *testing.B) benchEnv {
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(ns.Shutdown)
	nc, err := ns.Connect("bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	if err := relay.EnsureStreams(context.Background(), js); err != nil {
		b.Fatal(err)
	}
	return benchEnv{nc, js}
}

func benchBare(b *testing.B) float64 {
	n := newBenchNATS(b)
	ctx := context.Background()
	cons, err := n.js.CreateOrUpdateConsumer(ctx, ingest.DefaultStream, jetstream.ConsumerConfig{
		Durable: "bare", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 8000})
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"v":1,"id":"x","type":"page_view","customer":{"id":"cus_x"},"props":{"url":"https://shop.example.com/p/1","title":"P"}}`)
	cpu := startCPU(b, "", "")
	b.ResetTimer()
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		iter, _ := cons.Messages(jetstream.PullMaxMessages(1000))
		defer iter.Stop()
		for range b.N {
			m, err := iter.Next()
			if err != nil {
				b.Error(err)
				return
			}
			_ = m.Ack()
		}
	}()
	for i := range b.N {
		if _, err := n.js.PublishAsync(ingest.SubjectIn, payload, jetstream.WithMsgID(fmt.Sprint("b", i)), stallWait); err != nil {
			b.Fatal(err)
		}
	}
	<-n.js.PublishAsyncComplete()
	<-done
	rate := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(rate, "events/s")
	cpu.report(b, b.N)
	return rate
}

// benchApp is the application name the benchmark's PostgreSQL
// connections carry, so that their backends' CPU time can be told apart.
const benchApp = "kairos-ingest-bench"

// openBenchStore opens a store of kind; for PostgreSQL it also returns the
// URL its connections use.
func openBenchStore(b *testing.B, kind string) (ingest.Store, string) {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	if kind == "embedded" {
		st, err := embedded.Open(ctx, embedded.Options{Dir: b.TempDir(), Dim: 8, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st, ""
	}
	url := pgtest.URL(b) + "&application_name=" + benchApp
	st, err := postgres.Open(ctx, postgres.Options{URL: url, Dim: 8, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	s, ok := any(st).(ingest.Store)
	if !ok {
		b.Skip("the PostgreSQL store does not implement memory.CustomerStore yet")
	}
	return s, url
}

var benchTypes = []struct {
	typ   string
	props string
	share int
}{
	{"page_view", `{"url":"https://shop.example.com/p/%d","title":"Product %d","dwell_ms":0}`, 80},
	{"product_view", `{"sku":"SKU-%d","name":"Item %d","price":99,"stock":3}`, 10},
	{"search", `{"query":"filter %d %d"}`, 5},
	{"cart_add", `{"sku":"SKU-%d","qty":1,"price":%d}`, 4},
	{"order_placed", `{"order_id":"o-%d","items":[{"sku":"SKU-1","qty":1,"price":%d}]}`, 1},
}

// benchEvents builds n events for customers; at spreads them over two days.
func benchEvents(n int, customers []string, shape string, now time.Time) []ingest.Event {
	r := rand.New(rand.NewPCG(7, uint64(n)))
	evs := make([]ingest.Event, n)
	run := 1
	if shape == "sessions" {
		run = 25
	}
	var cus string
	for i := range evs {
		if i%run == 0 {
			cus = customers[r.IntN(len(customers))]
		}
		pick := r.IntN(100)
		t := benchTypes[0]
		for _, bt := range benchTypes {
			if pick < bt.share {
				t = bt
				break
			}
			pick -= bt.share
		}
		evs[i] = ingest.Event{V: 1, ID: fmt.Sprintf("bench-%d", i), Type: t.typ, Customer: ingest.Customer{ID: cus},
			At: now.Add(-time.Duration(r.IntN(48*3600)) * time.Second), Props: json.RawMessage(fmt.Sprintf(t.props, i%500, 1+i%200))}
	}
	return evs
}

func benchPipeline(b *testing.B, storeKind, via, shape string) float64 {
	n := newBenchNATS(b)
	st, url := openBenchStore(b, storeKind)
	ctx := context.Background()
	customers := make([]string, 2000)
	for i := range customers {
		c, _, err := st.CustomerByIdentity(ctx, memory.Identity{Kind: "site_user", Value: fmt.Sprint("bench-", i)})
		if err != nil {
			b.Fatal(err)
		}
		customers[i] = c.ID
	}
	now := time.Now()
	evs := benchEvents(b.N, customers, shape, now)
	in, err := ingest.New(ingest.Config{JS: n.js, Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(in.Handler())
	b.Cleanup(srv.Close)
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = in.Run(rctx) })
	b.Cleanup(func() { cancel(); wg.Wait() })

	// The senders' own encoding is not Kairos's work (the bare loop's
	// payload is prepared too): bodies are encoded before the clock runs.
	var bodies [][]byte
	if via == "http" {
		for i := 0; i < len(evs); i += 500 {
			body, _ := json.Marshal(map[string]any{"events": evs[i:min(i+500, len(evs))]})
			bodies = append(bodies, body)
		}
	} else {
		for _, ev := range evs {
			data, _ := json.Marshal(ev)
			bodies = append(bodies, data)
		}
	}
	cpu := startCPU(b, url, benchApp)
	b.ResetTimer()
	start := time.Now()
	if via == "http" {
		benchPost(b, srv.URL, bodies, 500)
	} else {
		for i, data := range bodies {
			if _, err := n.js.PublishAsync(ingest.SubjectIn, data, jetstream.WithMsgID(evs[i].ID), stallWait); err != nil {
				b.Fatal(err)
			}
		}
		<-n.js.PublishAsyncComplete()
	}
	waitDrained(b, n.js)
	rate := float64(b.N) / time.Since(start).Seconds()
	b.StopTimer()
	b.ReportMetric(rate, "events/s")
	cpu.report(b, b.N)
	return rate
}

// benchPost sends the encoded batches (of batch events each, the last
// perhaps fewer) from 4 concurrent clients.
func benchPost(b *testing.B, url string, bodies [][]byte, batch int) {
	batches := make(chan []byte)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for body := range batches {
				resp, err := http.Post(url+"/api/v1/events", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					continue
				}
				var out ingest.Response
				_ = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if resp.StatusCode != 200 || out.Accepted == 0 || out.Invalid > 0 || out.Duplicate > 0 || out.Accepted > batch {
					b.Errorf("status %d, %d accepted, %d duplicate, %d invalid", resp.StatusCode, out.Accepted, out.Duplicate, out.Invalid)
					for _, r := range out.Results {
						if r.Error != nil {
							b.Error(r.Error)
							break
						}
					}
				}
			}
		})
	}
	for _, body := range bodies {
		batches <- body
	}
	close(batches)
	wg.Wait()
}

func waitDrained(b *testing.B, js jetstream.JetStream) {
	ctx := context.Background()
	for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		c, err := js.Consumer(ctx, ingest.DefaultStream, ingest.DefaultDurable)
		if err != nil {
			continue
		}
		info, err := c.Info(ctx)
		st, serr := js.Stream(ctx, ingest.DefaultStream)
		if err == nil && serr == nil && info.NumPending == 0 && info.NumAckPending == 0 &&
			info.Delivered.Stream == st.CachedInfo().State.LastSeq {
			return
		}
	}
	b.Fatal("not drained")
}
