package outcomes_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/bot/handoff"
	"github.com/kairoscx/kairos/bot/outcomes"
	"github.com/kairoscx/kairos/channels/relay"
)

func TestHandoffLog(t *testing.T) {
	ctx := context.Background()
	srv, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := srv.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	log := outcomes.HandoffLog{JS: js}
	if hs, err := log.Handoffs(ctx, time.Time{}, time.Time{}); err != nil || len(hs) != 0 {
		t.Fatalf("without the stream: %v %v", hs, err)
	}
	if err := handoff.EnsureStreams(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	claimed := now.Add(time.Minute)
	pub := func(subj string, r handoff.Record) {
		b, _ := json.Marshal(r)
		if _, err := js.Publish(ctx, subj, b); err != nil {
			t.Fatal(err)
		}
	}
	pub(handoff.SubjectRequested, handoff.Record{HandoffID: "h1", ConversationID: "c1", CreatedAt: now, Status: "waiting", Revision: 1})
	pub(handoff.SubjectUpdated, handoff.Record{HandoffID: "h1", ConversationID: "c1", CreatedAt: now, Status: "waiting", Event: handoff.EventTransferred, Revision: 2})
	pub(handoff.SubjectUpdated, handoff.Record{HandoffID: "h1", ConversationID: "c1", CreatedAt: now, Status: "claimed", ClaimedAt: &claimed, Revision: 3})
	pub(handoff.SubjectRequested, handoff.Record{HandoffID: "h2", ConversationID: "c2", CreatedAt: now.Add(-48 * time.Hour), Revision: 1})
	if err := nc.Publish(handoff.SubjectUpdated, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	hs, err := log.Handoffs(ctx, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || hs[0].HandoffID != "h1" || hs[0].Status != "claimed" || hs[0].ClaimedAt == nil || hs[0].TransferredFrom == "" {
		t.Fatalf("handoffs %+v: want h1, latest (claimed), marked transferred", hs)
	}
}
