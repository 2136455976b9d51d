package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/channels"
	"github.com/kairoscx/kairos/channels/relay"
	"github.com/kairoscx/kairos/memory"
)

// adapterOutbox stands in for a platform adapter: it takes the published
// message and reports what became of it, as the WeChat adapter does.
type adapterOutbox struct {
	nc     *nats.Conn
	status string
	got    chan channels.Outbound
}

func (a *adapterOutbox) Publish(_ context.Context, out channels.Outbound) error {
	a.got <- out
	b, _ := json.Marshal(channels.DeliveryReport{V: 1, Channel: "wechat", ConversationID: out.ConversationID, Seq: out.Seq, Status: a.status, At: time.Now()})
	return a.nc.Publish(channels.DeliverySubject("wechat"), b)
}

// TestDelivererRecordsMessagesKeptByThePlatform: a proactive message to a
// customer reachable only on WeChat is stored in their WeChat
// conversation; when the adapter reports it pending (outside the 48-hour
// window), the firing records it as kept for the next interaction.
func TestDelivererRecordsMessagesKeptByThePlatform(t *testing.T) {
	ctx := context.Background()
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
	store, err := OpenStore(ctx, testConfig(t), 256, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	c, _, err := store.CustomerByIdentity(ctx, memory.Identity{Kind: "wechat_openid", Value: "oFar"})
	if err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{channels.DeliveryPending, channels.DeliverySent} {
		out := &adapterOutbox{nc: nc, status: status, got: make(chan channels.Outbound, 1)}
		d := &deliverer{store: store, out: out, idle: 24 * time.Hour, nc: nc}
		del, err := d.Deliver(ctx, proactive.Message{Trigger: "replenish", Customer: c.ID, Occurrence: status, Text: "滤芯该换了", Lang: "zh"})
		if err != nil {
			t.Fatal(err)
		}
		m := <-out.got
		if del.Channel != "wechat" || del.ConversationID != m.ConversationID || m.Text != "滤芯该换了" || m.ReplyTo != 0 {
			t.Fatalf("%s: delivery %+v of %+v, want the customer's WeChat conversation", status, del, m)
		}
		if want := status == channels.DeliveryPending; del.Stored != want {
			t.Errorf("%s: stored = %v, want %v", status, del.Stored, want)
		}
		stored, err := store.Messages(ctx, m.ConversationID, m.Seq-1, 1)
		if err != nil || len(stored) != 1 || stored[0].Text != "滤芯该换了" {
			t.Fatalf("%s: message not stored: %+v %v", status, stored, err)
		}
	}
}
