package relay_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
)

// twoNodes starts an in-process NATS server and returns two relays on
// separate connections, standing in for two gateway nodes.
func twoNodes(t *testing.T) (a, b *relay.Relay, ncA, ncB *nats.Conn) {
	t.Helper()
	srv, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	var rs [2]*relay.Relay
	var conns [2]*nats.Conn
	for i, name := range []string{"node-a", "node-b"} {
		nc, err := srv.Connect(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		r, err := relay.New(nc, nil)
		if err != nil {
			t.Fatal(err)
		}
		rs[i], conns[i] = r, nc
	}
	return rs[0], rs[1], conns[0], conns[1]
}

// recorder is a relay.Receiver that keeps what it is told.
type recorder struct {
	out  chan channels.Outbound
	lost chan struct{}
}

func newRecorder() *recorder {
	return &recorder{out: make(chan channels.Outbound, 1024), lost: make(chan struct{}, 1)}
}

func (r *recorder) Deliver(out channels.Outbound) { r.out <- out }

func (r *recorder) Lost() {
	select {
	case r.lost <- struct{}{}:
	default:
	}
}

func (r *recorder) receive(t *testing.T) channels.Outbound {
	t.Helper()
	select {
	case out := <-r.out:
		return out
	case <-time.After(5 * time.Second):
		t.Fatal("no message delivered")
		return channels.Outbound{}
	}
}

// nothing asserts that no message is waiting; callers first prove that
// anything published earlier has been dispatched.
func (r *recorder) nothing(t *testing.T) {
	t.Helper()
	select {
	case out := <-r.out:
		t.Fatalf("unexpected delivery %+v", out)
	default:
	}
}

func subscribe(t *testing.T, s interface {
	Subscribe(context.Context, string, relay.Receiver) (*relay.Subscription, error)
}, conv string, rc relay.Receiver) *relay.Subscription {
	t.Helper()
	sub, err := s.Subscribe(context.Background(), conv, rc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	return sub
}

func typing(conv string) channels.Outbound {
	return channels.Outbound{Kind: channels.OutTyping, ConversationID: conv}
}

func publish(t *testing.T, r *relay.Relay, out channels.Outbound) {
	t.Helper()
	if err := r.Publish(context.Background(), out); err != nil {
		t.Fatal(err)
	}
}

func TestPublishReachesOtherNode(t *testing.T) {
	a, b, _, _ := twoNodes(t)
	one, other := newRecorder(), newRecorder()
	subscribe(t, b, "conv_1", one)
	subscribe(t, b, "conv_2", other)
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	want := channels.Outbound{Kind: channels.OutMessage, ConversationID: "conv_1", Seq: 7, Role: "bot",
		Text: "你好 hello", ReplyTo: 6, At: at}
	publish(t, a, want)
	want.V = channels.Version
	if got := one.receive(t); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// Messages of one subscription arrive in order, so once conv_2 has its
	// own message it has seen everything published before.
	publish(t, a, typing("conv_2"))
	if got := other.receive(t); got.ConversationID != "conv_2" {
		t.Fatalf("conv_2 received %+v", got)
	}
	one.nothing(t)
}

func TestPublishRejectsBadInput(t *testing.T) {
	a, _, _, _ := twoNodes(t)
	tests := []struct {
		name string
		out  channels.Outbound
	}{
		{"wildcard in id", channels.Outbound{Kind: "message", ConversationID: "conv.*"}},
		{"dot in id", channels.Outbound{Kind: "message", ConversationID: "a.b"}},
		{"empty id", channels.Outbound{Kind: "message"}},
		{"unknown kind", channels.Outbound{Kind: "shout", ConversationID: "c1"}},
		{"future version", channels.Outbound{V: 2, Kind: "message", ConversationID: "c1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := a.Publish(context.Background(), tc.out)
			if !errors.Is(err, relay.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := a.Subscribe(context.Background(), "conv.>", newRecorder()); !errors.Is(err, relay.ErrInvalid) {
		t.Fatalf("subscribe with wildcard: err = %v, want ErrInvalid", err)
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	subj := relay.ConversationSubject("c1")
	tests := []struct {
		name, subject, data string
	}{
		{"not json", subj, `{"v":1,`},
		{"unknown version", subj, `{"v":2,"kind":"message","conversation_id":"c1"}`},
		{"missing version", subj, `{"kind":"message","conversation_id":"c1"}`},
		{"unknown kind", subj, `{"v":1,"kind":"poke","conversation_id":"c1"}`},
		{"subject mismatch", relay.ConversationSubject("c2"), `{"v":1,"kind":"message","conversation_id":"c1"}`},
		{"wrong type", subj, `{"v":"1","kind":"message","conversation_id":"c1"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := relay.Decode(&nats.Msg{Subject: tc.subject, Data: []byte(tc.data)})
			if !errors.Is(err, relay.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestEventsStoredOnceByID(t *testing.T) {
	a, b, _, _ := twoNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Both nodes ensure the stream at start-up; the second call must not fail.
	for _, r := range []*relay.Relay{a, b} {
		if err := relay.EnsureStreams(ctx, r.JetStream()); err != nil {
			t.Fatal(err)
		}
	}
	props := json.RawMessage(`{"url":"/demo/refund-policy.html"}`)
	ev := channels.Event{ID: "ev_1", Name: "page_view", CustomerID: "cus_1", Channel: "web", Props: props,
		At: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	for _, r := range []*relay.Relay{a, b, a} { // a retried publish from either node
		if err := r.PublishEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	ev2 := ev
	ev2.ID = "ev_2"
	if err := a.PublishEvent(ctx, ev2); err != nil {
		t.Fatal(err)
	}

	stream, err := b.JetStream().Stream(ctx, relay.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("stream holds %d messages, want 2 (duplicates removed)", info.State.Msgs)
	}
	if info.Config.Storage != jetstream.FileStorage || info.Config.MaxAge != relay.EventMaxAge {
		t.Fatalf("stream config = %+v", info.Config)
	}
	raw, err := stream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Subject != "kairos.events.web.page_view" {
		t.Fatalf("subject = %q", raw.Subject)
	}
	got, err := relay.DecodeEvent(raw.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "ev_1" || got.V != 1 || string(got.Props) != string(props) {
		t.Fatalf("event = %+v", got)
	}
}

func TestPublishEventRejectsBadInput(t *testing.T) {
	a, _, _, _ := twoNodes(t)
	ok := channels.Event{ID: "e1", Name: "page_view", Channel: "web"}
	tests := []struct {
		name   string
		mutate func(*channels.Event)
	}{
		{"no id", func(e *channels.Event) { e.ID = "" }},
		{"wildcard name", func(e *channels.Event) { e.Name = ">" }},
		{"dotted channel", func(e *channels.Event) { e.Channel = "web.x" }},
		{"future version", func(e *channels.Event) { e.V = 3 }},
		{"props not json", func(e *channels.Event) { e.Props = json.RawMessage("{") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := ok
			tc.mutate(&ev)
			if err := a.PublishEvent(context.Background(), ev); !errors.Is(err, relay.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := relay.DecodeEvent([]byte(`{"v":9,"id":"e","name":"n","channel":"web"}`)); !errors.Is(err, relay.ErrInvalid) {
		t.Fatalf("decode future version: err = %v", err)
	}
}
