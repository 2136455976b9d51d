package pgscan_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	neturl "net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
	"github.com/kairoscx/kairos/memory/profile"
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

// openStore opens a PostgreSQL store (its migrations applied) on a fresh
// test schema and returns it with the schema's URL; it closes when the test
// ends.
func openStore(t *testing.T) (*postgres.Store, string) {
	t.Helper()
	url := pgtest.URL(t)
	store, err := postgres.Open(context.Background(), postgres.Options{URL: url, Dim: 8, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store, url
}

// TestBulkMatchesStore: the bulk scanner gives exactly the figures the
// per-customer store reads give on the same seeded database.
func TestBulkMatchesStore(t *testing.T) {
	ctx := context.Background()
	store, url := openStore(t)
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
// 100,000) seeded customers × 90 days, bulk-loads their customers, events
// (with event_records filled as migration 0008's backfill does, and
// conversation_rollups by event_records' triggers as it does) and
// profiles into PostgreSQL (COPY), and times outcomes.Compute over the 90
// days with the bulk scanner, overall and by segment. Loading 100,000
// customers takes minutes; with KAIROS_BENCH_SCHEMA=name the data goes to
// that schema of the test database and stays there for the next run (a
// schema holding another number of customers is an error):
//
//	KAIROS_BENCH_CUSTOMERS=100000 go test ./bot/outcomes/pgscan -run '^$' -bench ReportPostgres -benchtime 2x -timeout 60m
func BenchmarkReportPostgres(b *testing.B) {
	n := 100_000
	if s := os.Getenv("KAIROS_BENCH_CUSTOMERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	url := benchURL(b)
	opened := time.Now()
	store, err := postgres.Open(ctx, postgres.Options{URL: url, Dim: 8, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	store.Close()
	b.Logf("store opened (pending migrations applied) in %s", time.Since(opened).Round(time.Millisecond))
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var have, events int
	if err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM events)").Scan(&have, &events); err != nil {
		b.Fatal(err)
	}
	switch {
	case have == 0:
		started := time.Now()
		events = load(b, ctx, conn, seed.Config{Customers: n, Days: 90, Seed: 1, End: end})
		for _, q := range []string{backfillRecords, "VACUUM ANALYZE events", "VACUUM ANALYZE event_records", "VACUUM ANALYZE customers", "VACUUM ANALYZE profiles"} {
			if _, err := conn.Exec(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("loaded %d customers, %d events in %s", n, events, time.Since(started).Round(time.Second))
	case have != n:
		b.Fatalf("the schema holds %d customers, not %d", have, n)
	}
	sc, err := pgscan.Open(ctx, url+"&application_name="+benchApp)
	if err != nil {
		b.Fatal(err)
	}
	defer sc.Close()
	ts := &timed{Scanner: sc}
	src := outcomes.Sources{Events: ts, Profiles: ts, Triggers: specs(b)}
	for _, by := range []string{outcomes.ByNone, outcomes.BySegment} {
		p := outcomes.Params{From: end.AddDate(0, 0, -90), To: end, Now: end, By: by}
		b.Run("by="+cmp.Or(by, "none"), func(b *testing.B) {
			var goCPU, pgCPU time.Duration
			n := 0
			for b.Loop() {
				n++
				t0, go0, pg0 := time.Now(), processCPU(b), backendCPU(b, ctx, conn)
				rep, err := outcomes.Compute(ctx, src, p)
				if err != nil {
					b.Fatal(err)
				}
				goCPU += processCPU(b) - go0
				pgCPU += sumAfter(backendCPU(b, ctx, conn), pg0)
				b.ReportMetric(goCPU.Seconds()/float64(n), "go-cpu-s/report")
				b.ReportMetric(pgCPU.Seconds()/float64(n), "pg-cpu-s/report")
				b.ReportMetric(time.Since(t0).Seconds(), "s/report")
				b.ReportMetric(float64(rep.Overall.Operations.Conversations), "conversations")
				b.ReportMetric(float64(events), "events")
				b.Logf("report in %s: %s", time.Since(t0).Round(time.Millisecond), ts.take())
			}
		})
	}
}

// benchApp names the scanner's connections, whose server processes'
// CPU time the benchmark reports (parallel workers' not included).
const benchApp = "kairos-outcomes-bench"

// processCPU is the CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU is the CPU time of the scanner's server processes, by pid.
func backendCPU(b *testing.B, ctx context.Context, conn *pgx.Conn) map[int32]time.Duration {
	cpu, ok := pgtest.BackendCPU(ctx, conn, benchApp)
	if !ok {
		return nil // the server is elsewhere: pg-cpu-s/report stays 0
	}
	return cpu
}

func sumAfter(after, before map[int32]time.Duration) time.Duration {
	var d time.Duration
	for pid, t := range after {
		d += t - before[pid]
	}
	return d
}

// backfillRecords is migration 0008's backfill, for events COPYed in
// around AppendEvents.
const backfillRecords = `INSERT INTO event_records (id, customer_id, type, source, at, props)
	SELECT id, customer_id, type, source, at, props FROM events
	WHERE type IN (SELECT type FROM event_record_types) ORDER BY at, id`

// benchURL is a fresh schema, or the kept one KAIROS_BENCH_SCHEMA names.
func benchURL(b *testing.B) string {
	name := os.Getenv("KAIROS_BENCH_SCHEMA")
	if name == "" {
		return pgtest.URL(b)
	}
	base := cmp.Or(os.Getenv(pgtest.EnvURL), pgtest.DefaultURL)
	conn, err := pgx.Connect(context.Background(), base)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The extension goes to public first: created from the kept schema's
	// search path it would land there, out of every other schema's sight.
	if _, err := conn.Exec(context.Background(), "CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public; CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
		b.Fatal(err)
	}
	u, err := neturl.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// load generates the customers on all cores and COPYs customers, events
// and profiles (built as kairos demo seed builds them) in.
func load(b *testing.B, ctx context.Context, conn *pgx.Conn, cfg seed.Config) int {
	ch := make(chan seeded, 256)
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
				ch <- seeded{c, seededProfile(c, cfg.End)}
			}
		})
	}
	go func() { wg.Wait(); close(ch) }()
	events := 0
	var pending []seeded
	flush := func() {
		var customers, evs, profiles [][]any
		for _, s := range pending {
			id := "cus_" + s.c.Key
			customers = append(customers, []any{id, cfg.Start()})
			profiles = append(profiles, []any{id, string(s.profile), cfg.End})
			for _, ev := range s.c.Events {
				evs = append(evs, []any{ev.ID, id, ev.Type, ev.Source, string(ev.Props), ev.At, ev.At})
			}
		}
		events += len(evs)
		for _, t := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"customers", []string{"id", "created_at"}, customers},
			{"events", []string{"id", "customer_id", "type", "source", "props", "at", "received_at"}, evs},
			{"profiles", []string{"customer_id", "doc", "updated_at"}, profiles},
		} {
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
				b.Fatal(fmt.Errorf("%s: %w", t.table, err))
			}
		}
		pending = pending[:0]
	}
	for s := range ch {
		pending = append(pending, s)
		if len(pending) == 2000 {
			flush()
		}
	}
	flush()
	return events
}

