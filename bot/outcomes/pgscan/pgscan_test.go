package pgscan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kairoscx/kairos/bot/outcomes"
	"github.com/kairoscx/kairos/bot/outcomes/pgscan"
	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/sample"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/postgres"
	"github.com/kairoscx/kairos/memory/postgres/pgtest"
	"github.com/kairoscx/kairos/memory/seed"
)

var end = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

func specs(t testing.TB) []proactive.Spec {
	m, err := sample.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	var out []proactive.Spec
	for _, tr := range m.Triggers() {
		out = append(out, tr.Spec)
	}
	return out
}

// TestBulkMatchesStore: the bulk scanner gives exactly the figures the
// per-customer store reads give on the same seeded database.
func TestBulkMatchesStore(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	store, err := postgres.Open(ctx, postgres.Options{URL: url, Dim: 8, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	res, err := seed.Write(ctx, store, seed.Config{Customers: 250, Days: 90, Seed: 2, End: end}, seed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(res.Truth))
	for id := range res.Truth {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	sc, err := pgscan.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	p := outcomes.Params{From: end.AddDate(0, 0, -90), To: end, Now: end, By: outcomes.BySegment}
	bulk, err := outcomes.Compute(ctx, outcomes.Sources{Events: sc, Profiles: sc, Triggers: specs(t)}, p)
	if err != nil {
		t.Fatal(err)
	}
	per := outcomes.StoreScanner{Store: store, Customers: ids}
	each, err := outcomes.Compute(ctx, outcomes.Sources{Events: per, Profiles: per, Triggers: specs(t)}, p)
	if err != nil {
		t.Fatal(err)
	}
	bulk.Generated, each.Generated = time.Time{}, time.Time{}
	a, _ := json.Marshal(bulk)
	b, _ := json.Marshal(each)
	if string(a) != string(b) {
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		lo := max(0, i-300)
		t.Fatalf("bulk and per-customer reports differ at byte %d:\n…%.600s\n…%.600s", i, a[lo:], b[lo:])
	}
	if bulk.Overall.Operations.Conversations == 0 || bulk.Overall.Prediction.Churn.AUC == nil || len(bulk.Groups) < 2 {
		t.Errorf("trivial report: %d conversations, AUC %v, %d segments", bulk.Overall.Operations.Conversations, bulk.Overall.Prediction.Churn.AUC, len(bulk.Groups))
	}
}

// BenchmarkReportPostgres generates KAIROS_BENCH_CUSTOMERS (default
// 100,000) seeded customers × 90 days, bulk-loads their events into
// PostgreSQL (COPY; profiles are not loaded, so segments are "none") and
// times outcomes.Compute over the 90 days with the bulk scanner. Run once:
//
//	go test ./bot/outcomes/pgscan -run '^$' -bench ReportPostgres -benchtime 3x -timeout 60m
func BenchmarkReportPostgres(b *testing.B) {
	n := 100_000
	if s := os.Getenv("KAIROS_BENCH_CUSTOMERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	url := pgtest.URL(b)
	store, err := postgres.Open(ctx, postgres.Options{URL: url, Dim: 8, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	store.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	started := time.Now()
	events := load(b, ctx, conn, seed.Config{Customers: n, Days: 90, Seed: 1, End: end})
	if _, err := conn.Exec(ctx, "ANALYZE events; ANALYZE customers"); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d customers, %d events in %s", n, events, time.Since(started).Round(time.Second))
	sc, err := pgscan.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer sc.Close()
	p := outcomes.Params{From: end.AddDate(0, 0, -90), To: end, Now: end}
	ts := &timed{Scanner: sc}
	src := outcomes.Sources{Events: ts, Profiles: ts, Triggers: specs(b)}
	run := func(b *testing.B) {
		for b.Loop() {
			t0 := time.Now()
			rep, err := outcomes.Compute(ctx, src, p)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(time.Since(t0).Seconds(), "s/report")
			b.ReportMetric(float64(rep.Overall.Operations.Conversations), "conversations")
			b.ReportMetric(float64(events), "events")
			b.Logf("report in %s: %s", time.Since(t0).Round(time.Millisecond), ts.log)
			ts.log = ""
		}
	}
	b.Run("schema=stock", run)
	// The index a report would like: the records by type and time, instead
	// of a sequential scan of every event.
	if _, err := conn.Exec(ctx, "CREATE INDEX events_type_at ON events (type, at); ANALYZE events"); err != nil {
		b.Fatal(err)
	}
	b.Run("schema=type_at_index", run)
}

// load generates the customers on all cores and COPYs customers and
// events in.
func load(b *testing.B, ctx context.Context, conn *pgx.Conn, cfg seed.Config) int {
	ch := make(chan seed.Customer, 256)
	var wg sync.WaitGroup
	next := make(chan int, 1024)
	go func() {
		for i := range cfg.Customers {
			next <- i
		}
		close(next)
	}()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				c, err := seed.Generate(cfg, i)
				if err != nil {
					panic(err)
				}
				ch <- c
			}
		})
	}
	go func() { wg.Wait(); close(ch) }()
	var customers [][]any
	events := 0
	var batch [][]any
	flush := func() {
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"events"}, []string{"id", "customer_id", "type", "source", "props", "at", "received_at"}, pgx.CopyFromRows(batch)); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	var pending []seed.Customer
	for c := range ch {
		id := "cus_" + c.Key
		customers = append(customers, []any{id, cfg.Start()})
		pending = append(pending, c)
		if len(pending) == 2000 {
			copyCustomers(b, ctx, conn, customers)
			customers = customers[:0]
			for _, pc := range pending {
				for _, ev := range pc.Events {
					batch = append(batch, []any{ev.ID, "cus_" + pc.Key, ev.Type, ev.Source, string(ev.Props), ev.At, ev.At})
					events++
				}
			}
			flush()
			pending = pending[:0]
		}
	}
	copyCustomers(b, ctx, conn, customers)
	for _, pc := range pending {
		for _, ev := range pc.Events {
			batch = append(batch, []any{ev.ID, "cus_" + pc.Key, ev.Type, ev.Source, string(ev.Props), ev.At, ev.At})
			events++
		}
	}
	if len(batch) > 0 {
		flush()
	}
	return events
}

func copyCustomers(b *testing.B, ctx context.Context, conn *pgx.Conn, rows [][]any) {
	if len(rows) == 0 {
		return
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"customers"}, []string{"id", "created_at"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(fmt.Errorf("customers: %w", err))
	}
}

// timed logs how long each read took.
type timed struct {
	*pgscan.Scanner
	log string
}

func (t *timed) ScanEvents(ctx context.Context, q outcomes.Scan, fn func(memory.Event) error) error {
	start, n := time.Now(), 0
	err := t.Scanner.ScanEvents(ctx, q, func(ev memory.Event) error { n++; return fn(ev) })
	t.log += fmt.Sprintf("scan(%d types, %d customers): %d events in %s; ", len(q.Types), len(q.Customers), n, time.Since(start).Round(time.Millisecond))
	return err
}

func (t *timed) FirstEvents(ctx context.Context, probes []outcomes.Probe) ([]*memory.Event, error) {
	start := time.Now()
	found, err := t.Scanner.FirstEvents(ctx, probes)
	t.log += fmt.Sprintf("probes(%d): %s; ", len(probes), time.Since(start).Round(time.Millisecond))
	return found, err
}

func (t *timed) Profiles(ctx context.Context, ids []string) (map[string]memory.Profile, error) {
	start := time.Now()
	ps, err := t.Scanner.Profiles(ctx, ids)
	t.log += fmt.Sprintf("profiles(%d): %s; ", len(ids), time.Since(start).Round(time.Millisecond))
	return ps, err
}
