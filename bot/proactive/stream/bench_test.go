package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/internal/benchdata"
	"github.com/kairoscx/kairos/bot/proactive/sample"
	"github.com/kairoscx/kairos/bot/proactive/stream"
	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/memory"
)

// matrix50 is the sample matrix plus generated triggers up to 50, woken by
// the page and product views the benchmark sends.
func matrix50(tb testing.TB) *proactive.Matrix {
	tb.Helper()
	m, err := benchdata.Matrix50()
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func benchEvents(n, customers int, at time.Time) []memory.Event {
	return benchdata.Events(n, customers, at, "b")
}

// BenchmarkEngineEvaluate is the engine alone: events/s evaluated against
// 50 triggers (no NATS), on however many goroutines GOMAXPROCS allows.
// (bot/proactive's BenchmarkEngine is the same with CPU per event.)
func BenchmarkEngineEvaluate(b *testing.B) {
	now := time.Now()
	eng, err := proactive.New(proactive.Config{State: proactive.NewMemState(), Now: func() time.Time { return now }, MaxLag: -1}, matrix50(b))
	if err != nil {
		b.Fatal(err)
	}
	evs := benchEvents(b.N, 20_000, now.Add(-time.Hour))
	var i atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := eng.HandleEvent(context.Background(), evs[i.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func startNATS(tb testing.TB) (*nats.Conn, jetstream.JetStream, *relay.Relay) {
	tb.Helper()
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(ns.Shutdown)
	nc, err := ns.Connect("bench")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	rel, err := relay.New(nc, nil)
	if err != nil {
		tb.Fatal(err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		tb.Fatal(err)
	}
	if err := relay.EnsureStreams(context.Background(), js); err != nil {
		tb.Fatal(err)
	}
	return nc, js, rel
}

func channelPayloads(evs []memory.Event) [][]byte {
	out := make([][]byte, len(evs))
	for i, ev := range evs {
		out[i], _ = json.Marshal(channels.Event{V: 1, ID: ev.ID, Name: ev.Type, CustomerID: ev.CustomerID, Channel: "web", Props: ev.Props, At: ev.At})
	}
	return out
}

func publishAll(tb testing.TB, js jetstream.JetStream, subjects []string, payloads [][]byte, ids []string) {
	tb.Helper()
	for i, p := range payloads {
		if _, err := js.PublishAsync(subjects[i], p, jetstream.WithMsgID(ids[i])); err != nil {
			tb.Fatal(err)
		}
		if i%2000 == 1999 || i == len(payloads)-1 {
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(time.Minute):
				tb.Fatal("publish did not complete")
			}
		}
	}
}

// BenchmarkPipelineVsBareJetStream sends the same events through (a) a
// bare JetStream publish + durable pull-consume + ack loop and (b) the
// proactive pipeline (KAIROS_EVENTS → router → batches of tickets in the
// memory stream → pinned partition consumers → engine with 50 triggers,
// state in NATS KV → acknowledgement of each event's source), and reports
// both rates, the CPU per event of each, and their ratios.
func BenchmarkPipelineVsBareJetStream(b *testing.B) {
	const n = 50_000
	for range b.N {
		now := time.Now().UTC()
		evs := benchEvents(n, 10_000, now.Add(-time.Minute))
		payloads := channelPayloads(evs)
		ids, subjects := make([]string, n), make([]string, n)
		for i, ev := range evs {
			ids[i], subjects[i] = ev.ID, relay.EventSubject("web", ev.Type)
		}

		// (a) bare loop on a stream of its own.
		_, js, _ := startNATS(b)
		ctx := context.Background()
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "BARE", Subjects: []string{"bare.>"}, Duplicates: 2 * time.Minute}); err != nil {
			b.Fatal(err)
		}
		bareSubjects := make([]string, n)
		for i := range bareSubjects {
			bareSubjects[i] = "bare.web." + evs[i].Type
		}
		cons, err := js.CreateOrUpdateConsumer(ctx, "BARE", jetstream.ConsumerConfig{Durable: "bare", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 10000})
		if err != nil {
			b.Fatal(err)
		}
		var got atomic.Int64
		done := make(chan struct{})
		cc, err := cons.Consume(func(m jetstream.Msg) {
			var ev channels.Event
			_ = json.Unmarshal(m.Data(), &ev)
			_ = m.Ack()
			if got.Add(1) == n {
				close(done)
			}
		}, jetstream.PullMaxMessages(1000))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		start, cpu := time.Now(), benchdata.CPUTime()
		publishAll(b, js, bareSubjects, payloads, ids)
		<-done
		bare, bareCPU := time.Since(start), benchdata.CPUTime()-cpu
		cc.Stop()

		// (b) the pipeline.
		_, js2, _ := startNATS(b)
		st, err := stream.NewState(ctx, js2, 1)
		if err != nil {
			b.Fatal(err)
		}
		var timers timerProxy
		eng, err := proactive.New(proactive.Config{State: st, Timers: &timers}, matrix50(b))
		if err != nil {
			b.Fatal(err)
		}
		run, err := stream.New(stream.Config{JS: js2, Engine: eng})
		if err != nil {
			b.Fatal(err)
		}
		timers.r = run
		rctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { _ = run.Run(rctx) })
		for {
			if _, err := js2.Consumer(ctx, stream.EventsStream, stream.RouterDurable); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		runtime.GC()
		start, cpu = time.Now(), benchdata.CPUTime()
		publishAll(b, js2, subjects, payloads, ids)
		deadline := time.Now().Add(5 * time.Minute)
		lastDbg := time.Now()
		for eng.Evaluated.Load() < n {
			if testing.Verbose() && time.Since(lastDbg) > time.Second { // progress with -v
				lastDbg = time.Now()
				ri, _ := js2.Consumer(ctx, stream.EventsStream, stream.RouterDurable)
				var rp, ra, rw uint64
				if ri != nil {
					if inf, err := ri.Info(ctx); err == nil {
						rp, ra, rw = inf.NumPending, uint64(inf.NumAckPending), uint64(inf.NumWaiting)
					}
				}
				ws, _ := js2.Stream(ctx, stream.TicketStream)
				var wm uint64
				if ws != nil {
					if inf, err := ws.Info(ctx); err == nil {
						wm = inf.State.Msgs
					}
				}
				b.Logf("t=%.1fs evaluated=%d router pending=%d ackpending=%d pulls waiting=%d tickets=%d", time.Since(start).Seconds(), eng.Evaluated.Load(), rp, ra, rw, wm)
			}
			if time.Now().After(deadline) {
				b.Fatalf("pipeline evaluated %d of %d", eng.Evaluated.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
		pipe, pipeCPU := time.Since(start), benchdata.CPUTime()-cpu
		cancel()
		wg.Wait()
		eng.Wait()
		b.ReportMetric(n/bare.Seconds(), "bare-events/s")
		b.ReportMetric(n/pipe.Seconds(), "pipeline-events/s")
		b.ReportMetric(bare.Seconds()/pipe.Seconds(), "ratio")
		b.ReportMetric(float64(eng.Fired.Load()), "firings")
		// CPU per event (process: embedded server, client, engine, GC) is
		// what a busy machine disturbs least; its ratio is the rate ratio
		// of an otherwise idle, CPU-bound node.
		if bareCPU > 0 && pipeCPU > 0 {
			b.ReportMetric(float64(bareCPU.Microseconds())/n, "bare-cpu-µs/event")
			b.ReportMetric(float64(pipeCPU.Microseconds())/n, "pipeline-cpu-µs/event")
			b.ReportMetric(bareCPU.Seconds()/pipeCPU.Seconds(), "cpu-ratio")
		}
	}
}

// relayDeliverer is the web path of a Deliverer as the gateway wires it:
// the message is published on the conversation's subject, where the node
// holding the widget's connection delivers it.
type relayDeliverer struct{ rel *relay.Relay }

func (d relayDeliverer) Deliver(ctx context.Context, m proactive.Message) (proactive.Delivery, error) {
	conv := "conv_" + m.Customer
	err := d.rel.Publish(ctx, channels.Outbound{Kind: channels.OutMessage, ConversationID: conv, Seq: 1, Role: "bot", Text: m.Text, At: time.Now()})
	return proactive.Delivery{Channel: "web", ConversationID: conv}, err
}

// BenchmarkPageViewToWidget measures the time from the third refund-policy
// page view being published (relay.PublishEvent, as the web channel does)
// to the proactive message arriving on the conversation's NATS subject
// (where the connected widget's node receives it), through router,
// partition consumer, engine, KV claim and customer state, firing log.
func BenchmarkPageViewToWidget(b *testing.B) {
	nc, js, rel := startNATS(b)
	ctx := context.Background()
	st, err := stream.NewState(ctx, js, 1)
	if err != nil {
		b.Fatal(err)
	}
	m, err := sample.Matrix()
	if err != nil {
		b.Fatal(err)
	}
	eng, err := proactive.New(proactive.Config{State: st, Deliverer: relayDeliverer{rel}, NoHoldout: true,
		Guard: proactive.Guard{QuietStart: 3, QuietEnd: 3}}, m)
	if err != nil {
		b.Fatal(err)
	}
	run, err := stream.New(stream.Config{JS: js, Engine: eng})
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = run.Run(rctx) }()
	for {
		if _, err := js.Consumer(ctx, stream.EventsStream, stream.RouterDurable); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := make(chan string, 16)
	sub, err := nc.Subscribe("kairos.conv.*.out", func(m *nats.Msg) { got <- m.Subject })
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	view := func(id, cus string) {
		props, _ := json.Marshal(map[string]any{"url": "https://shop.example.com/demo/refund-policy.html"})
		if err := rel.PublishEvent(ctx, channels.Event{ID: id, Name: "page_view", CustomerID: cus, Channel: "web", Props: props, At: time.Now().UTC()}); err != nil {
			b.Fatal(err)
		}
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		cus := fmt.Sprintf("cus_lat%d_%d", b.N, i)
		view(cus+"-1", cus)
		view(cus+"-2", cus)
		time.Sleep(2 * time.Millisecond) // the first two are routed and evaluated
		start := time.Now()
		view(cus+"-3", cus)
		select {
		case <-got:
			lat = append(lat, time.Since(start))
		case <-time.After(10 * time.Second):
			b.Fatal("no proactive message")
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