type seeded struct {
	c       seed.Customer
	profile []byte
}

// seededProfile is the customer's profile at the end of the history, as
// kairos demo seed writes it: the events applied in order, then the chats'
// customer turns.
func seededProfile(c seed.Customer, end time.Time) []byte {
	id := "cus_" + c.Key
	p := memory.Profile{CustomerID: id}
	for _, ev := range c.Events {
		ev.CustomerID = id
		profile.Apply(&p, ev)
	}
	for _, ch := range c.Chats {
		first := true
		for _, m := range ch.Messages {
			if m.Role == memory.RoleCustomer {
				profile.ApplyTurn(&p, m.At, m.Intent, m.Mood, m.Valence, first)
				first = false
			}
		}
	}
	p.Business.Stage = profile.Stage(&p, end)
	p.UpdatedAt = end
	doc, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return doc
}

// timed logs how long each read took.
type timed struct {
	*pgscan.Scanner
	mu  sync.Mutex
	log string
}

func (t *timed) add(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.log += fmt.Sprintf(format, args...)
}

func (t *timed) take() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.log
	t.log = ""
	return s
}

func (t *timed) ScanEvents(ctx context.Context, q outcomes.Scan, fn func(memory.Event) error) error {
	start, n := time.Now(), 0
	err := t.Scanner.ScanEvents(ctx, q, func(ev memory.Event) error { n++; return fn(ev) })
	t.add("scan(%d types, %d customers): %d events in %s; ", len(q.Types), len(q.Customers), n, time.Since(start).Round(time.Millisecond))
	return err
}

func (t *timed) FirstEvents(ctx context.Context, probes []outcomes.Probe) ([]*memory.Event, error) {
	start := time.Now()
	found, err := t.Scanner.FirstEvents(ctx, probes)
	t.add("probes(%d): %s; ", len(probes), time.Since(start).Round(time.Millisecond))
	return found, err
}

func (t *timed) Profiles(ctx context.Context, ids []string) (map[string]memory.Profile, error) {
	start := time.Now()
	ps, err := t.Scanner.Profiles(ctx, ids)
	t.add("profiles(%d): %s; ", len(ids), time.Since(start).Round(time.Millisecond))
	return ps, err
}

