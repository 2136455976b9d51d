package platform_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/platform"
	"github.com/kairoscx/kairos/channels/relay"
)

func bucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := ns.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: "T"})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

type route struct {
	Account string `json:"account"`
	User    string `json:"user"`
}

func TestRouteBook(t *testing.T) {
	kv := bucket(t)
	ctx := context.Background()
	key := func(id string) string { return "conv." + id }
	b := &platform.RouteBook[route]{KV: kv, Name: "t", Key: key, Valid: func(r route) bool { return r.User != "" }}
	other := &platform.RouteBook[route]{KV: kv, Name: "t", Key: key}

	// Not ours yet: remembered briefly, so a route another node saves
	// right after is not seen by b at once, but is by a fresh book.
	if _, ok, err := b.Lookup(ctx, "c1"); ok || err != nil {
		t.Fatalf("unknown conversation: ok=%v err=%v", ok, err)
	}
	want := route{Account: "a", User: "u"}
	if err := other.Save(ctx, "c1", want); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := b.Lookup(ctx, "c1"); ok {
		t.Fatal("negative entry was not cached")
	}
	fresh := &platform.RouteBook[route]{KV: kv, Name: "t", Key: key}
	if got, ok, err := fresh.Lookup(ctx, "c1"); !ok || err != nil || got != want {
		t.Fatalf("lookup = %v %v %v, want %v", got, ok, err, want)
	}

	// Malformed and incomplete routes are "not ours".
	_, _ = kv.Put(ctx, key("bad"), []byte("{"))
	_, _ = kv.Put(ctx, key("half"), []byte(`{"account":"a"}`))
	for _, id := range []string{"bad", "half"} {
		if _, ok, err := b.Lookup(ctx, id); ok || err != nil {
			t.Fatalf("%s: ok=%v err=%v", id, ok, err)
		}
	}

	// NoCache reads the bucket every time.
	nc := &platform.RouteBook[route]{KV: kv, Name: "t", Key: key, NoCache: true}
	if _, ok, _ := nc.Lookup(ctx, "c2"); ok {
		t.Fatal("c2 found before it was saved")
	}
	_ = other.Save(ctx, "c2", want)
	if _, ok, _ := nc.Lookup(ctx, "c2"); !ok {
		t.Fatal("NoCache book did not see the saved route")
	}
}

type state struct {
	N int `json:"n"`
}

func TestState(t *testing.T) {
	kv := bucket(t)
	ctx := context.Background()
	for range 3 {
		if _, err := platform.UpdateState(ctx, kv, "t", "u", func(s *state) { s.N++ }); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := platform.LoadState[state](ctx, kv, "t", "u"); err != nil || st.N != 3 {
		t.Fatalf("state = %+v, %v", st, err)
	}
	_, _ = kv.Put(ctx, "garbled", []byte("not json"))
	if st, err := platform.LoadState[state](ctx, kv, "t", "garbled"); err != nil || st.N != 0 {
		t.Fatalf("garbled state = %+v, %v", st, err)
	}
}

type replayer []channels.Outbound

func (r replayer) Replay(_ context.Context, _ string, after int64, _ int) ([]channels.Outbound, error) {
	var out []channels.Outbound
	for _, m := range r {
		if m.Seq > after {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("nothing stored")
	}
	return out, nil
}

func TestAwait(t *testing.T) {
	ctx := context.Background()
	answer := channels.Outbound{Kind: channels.OutMessage, Seq: 3, ReplyTo: 2, Role: "bot", Text: "hi"}
	stored := replayer{{Kind: channels.OutMessage, Seq: 2, Role: "customer"}, answer}

	// Delivered: customer messages and answers to other messages are skipped.
	w := platform.NewWaiter()
	w.Deliver(channels.Outbound{Kind: channels.OutMessage, Seq: 2, ReplyTo: 1, Role: "bot"})
	w.Deliver(channels.Outbound{Kind: channels.OutMessage, Seq: 3, ReplyTo: 2, Role: "customer"})
	w.Deliver(answer)
	if got, ok := w.Await(ctx, replayer{}, "c", 2, nil, platform.AwaitOptions{}); !ok || got.Seq != 3 {
		t.Fatalf("delivered: %v %v", got, ok)
	}

	// Lost: found by Replay.
	w = platform.NewWaiter()
	w.Lost()
	if got, ok := w.Await(ctx, stored, "c", 2, nil, platform.AwaitOptions{}); !ok || got.Seq != 3 {
		t.Fatalf("lost: %v %v", got, ok)
	}

	// Already answered before the wait (Check).
	w = platform.NewWaiter()
	if got, ok := w.Await(ctx, stored, "c", 2, nil, platform.AwaitOptions{Check: true}); !ok || got.Seq != 3 {
		t.Fatalf("check: %v %v", got, ok)
	}

	// Timeout: nothing unless LastLook.
	fired := make(chan time.Time, 1)
	fired <- time.Time{}
	if _, ok := platform.NewWaiter().Await(ctx, stored, "c", 2, fired, platform.AwaitOptions{}); ok {
		t.Fatal("timeout without LastLook returned an answer")
	}
	fired <- time.Time{}
	if got, ok := platform.NewWaiter().Await(ctx, stored, "c", 2, fired, platform.AwaitOptions{LastLook: true}); !ok || got.Seq != 3 {
		t.Fatalf("last look: %v %v", got, ok)
	}
}

func TestDefaults(t *testing.T) {
	s, n, d := "", -1, 5*time.Second
	platform.Default(&s, "x")
	platform.Positive(&n, 7)
	platform.Positive(&d, time.Minute)
	if s != "x" || n != 7 || d != 5*time.Second {
		t.Fatalf("defaults: %q %d %v", s, n, d)
	}
}
