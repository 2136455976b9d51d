package stream_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/stream"
	"github.com/kairoscx/kairos/channels/relay"
)

// newState starts a server and returns a State on it, and a function
// opening another State on the same server (as another node would).
func newState(t *testing.T) (*stream.State, func() *stream.State) {
	t.Helper()
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := ns.Connect("proactive-state-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	rel, err := relay.New(nc, nil)
	if err != nil {
		t.Fatal(err)
	}
	open := func() *stream.State {
		st, err := stream.NewState(context.Background(), rel.JetStream(), 1)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	return open(), open
}

// TestUpdateAfterStaleRead: an update starts from the state read just
// before (saving a round trip); when another writer changed the state in
// between — an opt-out from the API on another node — the compare-and-set
// fails and the update is applied to the fresh state, so neither change
// is lost.
func TestUpdateAfterStaleRead(t *testing.T) {
	st, open := newState(t)
	ctx := context.Background()
	if _, err := st.UpdateCustomer(ctx, "cus_1", func(c *proactive.CustomerState) error { c.Lang = "en"; return nil }); err != nil {
		t.Fatal(err)
	}
	// The engine reads the state for its guardrails...
	if c, err := st.Customer(ctx, "cus_1"); err != nil || c.Lang != "en" {
		t.Fatalf("read %+v, %v", c, err)
	}
	// ...another writer (a second State, as on another node) opts out...
	other := open()
	if _, err := other.UpdateCustomer(ctx, "cus_1", func(c *proactive.CustomerState) error { c.OptOut = true; return nil }); err != nil {
		t.Fatal(err)
	}
	// ...and the engine records a send starting from what it read.
	runs := 0
	got, err := st.UpdateCustomer(ctx, "cus_1", func(c *proactive.CustomerState) error {
		runs++
		c.Sends = append(c.Sends, proactive.Send{Trigger: "t", At: time.Now()})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 || !got.OptOut || len(got.Sends) != 1 || got.Lang != "en" {
		t.Fatalf("update ran %d times, state %+v: want 2 runs, the opt-out, the send and the language", runs, got)
	}
	if c, _ := st.Customer(ctx, "cus_1"); !c.OptOut || len(c.Sends) != 1 {
		t.Fatalf("stored %+v", c)
	}
}

// TestRecordsVisibleToFirings: records are published asynchronously, and
// Firings (reports) still sees every record made before it is called;
// records with the same id are stored once.
func TestRecordsVisibleToFirings(t *testing.T) {
	st, _ := newState(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var want []string
	for i := range 300 {
		id := fmt.Sprintf("f%03d", i)
		want = append(want, id)
		for range 2 { // a redelivery records the same firing again
			if err := st.Record(ctx, proactive.Firing{ID: id, Trigger: "refund_help", Customer: "cus_1", At: at.Add(time.Duration(i) * time.Second),
				Outcome: proactive.OutcomeSuppressed, Reason: proactive.GuardCooldown}); err != nil {
				t.Fatal(err)
			}
		}
	}
	fs, err := st.Firings(ctx, "refund_help", at, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.ID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %d firings, want %d", len(got), len(want))
	}
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := st.Flush(fctx); err != nil {
		t.Fatal(err)
	}
}