// TestTurnsMatchParse: the fields PostgreSQL extracts when a turn, survey,
// offer or feedback is stored (migration 0008) are what outcomes.ParseTurn
// and ParseRecord read of its JSON, for well-formed and malformed events
// alike.
func TestTurnsMatchParse(t *testing.T) {
	ctx := context.Background()
	store, url := openStore(t)
	c, _, err := store.CustomerByIdentity(ctx, memory.Identity{Kind: memory.IdentityWebVisitor, Value: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	props := []string{
		`{"conversation_id":"c1","seq":2,"channel":"web","intent":"refund","mood":"angry","valence":-0.6,"repeats":1,"intervened":true,"response_ms":812,"tokens":1530,"cost":0.00042}`,
		`{"conversation_id":"c1","mood":"satisfied","valence":0.4,"repeats":0,"response_ms":null,"tokens":12.5}`,
		`{"conversation_id":"c2","channel":7,"intent":["x"],"mood":null,"valence":"low","repeats":"2","intervened":"yes","response_ms":{},"tokens":true,"cost":"1"}`,
		`{"conversation_id":"c2","valence":1e400,"repeats":-1e-400,"response_ms":-0,"tokens":0e7,"cost":1E-301,"Channel":"upper"}`,
		`{"conversation_id":"c3","valence":1e300,"tokens":1e-300,"cost":-5}`,
		`{"conversation_id":"","mood":"angry"}`,
		`{"conversation_id":5,"mood":"angry"}`,
		`{"mood":"angry"}`,
		`{"conversation_id":"c4","channel":"wechat","channel":"web","intervened":false}`,
	}
	var evs []memory.Event
	for i, p := range props {
		evs = append(evs, memory.Event{ID: fmt.Sprintf("turn-%02d", i), CustomerID: c.ID, Type: outcomes.EventTurn, Source: "test",
			At: end.Add(-time.Duration(len(props)-i) * time.Minute), Props: json.RawMessage(p)})
	}
	if _, err := store.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	var want []string
	stored, err := store.Events(ctx, c.ID, memory.EventQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range stored {
		if tr, ok := outcomes.ParseTurn(ev); ok {
			want = append(want, fmt.Sprintf("%+v", tr))
		}
	}
	sc, err := pgscan.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	var got []string
	if err := sc.ScanTurns(ctx, end.Add(-time.Hour), end, func(tr outcomes.Turn) error {
		got = append(got, fmt.Sprintf("%+v", tr))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) != 6 || !slices.Equal(got, want) {
		t.Fatalf("turns read by pgscan:\n%s\nparsed from the events (want 6):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Surveys, offers and feedback likewise.
	recs := []struct{ typ, props string }{
		{outcomes.EventSurvey, `{"csat":4,"ces":2,"channel":"web"}`},
		{outcomes.EventSurvey, `{"csat":"4","ces":1e999,"channel":["web"]}`},
		{outcomes.EventSurvey, `{"CSAT":5}`},
		{outcomes.EventOffered, `{"decision_id":"d1","action":"coupon","arm":"coupon","channel":"wechat"}`},
		{outcomes.EventOffered, `{"decision_id":7,"action":"coupon"}`},
		{outcomes.EventFeedback, `{"decision_id":"d1","outcome":"accepted"}`},
		{outcomes.EventFeedback, `{"decision_id":"d1","outcome":null}`},
	}
	evs = evs[:0]
	for i, r := range recs {
		evs = append(evs, memory.Event{ID: fmt.Sprintf("rec-%02d", i), CustomerID: c.ID, Type: r.typ, Source: "test",
			At: end.Add(-time.Duration(len(recs)-i) * time.Second), Props: json.RawMessage(r.props)})
	}
	if _, err := store.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if stored, err = store.Events(ctx, c.ID, memory.EventQuery{Limit: 100, Types: []string{outcomes.EventSurvey, outcomes.EventOffered, outcomes.EventFeedback}}); err != nil {
		t.Fatal(err)
	}
	want, got = nil, nil
	for _, ev := range stored {
		if r, ok := outcomes.ParseRecord(ev); ok {
			want = append(want, fmt.Sprintf("%+v", r))
		}
	}
	if err := sc.ScanRecords(ctx, end.Add(-time.Hour), end, func(r outcomes.Record) error {
		got = append(got, fmt.Sprintf("%+v", r))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) != len(recs) || !slices.Equal(got, want) {
		t.Fatalf("records read by pgscan:\n%s\nparsed from the events (want %d):\n%s", strings.Join(got, "\n"), len(recs), strings.Join(want, "\n"))
	}
}
