package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
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

// env is a real in-process NATS server with the event stream, a real
// store (embedded unless newEnvOn says PostgreSQL), and an Ingest serving
// HTTP and consuming.
type env struct {
	t     *testing.T
	nc    *nats.Conn
	js    jetstream.JetStream
	store ingest.Store
	real  testStore
	url   string // the PostgreSQL store's, for a second node
	now   time.Time
	srv   *httptest.Server
	in    *ingest.Ingest
	stop  func()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, "embedded")
}

// testStore is what the tests use of a real store.
type testStore interface {
	ingest.Store
	memory.CustomerStore
	Close() error
}

// stores are the stores the tests that matter for both run on.
var stores = []string{"embedded", "postgres"}

// newEnvOn is newEnv on the store named kind ("embedded", "postgres").
// The PostgreSQL store keeps profiles and reads them ahead, so the
// consumer writes them in one round trip there (see
// postgres.Store.UpdateKeptProfiles); the embedded one does not.
func newEnvOn(t *testing.T, kind string) *env {
	t.Helper()
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := ns.Connect("ingest-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := relay.EnsureStreams(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	var st testStore
	var url string
	switch kind {
	case "embedded":
		st, err = embedded.Open(context.Background(), embedded.Options{Dir: t.TempDir(), Dim: 8,
			Logger: slog.New(slog.DiscardHandler)})
	case "postgres":
		url = pgtest.URL(t)
		st, err = postgres.Open(context.Background(), postgres.Options{URL: url, Dim: 8,
			Logger: slog.New(slog.DiscardHandler)})
	default:
		t.Fatalf("no store %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, nc: nc, js: js, store: st, real: st, url: url, now: time.Now().UTC().Truncate(time.Second)}
	return e
}

// start builds the Ingest over store (the real one when nil) and runs its
// consumer until the test ends or stop is called.
func (e *env) start(store ingest.Store) {
	e.t.Helper()
	if store == nil {
		store = e.real
	}
	e.store = store
	in, err := ingest.New(ingest.Config{JS: e.js, Store: store, Now: func() time.Time { return e.now },
		Logger: slog.New(slog.DiscardHandler), Batch: 50, RetryDelay: 10 * time.Millisecond})
	if err != nil {
		e.t.Fatal(err)
	}
	e.in = in
	if e.srv == nil {
		e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.in.Handler().ServeHTTP(w, r)
		}))
		e.t.Cleanup(e.srv.Close)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := in.Run(ctx); err != nil {
			e.t.Errorf("Run: %v", err)
		}
	})
	var once sync.Once
	e.stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	e.t.Cleanup(e.stop)
}

// post sends a body to the events API.
func (e *env) post(body []byte) (int, map[string]any) {
	e.t.Helper()
	resp, err := http.Post(e.srv.URL+"/api/v1/events", "application/json", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		e.t.Fatalf("response %s is not JSON: %s", resp.Status, data)
	}
	return resp.StatusCode, out
}

// postEvents sends events and returns the per-event results.
func (e *env) postEvents(evs ...any) []ingest.Result {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"events": evs})
	status, out := e.post(body)
	if status != http.StatusOK {
		e.t.Fatalf("status %d: %v", status, out)
	}
	raw, _ := json.Marshal(out["results"])
	var res []ingest.Result
	_ = json.Unmarshal(raw, &res)
	return res
}

// drain waits until the consumer has handled everything in the stream.
func (e *env) drain() {
	e.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := e.js.Consumer(ctx, ingest.DefaultStream, ingest.DefaultDurable)
		if err == nil {
			info, err := c.Info(ctx)
			st, serr := e.js.Stream(ctx, ingest.DefaultStream)
			if err == nil && serr == nil && info.NumPending == 0 && info.NumAckPending == 0 &&
				info.Delivered.Stream == st.CachedInfo().State.LastSeq {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatal("the consumer did not drain the stream")
}

func (e *env) profile(customerID string) memory.Profile {
	e.t.Helper()
	p, err := e.real.Profile(context.Background(), customerID)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) customer(kind, value string) string {
	e.t.Helper()
	c, _, err := e.real.CustomerByIdentity(context.Background(), memory.Identity{Kind: kind, Value: value})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// event builds an API event addressed by a site_user identity.
func event(id, typ, user string, at time.Time, props string) map[string]any {
	ev := map[string]any{"id": id, "type": typ, "customer": map[string]any{"identity": map[string]string{"kind": "site_user", "value": user}}}
	if !at.IsZero() {
		ev["at"] = at.Format(time.RFC3339Nano)
	}
	if props != "" {
		ev["props"] = json.RawMessage(props)
	}
	return ev
}

// forEachStore runs test on a fresh env of each store.
func forEachStore(t *testing.T, test func(t *testing.T, e *env)) {
	for _, kind := range stores {
		t.Run(kind, func(t *testing.T) { test(t, newEnvOn(t, kind)) })
	}
}
